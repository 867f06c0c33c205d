package dev.sprout.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.storage.gc.GcReport;
import dev.sprout.storage.gc.Lease;
import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.page.PageRead;
import dev.sprout.storage.page.Pages;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.testkit.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GC keeps what the PITR window, child branch points and leases need, and nothing else. */
class GcAndLeaseTest {
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

    /** Version {@code v} of a page: every byte differs from version v - 1, so each is stored whole, not as a delta. */
    private static byte[] page(int v) {
        byte[] p = new byte[Pages.PAGE_SIZE];
        java.util.Arrays.fill(p, (byte) v);
        p[0] = (byte) v;
        p[100] = (byte) (v >> 8);
        return p;
    }

    private static int versionOf(PageRead r) {
        return r instanceof PageRead.Found f ? (f.page()[0] & 0xFF) | (f.page()[100] & 0xFF) << 8 : -1;
    }

    @Test
    void collectsOnlyWhatNoReaderNeeds() {
        try (PageStore store = open()) {
            TimelineId main = TimelineId.random();
            store.createRoot(main, 0, 0);
            long file = store.create(main, "/f", 0600, 0, 0).fileId();
            long[] lsnOfVersion = new long[101];
            for (int v = 1; v <= 100; v++) {
                clock.advance(Duration.ofMinutes(1));
                PageBatch b = new PageBatch(main).write(file, 0, page(v));
                if (v == 1) {
                    b.resize(file, Pages.PAGE_SIZE);
                }
                lsnOfVersion[v] = store.commit(b);
            }
            // A child branched at version 30 and a lease at version 50 pin their history.
            TimelineId child = TimelineId.random();
            store.branch(child, main, lsnOfVersion[30]);
            Lease lease = store.lease(main, lsnOfVersion[50], Duration.ofHours(2));

            GcReport first = store.gc();
            assertEquals(
                    lsnOfVersion[30], store.timeline(main).gcHorizon(), "horizon held by the child's branch point");
            // Versions 1..29 of the page go (30 stays for the child), and the file's first attributes (size 0).
            assertEquals(29 + 1, first.versionsRemoved());
            assertEquals(29L * Pages.PAGE_SIZE, first.pageBytesRemoved());
            assertEquals(
                    30, versionOf(store.readPage(child, store.timeline(child).lastLsn(), file, 0)));

            store.deleteTimeline(child);
            clock.advance(Duration.ofMinutes(20)); // now minute 120: the window starts at version 60
            GcReport second = store.gc();
            assertEquals(lsnOfVersion[50], store.timeline(main).gcHorizon(), "horizon held by the lease");
            assertEquals(20, second.versionsRemoved());
            assertEquals(50, versionOf(store.readPage(main, lsnOfVersion[50], file, 0)));
            assertEquals(1, second.timelinesReclaimed(), "the deleted child's range is compacted");

            store.releaseLease(lease.id());
            clock.advance(Duration.ofMinutes(30)); // now minute 150: the window starts at version 90
            GcReport third = store.gc();
            assertEquals(lsnOfVersion[90], store.timeline(main).gcHorizon(), "horizon at now - PITR window");
            assertEquals(40, third.versionsRemoved(), "versions 50..89 go");
            for (int v = 90; v <= 100; v++) {
                assertEquals(
                        v, versionOf(store.readPage(main, lsnOfVersion[v], file, 0)), "version at the LSN of " + v);
            }
            assertEquals(11, store.timeline(main).ownPageVersions(), "versions 90..100 remain");
        }
    }

    @Test
    void expiredLeaseNoLongerHoldsHistory() {
        try (PageStore store = open()) {
            TimelineId main = TimelineId.random();
            store.createRoot(main, 0, 0);
            long file = store.create(main, "/f", 0600, 0, 0).fileId();
            long first = store.commit(
                    new PageBatch(main).resize(file, Pages.PAGE_SIZE).write(file, 0, page(1)));
            store.lease(main, first, Duration.ofMinutes(170));
            clock.advance(Duration.ofMinutes(80));
            long second = store.commit(new PageBatch(main).write(file, 0, page(2)));
            clock.advance(Duration.ofMinutes(80));
            store.gc();
            assertEquals(first, store.timeline(main).gcHorizon(), "the live lease holds the horizon");
            assertEquals(1, versionOf(store.readPage(main, first, file, 0)));
            clock.advance(Duration.ofMinutes(20));
            GcReport report = store.gc();
            assertEquals(second, store.timeline(main).gcHorizon(), "expired lease released");
            assertEquals(1, report.versionsRemoved());
            assertInstanceOf(PageRead.Found.class, store.readPage(main, second, file, 0));
            assertTrue(store.timeline(main).minReadableLsn() == second);
        }
    }

    @Test
    void horizonSurvivesReopen() {
        TimelineId main = TimelineId.random();
        long horizon;
        try (PageStore store = open()) {
            store.createRoot(main, 0, 0);
            long file = store.create(main, "/f", 0600, 0, 0).fileId();
            store.commit(new PageBatch(main).resize(file, Pages.PAGE_SIZE).write(file, 0, page(1)));
            clock.advance(Duration.ofHours(2));
            store.commit(new PageBatch(main).write(file, 0, page(2)));
            store.gc();
            horizon = store.timeline(main).gcHorizon();
            assertTrue(horizon > 0);
        }
        try (PageStore store = open()) {
            assertEquals(horizon, store.timeline(main).gcHorizon());
        }
    }
}
