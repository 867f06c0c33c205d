package dev.sprout.cli;

import dev.sprout.protocol.v1.AuditEntry;
import dev.sprout.protocol.v1.AuditTrail;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sprout audit}: the newest entries of the audit log (GET /v1/audit, admin scope), oldest first. */
@Command(
        name = "audit",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Show who changed what through the HTTP APIs, and every refused request, oldest first.")
final class AuditCommand implements Callable<Integer> {
    private static final String ROW = "%-20s  %-32s  %-6s  %-40s  %6s  %s%n";

    @Option(
            names = "--limit",
            paramLabel = "N",
            defaultValue = "50",
            description = "How many of the newest entries. Default: ${DEFAULT-VALUE}; at most 10000.")
    int limit;

    @Option(
            names = "--since",
            paramLabel = "TIME",
            description = "Only entries at or after TIME (RFC 3339, e.g. 2026-12-07T09:00:00Z).")
    String since;

    @Mixin
    BranchCommand.Api api;

    @Override
    public Integer call() {
        ManagementClient client = api.client();
        String path = "/v1/audit?limit=" + limit
                + (since == null ? "" : "&since=" + URLEncoder.encode(since, StandardCharsets.UTF_8));
        if (api.json) {
            System.out.print(client.get(path));
            return 0;
        }
        AuditTrail trail = client.get(path, AuditTrail.newBuilder()).build();
        System.out.printf(ROW, "TIME", "WHO", "METHOD", "PATH", "STATUS", "CODE");
        for (AuditEntry e : trail.getEntriesList()) {
            System.out.printf(
                    ROW,
                    TokenCommand.seconds(e.getTime()),
                    e.getActor(),
                    e.getMethod(),
                    e.getPath(),
                    e.getStatus(),
                    e.getCode());
        }
        return 0;
    }
}
