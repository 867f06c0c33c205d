package dev.sprout.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.page.PageRead;
import dev.sprout.storage.page.Pages;
import dev.sprout.storage.timeline.TimelineId;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Concurrent synced commits from many writers share WAL syncs, each keeping its own LSN and its own data. */
class GroupCommitTest {
    private static final int WRITERS = 16;
    private static final int COMMITS_EACH = 40;

    @TempDir
    Path dir;

    @Test
    void concurrentCommitsShareSyncs() throws Exception {
        try (PageStore store = PageStore.open(StoreOptions.defaults(dir).withMemory(8 << 20, 8 << 20))) {
            List<TimelineId> timelines = new ArrayList<>();
            List<Long> files = new ArrayList<>();
            TimelineId root = TimelineId.random();
            store.createRoot(root, 0, 0);
            for (int w = 0; w < WRITERS; w++) {
                // Half the writers share the root timeline (different files), half have a branch each.
                TimelineId t = root;
                if (w % 2 == 1) {
                    t = TimelineId.random();
                    store.branch(t, root, store.timeline(root).lastLsn());
                }
                timelines.add(t);
                files.add(store.create(t, "/w" + w, 0600, 0, 0).fileId());
            }
            var before = store.commitStats();
            ConcurrentLinkedQueue<Long> lsns = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < COMMITS_EACH; i++) {
                            byte[] p = new byte[Pages.PAGE_SIZE];
                            p[0] = (byte) writer;
                            p[1] = (byte) i;
                            lsns.add(store.commit(new PageBatch(timelines.get(writer))
                                    .resize(files.get(writer), (long) (i + 1) * Pages.PAGE_SIZE)
                                    .write(files.get(writer), i, p)));
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            start.countDown();
            for (Thread t : threads) {
                t.join();
            }
            assertTrue(failures.isEmpty(), "commit failures: " + failures);
            var after = store.commitStats();
            long commits = after.commits() - before.commits();
            long writes = after.writes() - before.writes();
            System.out.printf(
                    "%d synced commits from %d writers took %d WAL syncs (%.1f commits per sync)%n",
                    commits, WRITERS, writes, (double) commits / writes);
            assertEquals((long) WRITERS * COMMITS_EACH, commits);
            assertTrue(
                    writes < commits * 0.9,
                    "expected syncs to be shared: " + writes + " syncs for " + commits + " commits");

            Set<Long> unique = new TreeSet<>(lsns);
            assertEquals(lsns.size(), unique.size(), "every commit has its own LSN");
            long last = store.lastLsn();
            assertEquals(last - commits + 1, ((TreeSet<Long>) unique).first(), "LSNs are contiguous");
            for (int w = 0; w < WRITERS; w++) {
                for (int i = 0; i < COMMITS_EACH; i++) {
                    PageRead r = store.readPage(timelines.get(w), last, files.get(w), i);
                    assertTrue(
                            r instanceof PageRead.Found f && f.page()[0] == (byte) w && f.page()[1] == (byte) i,
                            "writer " + w + " block " + i);
                }
            }
        }
    }
}
