package dev.sprout.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.storage.error.LsnOutOfRangeException;
import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.timeline.TimelineId;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The change log answers "which blocks got a version on this timeline between two LSNs" from its own index: equal
 * to what the commits wrote (checked against a model of random commits on a parent and a branch, the seed printed),
 * truncation markers included, each timeline's own only, empty for an empty range; refused past the last commit;
 * gone with a deleted timeline.
 */
class ChangeLogTest {
    @TempDir
    Path dir;

    @Test
    void theChangeLogHoldsExactlyTheBlocksEachTimelineWroteInARange() {
        long seed = System.nanoTime();
        System.out.println("ChangeLogTest seed " + seed);
        Random rnd = new Random(seed);
        try (PageStore store = PageStore.open(StoreOptions.defaults(dir).withMemory(8 << 20, 4 << 20))) {
            TimelineId main = TimelineId.random();
            store.createRoot(main, 0, 0);
            long f1 = store.create(main, "/f1", 0600, 0, 0).fileId();
            long f2 = store.create(main, "/f2", 0600, 0, 0).fileId();
            store.commit(new PageBatch(main).resize(f1, 100 * 8192L).resize(f2, 100 * 8192L));
            long fork = store.timeline(main).lastLsn();
            TimelineId child = TimelineId.random();
            store.branch(child, main, fork);
            // model: per timeline, LSN -> blocks written by file
            Map<TimelineId, TreeMap<Long, Map<Long, SortedSet<Integer>>>> model =
                    Map.of(main, new TreeMap<>(), child, new TreeMap<>());
            for (int i = 0; i < 200; i++) {
                TimelineId t = rnd.nextBoolean() ? main : child;
                PageBatch batch = new PageBatch(t);
                Map<Long, SortedSet<Integer>> wrote = new TreeMap<>();
                for (int w = 0; w < 1 + rnd.nextInt(5); w++) {
                    long f = rnd.nextBoolean() ? f1 : f2;
                    int block = rnd.nextInt(100);
                    batch.write(f, block, page(rnd));
                    wrote.computeIfAbsent(f, x -> new TreeSet<>()).add(block);
                }
                long lsn = store.commit(batch);
                model.get(t).put(lsn, wrote);
            }
            long last = store.timeline(main).lastLsn() > store.timeline(child).lastLsn()
                    ? store.timeline(main).lastLsn()
                    : store.timeline(child).lastLsn();
            for (int q = 0; q < 100; q++) {
                TimelineId t = rnd.nextBoolean() ? main : child;
                long a = fork + rnd.nextInt((int) (last - fork + 1));
                long b = a + rnd.nextInt((int) (last - a + 1));
                Map<Long, SortedSet<Integer>> expected = new TreeMap<>();
                model.get(t)
                        .subMap(a, false, b, true)
                        .values()
                        .forEach(m -> m.forEach((f, blocks) -> expected.computeIfAbsent(f, x -> new TreeSet<>())
                                .addAll(blocks)));
                assertEquals(
                        expected,
                        store.changedBlocks(t, a, b),
                        "changes of " + t + " in (" + a + ", " + b + "], seed " + seed);
            }
            assertEquals(Map.of(), store.changedBlocks(child, last, last), "an empty range");

            // a shrink writes markers over stored blocks: those blocks changed too
            long before = store.timeline(child).lastLsn();
            long cut = store.truncate(child, "/f1", 8192);
            SortedSet<Integer> cutBlocks =
                    store.changedBlocks(child, before, cut).get(f1);
            assertTrue(cutBlocks != null && !cutBlocks.isEmpty() && cutBlocks.first() >= 1, "markers: " + cutBlocks);

            assertThrows(LsnOutOfRangeException.class, () -> store.changedBlocks(main, fork, cut + 1000));
            store.deleteTimeline(child);
            assertThrows(RuntimeException.class, () -> store.changedBlocks(child, fork, cut));
            assertEquals(
                    List.of(), List.copyOf(store.changedBlocks(main, cut, cut).keySet()));
        }
    }

    private static byte[] page(Random rnd) {
        byte[] p = new byte[8192];
        rnd.nextBytes(p);
        return p;
    }
}
