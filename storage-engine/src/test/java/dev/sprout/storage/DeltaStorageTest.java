package dev.sprout.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.storage.error.LsnOutOfRangeException;
import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.page.PageRead;
import dev.sprout.storage.page.Pages;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.testkit.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Page versions stored as deltas of the version before them: a WAL-like file whose last page is committed again
 * with every few hundred bytes appended reads back exactly at every LSN, costs about the bytes appended, and
 * stays exact through GC inside a chain, a branch inside a chain, and a reopen.
 */
class DeltaStorageTest {
    private static final Duration WINDOW = Duration.ofHours(1);

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock(Instant.parse("2026-05-01T00:00:00Z"));

    private PageStore open() {
        return PageStore.open(StoreOptions.defaults(dir)
                .withSyncCommits(false)
                .withMemory(8 << 20, 4 << 20)
                .withClock(clock)
                .withPitrWindow(WINDOW));
    }

    /** One commit of the log: its LSN and the image of every block of the file at that LSN. */
    private record Step(long lsn, List<byte[]> blocks) {}

    /** Appends {@code records} records of 100 to 500 bytes, one commit each, writing the whole last page each time. */
    private static List<Step> appendLog(PageStore store, TimelineId tl, long file, long seed, int records, Log log) {
        Random rnd = new Random(seed);
        List<Step> steps = new ArrayList<>();
        for (int r = 0; r < records; r++) {
            int len = 100 + rnd.nextInt(400);
            byte[] record = new byte[len];
            rnd.nextBytes(record);
            PageBatch batch = new PageBatch(tl);
            int at = 0;
            while (at < len) {
                int block = (int) (log.end / Pages.PAGE_SIZE);
                int offset = (int) (log.end % Pages.PAGE_SIZE);
                if (block == log.blocks.size()) {
                    log.blocks.add(new byte[Pages.PAGE_SIZE]);
                }
                int n = Math.min(len - at, Pages.PAGE_SIZE - offset);
                byte[] page = log.blocks.get(block).clone(); // a new array each time, as a caller would send
                System.arraycopy(record, at, page, offset, n);
                log.blocks.set(block, page);
                batch.write(file, block, page);
                at += n;
                log.end += n;
            }
            batch.resize(file, (long) log.blocks.size() * Pages.PAGE_SIZE);
            long lsn = store.commit(batch);
            steps.add(new Step(lsn, log.blocks.stream().map(byte[]::clone).toList()));
        }
        return steps;
    }

    private static final class Log {
        final List<byte[]> blocks = new ArrayList<>();
        long end;
    }

    private void assertReads(PageStore store, TimelineId tl, long file, List<Step> steps, long fromLsn) {
        for (Step s : steps) {
            if (s.lsn() < fromLsn) {
                continue;
            }
            for (int b = 0; b < s.blocks().size(); b++) {
                PageRead read = store.readPage(tl, s.lsn(), file, b);
                assertInstanceOf(PageRead.Found.class, read, "block " + b + " at LSN " + s.lsn());
                assertArrayEquals(s.blocks().get(b), ((PageRead.Found) read).page(), "block " + b + " at " + s.lsn());
            }
        }
    }

    @Test
    void anAppendOnlyLogReadsBackAtEveryLsnAndCostsAboutWhatWasAppended() {
        try (PageStore store = open()) {
            TimelineId main = TimelineId.random();
            store.createRoot(main, 0, 0);
            long file =
                    store.create(main, "/000000010000000000000001", 0600, 0, 0).fileId();
            Log log = new Log();
            long before = store.timeline(main).ownPageBytes();
            List<Step> steps = appendLog(store, main, file, 42, 600, log);
            assertReads(store, main, file, steps, 0);
            long stored = store.timeline(main).ownPageBytes() - before;
            long versions = store.timeline(main).ownPageVersions();
            // Without deltas: one 8 KiB image per page written (over 600 of them). With them: about the bytes
            // appended (each page's first write a delta on zeros, then deltas of the version before), plus the
            // range headers, and a whole image where a chain reached MAX_CHAIN deltas.
            assertTrue(versions >= 600, "page versions " + versions);
            assertTrue(
                    stored < 1.3 * log.end + 2L * Pages.PAGE_SIZE * (versions / 32 + 1),
                    "stored " + stored + " bytes for " + log.end + " appended over " + log.blocks.size() + " pages");
            assertTrue(stored < versions * Pages.PAGE_SIZE / 8, "stored " + stored + " for " + versions + " versions");
        }
    }

    @Test
    void gcInsideAChainKeepsEveryReadableVersionExactAcrossAReopen() {
        TimelineId main = TimelineId.random();
        long file;
        List<Step> steps;
        long horizon;
        try (PageStore store = open()) {
            store.createRoot(main, 0, 0);
            file = store.create(main, "/wal", 0600, 0, 0).fileId();
            Log log = new Log();
            steps = new ArrayList<>();
            // commits a minute apart, so the PITR window's start lands inside a page's chain of deltas
            for (int i = 0; i < 90; i++) {
                clock.advance(Duration.ofMinutes(1));
                steps.addAll(appendLog(store, main, file, 1000 + i, 1, log));
            }
            store.gc();
            horizon = store.timeline(main).gcHorizon();
            assertTrue(horizon > steps.get(0).lsn(), "the window moved past the first commits");
            assertReads(store, main, file, steps, horizon);
            long below = horizon - 1;
            assertThrows(LsnOutOfRangeException.class, () -> store.readPage(main, below, file, 0));
            // the log goes on after GC, on top of the versions GC made whole
            steps.addAll(appendLog(store, main, file, 7, 40, log));
            assertReads(store, main, file, steps, horizon);
        }
        try (PageStore store = open()) {
            assertReads(store, main, file, steps, horizon);
            clock.advance(Duration.ofHours(2));
            store.gc(); // everything but the newest version of each block goes
            Step last = steps.get(steps.size() - 1);
            assertReads(store, main, file, List.of(last), 0);
        }
    }

    @Test
    void aBranchInsideAChainReadsItsPointAndWritesItsOwnChain() {
        try (PageStore store = open()) {
            TimelineId main = TimelineId.random();
            store.createRoot(main, 0, 0);
            long file = store.create(main, "/wal", 0600, 0, 0).fileId();
            Log parentLog = new Log();
            List<Step> before = appendLog(store, main, file, 1, 30, parentLog);
            Step point = before.get(before.size() - 1);
            TimelineId child = TimelineId.random();
            store.branch(child, main, point.lsn());

            Log childLog = new Log();
            childLog.blocks.addAll(point.blocks().stream().map(byte[]::clone).toList());
            childLog.end = parentLog.end;
            List<Step> childSteps = appendLog(store, child, file, 2, 30, childLog);
            List<Step> parentSteps = appendLog(store, main, file, 3, 30, parentLog);

            assertReads(store, child, file, childSteps, 0);
            assertReads(store, main, file, parentSteps, 0);
            assertReads(store, main, file, before, 0);
            // the child at its branch point sees the parent's page there, not what either wrote later
            PageRead atPoint = store.readPage(child, point.lsn(), file, 0);
            assertArrayEquals(point.blocks().get(0), ((PageRead.Found) atPoint).page());
            assertTrue(!Arrays.equals(
                    childSteps.get(childSteps.size() - 1).blocks().get(childLog.blocks.size() - 1),
                    parentSteps.get(parentSteps.size() - 1).blocks().get(childLog.blocks.size() - 1)));
        }
    }
}
