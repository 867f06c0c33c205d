package dev.sprout.cli;

import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.protocol.v1.BranchList;
import dev.sprout.protocol.v1.Health;
import dev.sprout.protocol.v1.ImportList;
import dev.sprout.protocol.v1.PendingImport;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sprout status}: is Sprout up, and what runs: branches and their computes, imports under way. */
@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = "Say whether Sprout is up, and list its branches.")
final class StatusCommand implements Callable<Integer> {
    @Option(
            names = "--http-port",
            paramLabel = "PORT",
            defaultValue = "" + PageserverConfig.DEFAULT_HTTP_PORT,
            description = "Sprout's HTTP API port on 127.0.0.1. Default: ${DEFAULT-VALUE}.")
    int httpPort;

    @Mixin
    StoreDirectory dir;

    @Override
    public Integer call() {
        ManagementClient client = new ManagementClient(httpPort, dir.dataDir);
        Health health = client.get("/healthz", Health.newBuilder()).build();
        BranchList branches =
                client.get("/v1/branches", BranchList.newBuilder()).build();
        long running = branches.getBranchesList().stream()
                .filter(b -> b.getComputeState().equals("RUNNING"))
                .count();
        System.out.println("Sprout is up on " + client.where() + ": " + health.getStatus() + ", "
                + branches.getBranchesCount() + " branch(es), " + running + " compute(s) running, last LSN "
                + Long.toUnsignedString(health.getLastLsn()));
        BranchCommand.table(System.out, branches.getBranchesList());
        ImportList imports = client.get("/v1/imports", ImportList.newBuilder()).build();
        imports.getSlotsLeftList().forEach(w -> System.out.println("WARNING: " + w));
        for (PendingImport p : imports.getImportsList()) {
            System.out.println("import under way: into branch " + p.getBranch() + " from " + p.getSource() + " since "
                    + p.getStartedAt() + " (timeline " + p.getTimelineId() + ")");
        }
        return 0;
    }
}
