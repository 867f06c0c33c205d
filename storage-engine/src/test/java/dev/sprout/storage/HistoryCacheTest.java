package dev.sprout.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.page.PageRead;
import dev.sprout.storage.page.PageRef;
import dev.sprout.storage.page.Pages;
import dev.sprout.storage.timeline.TimelineId;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads through to an ancestor are shared between branches (the engine's history cache), and each branch still
 * reads its own point: a parent that keeps rewriting, truncating and regrowing a file, children branched between
 * its changes, a grandchild, all read in a shuffled order, single and batched, each against what its point holds.
 */
class HistoryCacheTest {
    private static final int BLOCKS = 24;

    @TempDir
    Path dir;

    private static byte[] page(int version, int block) {
        byte[] p = new byte[Pages.PAGE_SIZE];
        Arrays.fill(p, (byte) (version * 31 + block));
        return p;
    }

    private record Point(TimelineId child, int[] versions) {}

    @Test
    void everyBranchReadsItsOwnPointThroughTheSharedHistory() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        try (PageStore store =
                PageStore.open(StoreOptions.defaults(dir).withSyncCommits(false).withMemory(8 << 20, 4 << 20))) {
            TimelineId parent = TimelineId.random();
            store.createRoot(parent, 0, 0);
            long file = store.create(parent, "/rel", 0600, 0, 0).fileId();
            int[] versions = new int[BLOCKS]; // 0: absent
            long size = 0;
            List<Point> points = new ArrayList<>();
            for (int v = 1; v <= 12; v++) {
                PageBatch batch = new PageBatch(parent);
                if (v % 5 == 0) { // truncate to a few blocks: the rest reads absent at this point
                    int keep = rnd.nextInt(BLOCKS / 2);
                    size = (long) keep * Pages.PAGE_SIZE;
                    batch.resize(file, size);
                    for (int b = keep; b < BLOCKS; b++) {
                        versions[b] = 0;
                    }
                } else {
                    size = (long) BLOCKS * Pages.PAGE_SIZE;
                    batch.resize(file, size);
                    for (int b = 0; b < BLOCKS; b++) {
                        if (versions[b] == 0 || rnd.nextBoolean()) {
                            batch.write(file, b, page(v, b));
                            versions[b] = v;
                        }
                    }
                }
                long lsn = store.commit(batch);
                TimelineId child = TimelineId.random();
                store.branch(child, parent, lsn);
                points.add(new Point(child, versions.clone()));
                if (v == 6) { // a grandchild of this point's child: two levels of history
                    TimelineId grandchild = TimelineId.random();
                    store.branch(grandchild, child, store.timeline(child).lastLsn());
                    points.add(new Point(grandchild, versions.clone()));
                }
            }
            for (int round = 0; round < 4; round++) {
                List<Point> order = new ArrayList<>(points);
                java.util.Collections.shuffle(order, rnd);
                for (Point p : order) {
                    long head = store.timeline(p.child()).lastLsn();
                    List<PageRef> refs = new ArrayList<>();
                    for (int b = 0; b < BLOCKS; b++) {
                        refs.add(new PageRef(file, b));
                    }
                    List<PageRead> batched = store.readPages(p.child(), head, refs);
                    for (int b = 0; b < BLOCKS; b++) {
                        PageRead single = store.readPage(p.child(), head, file, b);
                        for (PageRead r : List.of(single, batched.get(b))) {
                            String where = "seed " + seed + ", round " + round + ", block " + b;
                            if (p.versions()[b] == 0) {
                                assertInstanceOf(PageRead.Absent.class, r, where);
                            } else {
                                byte[] got = assertInstanceOf(PageRead.Found.class, r, where)
                                        .page();
                                assertEquals(page(p.versions()[b], b)[0], got[0], where);
                            }
                        }
                    }
                }
            }
        }
    }
}
