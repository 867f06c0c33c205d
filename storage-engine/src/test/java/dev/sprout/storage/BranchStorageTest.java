package dev.sprout.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.page.PageRead;
import dev.sprout.storage.page.Pages;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.storage.timeline.TimelineInfo;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A branch of a 1 GiB timeline adds at most 1 KiB to the store and copies no page. */
class BranchStorageTest {
    private static final long GIB = 1L << 30;
    private static final int PAGES = (int) (GIB / Pages.PAGE_SIZE);
    private static final int BATCH = 512;
    private static final String[] FAMILIES = {"meta", "pages", "attrs", "dentries"};

    @TempDir
    Path dir;

    @Test
    void branchOfOneGibAddsAtMostOneKib() {
        StoreOptions options = StoreOptions.defaults(dir).withSyncCommits(false).withMemory(64L << 20, 64L << 20);
        try (PageStore store = PageStore.open(options)) {
            TimelineId main = TimelineId.random();
            store.createRoot(main, 0, 0);
            long file = store.create(main, "/relation", 0600, 0, 0).fileId();
            long t0 = System.nanoTime();
            for (int first = 0; first < PAGES; first += BATCH) {
                PageBatch batch = new PageBatch(main).resize(file, (long) (first + BATCH) * Pages.PAGE_SIZE);
                for (int b = first; b < first + BATCH; b++) {
                    batch.write(file, b, page(b));
                }
                store.commit(batch);
            }
            TimelineInfo parent = store.timeline(main);
            assertEquals(PAGES, parent.ownPageVersions());
            assertEquals(GIB, parent.ownPageBytes(), "logical bytes of the parent");
            System.out.printf("loaded 1 GiB (%d pages) in %.1f s%n", PAGES, (System.nanoTime() - t0) / 1e9);

            long[][] before = settledSizes(store);
            TimelineId child = TimelineId.random();
            store.branch(child, main, parent.lastLsn());
            long[][] after = settledSizes(store);

            long addedOnDisk = 0;
            long addedRaw = 0;
            System.out.printf(
                    "  %-9s %28s %28s%n", "family", "SST bytes before -> after", "raw key+value before -> after");
            for (int i = 0; i < FAMILIES.length; i++) {
                System.out.printf(
                        "  %-9s %,13d -> %,11d %,13d -> %,11d%n",
                        FAMILIES[i], before[0][i], after[0][i], before[1][i], after[1][i]);
                addedOnDisk += after[0][i] - before[0][i];
                addedRaw += after[1][i] - before[1][i];
            }
            System.out.printf(
                    "branch of a 1 GiB timeline added %d bytes of keys and values (%d bytes of SST files)%n",
                    addedRaw, addedOnDisk);
            for (int i = 1; i < FAMILIES.length; i++) {
                assertEquals(before[0][i], after[0][i], "branch creation must not touch column family " + FAMILIES[i]);
                assertEquals(before[1][i], after[1][i], "branch creation must not touch column family " + FAMILIES[i]);
            }
            assertTrue(
                    addedRaw > 0 && addedRaw <= 1024,
                    "branch added " + addedRaw + " bytes of keys and values (expected: 1..1024)");
            assertTrue(addedOnDisk <= 1024, "branch added " + addedOnDisk + " bytes of SST files (expected: <= 1024)");

            // The child sees the parent's data without a copy, at either end of the relation.
            long lsn = store.timeline(child).lastLsn();
            for (int b : new int[] {0, PAGES / 2, PAGES - 1}) {
                PageRead read = store.readPage(child, lsn, file, b);
                assertTrue(
                        read instanceof PageRead.Found f && Arrays.equals(page(b), f.page()),
                        "block " + b + " through the branch");
            }
            assertEquals(0, store.timeline(child).ownPageVersions(), "the child owns no page");
        }
    }

    /**
     * Per column family, after flushing and fully compacting the metadata: [0] the SST files' size, [1] the raw
     * (uncompressed) bytes of the keys and values they hold, both from RocksDB's own properties.
     */
    private static long[][] settledSizes(PageStore store) {
        store.flush();
        store.compactFamily("meta");
        long[][] sizes = new long[2][FAMILIES.length];
        for (int i = 0; i < FAMILIES.length; i++) {
            sizes[0][i] = store.familyProperty(FAMILIES[i], "rocksdb.total-sst-files-size");
            String props = store.familyTextProperty(FAMILIES[i], "rocksdb.aggregated-table-properties");
            sizes[1][i] = field(props, "raw key size") + field(props, "raw value size");
        }
        return sizes;
    }

    private static long field(String props, String name) {
        Matcher m = Pattern.compile(Pattern.quote(name) + "=(\\d+)").matcher(props);
        assertTrue(m.find(), "RocksDB property has no \"" + name + "\": " + props);
        return Long.parseLong(m.group(1));
    }

    /**
     * A full page with a header unique to the block (no zeros, so it is stored whole, not as a delta on zeros: the
     * timeline holds 1 GiB of page bytes), that compresses to little on disk.
     */
    private static byte[] page(int block) {
        byte[] p = new byte[Pages.PAGE_SIZE];
        java.util.Arrays.fill(p, (byte) 0x5A);
        for (int i = 0; i < 8; i++) {
            p[i] = (byte) (block >>> (8 * (i % 4)));
        }
        p[Pages.PAGE_SIZE - 1] = (byte) block;
        return p;
    }
}
