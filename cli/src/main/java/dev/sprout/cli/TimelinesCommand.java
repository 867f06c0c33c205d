package dev.sprout.cli;

import dev.sprout.storage.PageStore;
import dev.sprout.storage.StoreOptions;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.storage.timeline.TimelineInfo;
import java.nio.file.Files;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Lists the timelines of the local store. */
@Command(name = "timelines", mixinStandardHelpOptions = true, description = "List the timelines in the local store.")
final class TimelinesCommand implements Runnable {
    @Mixin
    StoreDirectory dir;

    @Override
    public void run() {
        if (!Files.isDirectory(dir.store())) {
            System.out.println("no store at " + dir.store() + " yet: run `sprout up` first");
            return;
        }
        try (PageStore store = PageStore.open(StoreOptions.defaults(dir.store()))) {
            System.out.printf("%-36s  %-36s  %10s  %10s  %12s%n", "TIMELINE", "PARENT", "BRANCH LSN", "LAST LSN", "OWN BYTES");
            for (TimelineInfo t : store.timelines()) {
                System.out.printf("%-36s  %-36s  %10d  %10d  %12d%n", t.id(), t.parent().map(TimelineId::toString).orElse("-"),
                        t.branchLsn(), t.lastLsn(), t.ownPageBytes());
            }
        }
    }
}
