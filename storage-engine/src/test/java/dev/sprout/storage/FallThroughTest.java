package dev.sprout.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.page.PageRead;
import dev.sprout.storage.page.PageRef;
import dev.sprout.storage.page.Pages;
import dev.sprout.storage.timeline.TimelineId;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A chain of branches where every level rewrites some blocks of the same file and one level truncates it, then
 * the middle levels rewrite every block after their children branched: each level reads, for every block, the
 * version of the nearest level that wrote it at or below the LSN it reads there, before and after reopen
 * (block maps are rebuilt lazily), and through single and batched reads.
 */
class FallThroughTest {
    private static final int LEVELS = 6;
    private static final int BLOCKS = 64;

    @TempDir
    Path dir;

    @Test
    void everyLevelSeesTheNearestWriter() {
        StoreOptions options = StoreOptions.defaults(dir).withSyncCommits(false).withMemory(8 << 20, 4 << 20);
        List<TimelineId> chain = new ArrayList<>();
        int[][] expected = new int[LEVELS][BLOCKS]; // level that wrote the visible version, -1 for absent
        long file;
        try (PageStore store = PageStore.open(options)) {
            chain.add(TimelineId.random());
            store.createRoot(chain.getFirst(), 0, 0);
            file = store.create(chain.getFirst(), "/rel", 0600, 0, 0).fileId();
            PageBatch base = new PageBatch(chain.getFirst()).resize(file, (long) BLOCKS * Pages.PAGE_SIZE);
            for (int b = 0; b < BLOCKS; b++) {
                base.write(file, b, page(0, b));
                expected[0][b] = 0;
            }
            store.commit(base);
            for (int level = 1; level < LEVELS; level++) {
                TimelineId child = TimelineId.random();
                store.branch(
                        child, chain.getLast(), store.timeline(chain.getLast()).lastLsn());
                chain.add(child);
                expected[level] = expected[level - 1].clone();
                PageBatch batch = new PageBatch(child);
                if (level == 3) {
                    // Cut the last quarter and grow back: those blocks read as absent (zeros) from here down.
                    batch.resize(file, (long) BLOCKS * 3 / 4 * Pages.PAGE_SIZE)
                            .resize(file, (long) BLOCKS * Pages.PAGE_SIZE);
                    for (int b = BLOCKS * 3 / 4; b < BLOCKS; b++) {
                        expected[level][b] = -1;
                    }
                }
                for (int b = level; b < BLOCKS; b += LEVELS + level) {
                    batch.write(file, b, page(level, b));
                    expected[level][b] = level;
                }
                store.commit(batch);
                store.flush(); // settled levels, as in a long-lived chain
            }
            check(store, chain, file, expected);
            // The intermediate levels keep writing after their children branched off (as `main` does): every
            // block gets a new version there, which the children below must not see.
            for (int level = 1; level < LEVELS - 1; level++) {
                PageBatch rewrite = new PageBatch(chain.get(level));
                for (int b = 0; b < BLOCKS; b++) {
                    rewrite.write(file, b, page(level + 10, b));
                    expected[level][b] = level + 10;
                }
                store.commit(rewrite);
            }
            check(store, chain, file, expected);
        }
        try (PageStore store = PageStore.open(options)) {
            check(store, chain, file, expected);
        }
    }

    private static void check(PageStore store, List<TimelineId> chain, long file, int[][] expected) {
        for (int level = 0; level < LEVELS; level++) {
            TimelineId t = chain.get(level);
            long lsn = store.timeline(t).lastLsn();
            List<PageRef> refs = new ArrayList<>();
            for (int b = 0; b < BLOCKS; b++) {
                refs.add(new PageRef(file, b));
            }
            List<PageRead> batched = store.readPages(t, lsn, refs);
            for (int b = 0; b < BLOCKS; b++) {
                int writer = expected[level][b];
                String where = "level " + level + ", block " + b;
                assertEquals(writer, writerOf(store.readPage(t, lsn, file, b), b), where);
                assertEquals(writer, writerOf(batched.get(b), b), where + " (batched read)");
            }
        }
    }

    private static byte[] page(int level, int block) {
        byte[] p = new byte[Pages.PAGE_SIZE];
        p[0] = (byte) level;
        p[1] = (byte) block;
        p[Pages.PAGE_SIZE - 1] = (byte) (level * 31 + block);
        return p;
    }

    private static int writerOf(PageRead read, int block) {
        if (!(read instanceof PageRead.Found f)) {
            return -1;
        }
        assertEquals((byte) block, f.page()[1], "block number inside the page");
        return f.page()[0];
    }
}
