package dev.sprout.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.page.PageRead;
import dev.sprout.storage.timeline.TimelineId;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A shrink writes markers only over blocks that have stored versions (here or on an ancestor), so cutting a
 * huge sparse file costs what it stores, not what its size claims (a client could otherwise make one request
 * write 2^31 markers).
 */
class SparseTruncationTest {
    @TempDir
    Path dir;

    @Test
    void cuttingAHugeSparseFileWritesOneMarkerPerStoredBlock() {
        int last = (1 << 30) - 1; // a file of 8 TiB, two blocks stored
        try (PageStore store = PageStore.open(StoreOptions.defaults(dir).withMemory(8 << 20, 4 << 20))) {
            TimelineId main = TimelineId.random();
            store.createRoot(main, 0, 0);
            long file = store.create(main, "/sparse", 0600, 0, 0).fileId();
            byte[] a = new byte[8192];
            Arrays.fill(a, (byte) 1);
            byte[] b = new byte[8192];
            Arrays.fill(b, (byte) 2);
            long size = (long) (last + 1) * 8192;
            store.commit(
                    new PageBatch(main).resize(file, size).write(file, 0, a).write(file, last, b));

            TimelineId child = TimelineId.random();
            store.branch(child, main, store.timeline(main).lastLsn());
            long before = store.timeline(child).ownPageVersions();
            long cut = store.truncate(child, "/sparse", 8192);
            assertEquals(
                    1,
                    store.timeline(child).ownPageVersions() - before,
                    "one marker: over the one stored block cut off");

            store.commit(new PageBatch(child).resize(file, size)); // grow again: the cut block reads as absent
            long head = store.timeline(child).lastLsn();
            assertInstanceOf(PageRead.Absent.class, store.readPage(child, head, file, last));
            assertArrayEquals(a, ((PageRead.Found) store.readPage(child, head, file, 0)).page());
            assertArrayEquals(
                    b,
                    ((PageRead.Found) store.readPage(main, store.timeline(main).lastLsn(), file, last)).page(),
                    "the parent keeps its block");
            assertInstanceOf(
                    PageRead.Found.class, store.readPage(child, cut - 1, file, last), "history before the cut stays");
        }
    }
}
