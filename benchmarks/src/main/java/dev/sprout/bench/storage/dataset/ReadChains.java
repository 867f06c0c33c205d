package dev.sprout.bench.storage.dataset;

import dev.sprout.storage.PageStore;
import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.timeline.TimelineId;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * The branch chains that GetPage@LSN reads through, built into the GetPage datasets when they are generated, so
 * that every variant of the benchmark reads the very same settled store (no trial writes, flushes or compacts)
 * and only the read path differs. With {@code readable} = blocks - {@value #LEVEL_PAGES}, the readers read
 * blocks [0, readable) of the data file:
 *
 * <ul>
 *   <li>{@value #DIRECT}: the data timeline itself, at its head.</li>
 *   <li>{@value #CHAIN}: the deepest of five branches stacked on the data timeline; each level wrote
 *       {@value #LEVEL_PAGES} pages of the same file, blocks [readable, blocks), which are never read. A read
 *       passes five levels that hold keys of the file but not of the block, then finds the data.</li>
 *   <li>{@value #REWRITTEN}: the deepest of five other stacked branches, each of which also wrote those
 *       {@value #LEVEL_PAGES} pages; in addition, each of the four intermediate levels rewrote every readable
 *       block after the next branch was taken from it. Such a level holds keys of the file below the LSN the
 *       level above reads it at (its first write of the file came before the branch) and keys of every block,
 *       but no version of the block that is visible there: neither the per-file first LSN nor the block map
 *       lets the engine skip it, and the read does a RocksDB lookup that misses, at each of the four levels,
 *       before it finds the data. The deepest level, where the read starts, is skipped by its block map. This
 *       is the worst case: a chain whose ancestors kept rewriting the relation after branching.</li>
 * </ul>
 */
final class ReadChains {
    static final String DIRECT = "direct";
    static final String CHAIN = "5-levels";
    static final String REWRITTEN = "5-levels-rewritten";
    static final int LEVELS = 5;
    static final int LEVEL_PAGES = 64;

    private ReadChains() {}

    /** Pages the chains write: what generation progress counts on top of the data. */
    static long pages(int blocks) {
        return 2L * LEVELS * LEVEL_PAGES + (long) (LEVELS - 1) * (blocks - LEVEL_PAGES);
    }

    /** Builds both chains over {@code data} (whose head is {@code head}) and returns the three read points. */
    static Map<String, ReadPoint> build(
            PageStore store,
            TimelineId data,
            long head,
            long file,
            int blocks,
            PageImages images,
            IntConsumer progress) {
        int readable = blocks - LEVEL_PAGES;
        Map<String, ReadPoint> points = new LinkedHashMap<>();
        points.put(DIRECT, new ReadPoint(data, head));

        TimelineId parent = data;
        long lsn = head;
        for (int level = 1; level <= LEVELS; level++) {
            TimelineId child = TimelineId.random();
            store.branch(child, parent, lsn);
            lsn = writeLevelPages(store, child, file, readable, blocks, images);
            parent = child;
        }
        points.put(CHAIN, new ReadPoint(parent, lsn));

        parent = data;
        lsn = head;
        for (int level = 1; level <= LEVELS; level++) {
            TimelineId child = TimelineId.random();
            store.branch(child, parent, lsn);
            if (level > 1) {
                rewrite(store, parent, file, readable, images, progress); // after `child` branched from it
            }
            lsn = writeLevelPages(store, child, file, readable, blocks, images);
            parent = child;
        }
        points.put(REWRITTEN, new ReadPoint(parent, lsn));
        return points;
    }

    /** Writes blocks [readable, blocks) on {@code level}; returns the commit's LSN. */
    private static long writeLevelPages(
            PageStore store, TimelineId level, long file, int readable, int blocks, PageImages images) {
        PageBatch batch = new PageBatch(level);
        for (int block = readable; block < blocks; block++) {
            batch.write(file, block, images.next());
        }
        return store.commit(batch);
    }

    private static void rewrite(
            PageStore store, TimelineId timeline, long file, int readable, PageImages images, IntConsumer progress) {
        for (int first = 0; first < readable; first += DatasetStore.BATCH_PAGES) {
            int end = Math.min(first + DatasetStore.BATCH_PAGES, readable);
            PageBatch batch = new PageBatch(timeline);
            for (int block = first; block < end; block++) {
                batch.write(file, block, images.next());
            }
            store.commit(batch);
            progress.accept(end - first);
        }
    }
}
