package dev.sprout.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sprout.storage.error.UnknownTimelineException;
import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.page.PageRead;
import dev.sprout.storage.timeline.TimelineId;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deleting a timeline that wrote many pages returns without waiting for the compaction of its keys, which runs in
 * the background: a store closed while that compaction runs closes cleanly (the compaction is cancelled), opens
 * again with the parent's pages intact and the child gone, and GC's next pass reclaims what was left.
 */
class DeleteTimelineTest {
    private static final int PAGES = 4_000; // 31 MiB on the child, flushed to table files

    @TempDir
    Path dir;

    @Test
    void aStoreClosedRightAfterADeleteOpensAgainWithTheParentIntactAndTheChildGone() {
        Random rnd = new Random(7);
        TimelineId main = TimelineId.random();
        TimelineId child = TimelineId.random();
        long file;
        byte[] mainPage = page(rnd);
        long mainLsn;
        try (PageStore store = PageStore.open(StoreOptions.defaults(dir).withMemory(8 << 20, 4 << 20))) {
            store.createRoot(main, 0, 0);
            file = store.create(main, "/f", 0600, 0, 0).fileId();
            store.commit(new PageBatch(main).resize(file, PAGES * 8192L));
            mainLsn = store.commit(new PageBatch(main).write(file, 0, mainPage));
            store.branch(child, main, mainLsn);
            for (int from = 0; from < PAGES; from += 500) {
                PageBatch batch = new PageBatch(child);
                for (int b = from; b < from + 500; b++) {
                    batch.write(file, b, page(rnd));
                }
                store.commit(batch);
            }
            store.flush();
            store.deleteTimeline(child);
        } // closes while the child's keys may still be compacting

        try (PageStore store = PageStore.open(StoreOptions.defaults(dir).withMemory(8 << 20, 4 << 20))) {
            assertThrows(UnknownTimelineException.class, () -> store.timeline(child), "the deleted child is gone");
            PageRead read = store.readPage(main, store.timeline(main).lastLsn(), file, 0);
            assertArrayEquals(
                    mainPage, assertInstanceOf(PageRead.Found.class, read).page());
            assertEquals(PageRead.absent(), store.readPage(main, mainLsn, file, 1), "main never wrote block 1");
            store.gc(); // reclaims the deleted range if the cancelled compaction left any of it
            assertEquals(0, store.gc().timelinesReclaimed(), "GC's pass dropped the reclaim marker");
        }
    }

    private static byte[] page(Random rnd) {
        byte[] p = new byte[8192];
        rnd.nextBytes(p);
        return p;
    }
}
