package dev.sprout.cli;

import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.protocol.v1.TimelineInfo;
import dev.sprout.protocol.v1.TimelineList;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sprout timelines}: asks the running pageserver (GET /v1/timelines) and prints its timelines. */
@Command(
        name = "timelines",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "List the timelines of the running pageserver (started by `sprout up`), oldest first.")
final class TimelinesCommand implements Callable<Integer> {
    private static final String ROW = "%-36s  %-36s  %10s  %10s  %10s  %10s%n";

    @Option(
            names = "--http-port",
            paramLabel = "PORT",
            defaultValue = "" + PageserverConfig.DEFAULT_HTTP_PORT,
            description = "The pageserver's management API port on 127.0.0.1. Default: ${DEFAULT-VALUE}.")
    int httpPort;

    @Mixin
    StoreDirectory dir;

    @Option(names = "--json", description = "Print the management API's answer (a TimelineList as JSON) as it came.")
    boolean json;

    @Override
    public Integer call() {
        ManagementClient client = new ManagementClient(httpPort, dir.dataDir);
        if (json) {
            System.out.print(client.get("/v1/timelines"));
            return 0;
        }
        TimelineList list =
                client.get("/v1/timelines", TimelineList.newBuilder()).build();
        System.out.printf(ROW, "TIMELINE", "PARENT", "BRANCH LSN", "LAST LSN", "LOGICAL", "OWN BYTES");
        for (TimelineInfo t : list.getTimelinesList()) {
            System.out.printf(
                    ROW,
                    t.getTimelineId(),
                    t.getParentId().isEmpty() ? "-" : t.getParentId(),
                    Long.toUnsignedString(t.getBranchLsn()),
                    Long.toUnsignedString(t.getLastLsn()),
                    ByteSizes.format(t.getLogicalBytes()),
                    ByteSizes.format(t.getOwnPageBytes()));
        }
        return 0;
    }
}
