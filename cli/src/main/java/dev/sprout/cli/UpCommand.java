package dev.sprout.cli;

import dev.sprout.storage.PageStore;
import dev.sprout.storage.StoreOptions;
import dev.sprout.storage.error.NoSuchFileException;
import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.page.PageRead;
import dev.sprout.storage.page.Pages;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.storage.timeline.TimelineInfo;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sprout up}. Today it runs the storage engine on the embedded default and shows a branch being made;
 * once the pageserver, compute and proxy exist it starts them and prints a connection string.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Start Sprout on the embedded default.",
                "Storage-engine preview: loads a demo relation into the `main` timeline (first run only), branches it,",
                "writes to the branch and shows that `main` is unchanged. PostgreSQL computes and the proxy come next."})
final class UpCommand implements Runnable {
    /** The root timeline of the embedded store; a stable id so that every run finds it again. */
    static final TimelineId MAIN = new TimelineId(UUID.nameUUIDFromBytes("sprout:main".getBytes(StandardCharsets.UTF_8)));
    private static final String RELATION = "/base/5/16384";
    private static final int BRANCHES = 20;

    @Mixin
    StoreDirectory dir;

    @Option(names = "--demo-mib", defaultValue = "64", paramLabel = "MIB",
            description = "Size of the demo relation loaded on the first run (default: ${DEFAULT-VALUE} MiB).")
    int demoMib;

    @Override
    public void run() {
        if (demoMib < 1 || demoMib > 65536) {
            throw new IllegalArgumentException("--demo-mib " + demoMib + " is out of range (expected: 1..65536)");
        }
        System.out.println("Sprout storage-engine preview: data in " + dir.store().toAbsolutePath());
        try (PageStore store = PageStore.open(StoreOptions.defaults(dir.store()))) {
            TimelineInfo main = store.createRoot(MAIN, 0, 0);
            long file = relation(store);
            long blocks = store.getAttr(MAIN, store.timeline(MAIN).lastLsn(), file).size() / Pages.PAGE_SIZE;
            System.out.printf("main: timeline %s, %d MiB in %s, last LSN %d%n", main.id(), blocks * Pages.PAGE_SIZE >> 20,
                    RELATION, store.timeline(MAIN).lastLsn());

            long head = store.timeline(MAIN).lastLsn();
            TimelineId[] branches = new TimelineId[BRANCHES];
            double[] ms = new double[BRANCHES];
            for (int i = 0; i < BRANCHES; i++) {
                branches[i] = TimelineId.random();
                long t0 = System.nanoTime();
                store.branch(branches[i], MAIN, head);
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            double first = ms[0];
            java.util.Arrays.sort(ms);
            System.out.printf("%d branches created from main at LSN %d: median %.2f ms, slowest %.2f ms (first %.2f ms,"
                    + " in a cold JVM), 0 pages copied%n", BRANCHES, head, ms[BRANCHES / 2], ms[BRANCHES - 1], first);
            TimelineId branch = branches[0];
            byte[] changed = new byte[Pages.PAGE_SIZE];
            changed[0] = 42;
            long lsn = store.commit(new PageBatch(branch).write(file, 0, changed));
            PageRead onBranch = store.readPage(branch, lsn, file, 0);
            PageRead onMain = store.readPage(MAIN, lsn, file, 0);
            System.out.printf("wrote block 0 on the branch (LSN %d): branch reads %d, main still reads %d%n", lsn,
                    firstByte(onBranch), firstByte(onMain));
            TimelineInfo info = store.timeline(branch);
            System.out.printf("the branch owns %d page version(s), %d bytes; main owns %d bytes%n", info.ownPageVersions(),
                    info.ownPageBytes(), store.timeline(MAIN).ownPageBytes());
            for (TimelineId b : branches) {
                store.deleteTimeline(b);
            }
            System.out.println("branches deleted.");
        }
        System.out.println();
        System.out.println("Coming next: the pageserver (issue 3), PostgreSQL computes on FUSE (4), the wire proxy (5)");
        System.out.println("and the control plane (6). Then `sprout up` prints a postgres:// connection string here.");
    }

    private long relation(PageStore store) {
        long lsn = store.timeline(MAIN).lastLsn();
        try {
            return store.lookup(MAIN, lsn, RELATION);
        } catch (NoSuchFileException firstRun) {
            return load(store);
        }
    }

    /** First run: a relation of --demo-mib MiB, pages half random and half zero like a partly filled heap. */
    private long load(PageStore store) {
        for (String d : new String[] {"/base", "/base/5"}) {
            try {
                store.mkdir(MAIN, d, 0700, 0, 0);
            } catch (dev.sprout.storage.error.FileExistsException alreadyThere) {
                // an interrupted earlier load: keep going
            }
        }
        long file = store.create(MAIN, RELATION, 0600, 0, 0).fileId();
        int pages = demoMib * (1 << 20) / Pages.PAGE_SIZE;
        int batch = 256;
        long t0 = System.nanoTime();
        long lastReport = t0;
        for (int first = 0; first < pages; first += batch) {
            int n = Math.min(batch, pages - first);
            PageBatch b = new PageBatch(MAIN).resize(file, (long) (first + n) * Pages.PAGE_SIZE);
            for (int i = 0; i < n; i++) {
                byte[] page = new byte[Pages.PAGE_SIZE];
                ThreadLocalRandom.current().nextBytes(page);
                java.util.Arrays.fill(page, Pages.PAGE_SIZE / 2, Pages.PAGE_SIZE, (byte) 0);
                page[0] = 7;
                b.write(file, first + i, page);
            }
            store.commit(b);
            long now = System.nanoTime();
            if (now - lastReport > 2_000_000_000L) {
                System.out.printf("  loading main: %d of %d MiB%n", (long) (first + n) * Pages.PAGE_SIZE >> 20, demoMib);
                lastReport = now;
            }
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("loaded %d MiB into main in %.1f s (%.0f MB/s, one synced commit per %d pages)%n", demoMib, s,
                demoMib * 1.048576 / s, batch);
        return file;
    }

    private static int firstByte(PageRead read) {
        return read instanceof PageRead.Found f ? f.page()[0] : -1;
    }
}
