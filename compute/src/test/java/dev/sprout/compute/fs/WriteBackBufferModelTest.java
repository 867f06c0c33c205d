package dev.sprout.compute.fs;

import static dev.sprout.compute.fs.PageFs.PAGE_SIZE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sprout.protocol.client.PageResult;
import dev.sprout.protocol.client.PagesRead;
import dev.sprout.protocol.v1.PageRef;
import dev.sprout.protocol.v1.PageWrite;
import dev.sprout.protocol.v1.Resize;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Model-based randomized test of {@link WriteBackBuffer} alone, against a plain byte array per file: random writes
 * (partial pages, across pages, past the end), truncations down and up, reads, fsyncs and syncAlls, with a clean
 * cache of a few pages and a small dirty limit, so that evictions and commits forced by the limit happen all the
 * time. The page source is in memory ({@link MemorySource}: fast, and it checks the commit contract: whole pages,
 * sizes before pages, no page past its size, no read past the stored size); some of its commits fail, before or
 * after they apply, and the buffer must lose nothing. Every 1,000 operations everything is synced and a new, empty
 * buffer on the same source must read exactly the model. {@link PageFsModelTest} does the same end to end over a
 * real pageserver.
 *
 * <p>Replay a failure with {@code -Dsprout.seed=N}; change the length with {@code -Dsprout.modelOps=N}.
 */
class WriteBackBufferModelTest {
    private static final int OPS = Integer.getInteger("sprout.modelOps", 30_000);
    private static final int FILES = 3;
    private static final int CHECK_EVERY = 1_000;
    /** Files stay under 40 pages, so that writes and truncations often meet the same pages. */
    private static final int MAX_SIZE = 40 * PAGE_SIZE;
    /** Clean pages: about 7. Dirty pages: 12 before every file is committed. */
    private static final FsOptions OPTIONS =
            FsOptions.defaults(0, 0).withCacheBytes(64 * 1024).withDirtyLimitBytes(96 * 1024);

    private int step;

    @Test
    void randomWritesTruncatesAndReadsMatchAByteArray() {
        long seed = Long.getLong("sprout.seed", new SecureRandom().nextLong());
        System.out.println("WriteBackBufferModelTest seed " + seed + " (replay: -Dsprout.seed=" + seed + ")");
        try {
            run(seed);
        } catch (Throwable e) {
            throw new AssertionError(
                    "model test failed at step " + step + " with seed " + seed + " (replay: -Dsprout.seed=" + seed
                            + ")",
                    e);
        }
    }

    private void run(long seed) {
        Random rnd = new Random(seed);
        MemorySource source = new MemorySource(new Random(rnd.nextLong()));
        FsStats stats = new FsStats();
        WriteBackBuffer buffer = new WriteBackBuffer(source, OPTIONS, stats);
        byte[][] model = new byte[FILES][];
        int[] nextRead = new int[FILES];
        for (int f = 0; f < FILES; f++) {
            buffer.created(id(f));
            model[f] = new byte[0];
        }
        int injectedFailures = 0;
        for (step = 0; step < OPS; step++) {
            int f = rnd.nextInt(FILES);
            source.failing = rnd.nextInt(100) < 3; // this operation's commits may fail (3%)
            int kind = rnd.nextInt(100);
            try {
                if (kind < 45) { // write: often inside one page, sometimes across pages or past the end
                    int offset = rnd.nextInt(MAX_SIZE - 1);
                    int length = Math.min(1 + rnd.nextInt(rnd.nextBoolean() ? 600 : 3 * PAGE_SIZE), MAX_SIZE - offset);
                    byte[] data = new byte[length];
                    rnd.nextBytes(data);
                    // The model first: a write whose forced commit fails is still written (not yet committed).
                    if (offset + length > model[f].length) {
                        model[f] = Arrays.copyOf(model[f], offset + length); // a hole reads as zeros
                    }
                    System.arraycopy(data, 0, model[f], offset, length);
                    assertEquals(length, buffer.write(id(f), ByteBuffer.wrap(data), length, offset));
                } else if (kind < 55) { // truncate: down (often into the middle of a page), or up (zeros)
                    int size = rnd.nextInt(MAX_SIZE);
                    model[f] = Arrays.copyOf(model[f], size);
                    buffer.truncate(id(f), size);
                } else if (kind < 72) { // read a range, sometimes running past the end
                    assertRead(buffer, id(f), model[f], rnd.nextInt(MAX_SIZE), 1 + rnd.nextInt(2 * PAGE_SIZE));
                } else if (kind < 90) { // read on from where this file's last such read ended: readahead's case
                    int length = 1 + rnd.nextInt(2 * PAGE_SIZE);
                    assertRead(buffer, id(f), model[f], nextRead[f], length);
                    nextRead[f] = nextRead[f] + length >= MAX_SIZE ? 0 : nextRead[f] + length;
                } else if (kind < 97) {
                    buffer.fsync(id(f));
                } else {
                    buffer.syncAll();
                }
            } catch (FsException e) {
                if (!e.getMessage().startsWith(MemorySource.INJECTED)) {
                    throw e;
                }
                injectedFailures++;
            }
            source.failing = false;
            if (step % 7 == 0) {
                assertEquals(model[f].length, buffer.size(id(f)), "size of file " + f);
            }
            if (step % CHECK_EVERY == CHECK_EVERY - 1) {
                // Everything committed, then read back through a new, empty buffer on the same source.
                buffer.syncAll();
                assertEquals(0, buffer.dirtyBytes(), "dirty bytes after syncAll");
                WriteBackBuffer fresh = new WriteBackBuffer(source, OPTIONS, new FsStats());
                for (int g = 0; g < FILES; g++) {
                    assertEquals(model[g].length, source.size(id(g)), "stored size of file " + g);
                    fresh.found(id(g), source.size(id(g)));
                    assertRead(fresh, id(g), model[g], 0, model[g].length + 1);
                }
            }
        }
        System.out.println("WriteBackBufferModelTest: " + OPS + " operations, " + injectedFailures
                + " failed by injected commit failures; " + stats);
        // The run exercised what it is for: evictions (pages read again) and commits forced by the dirty limit.
        assertTrue(stats.pressureFlushes() > 0, "the dirty limit forced commits: " + stats);
        assertTrue(stats.pagesRead() > 0, "pages were read from the source: " + stats);
        assertTrue(injectedFailures > 0, "some commits failed");
    }

    /**
     * A cold file read 8 KiB at a time from its start, as PostgreSQL reads a WAL segment in recovery or a table in a
     * sequential scan: the blocks after each miss come in the same round trip, the window growing from
     * {@link WriteBackBuffer#READAHEAD_MIN} to {@link WriteBackBuffer#READAHEAD_MAX}; a read elsewhere does not.
     */
    @Test
    void aSequentialReadFetchesAheadInFewRoundTrips() {
        MemorySource source = new MemorySource(new Random(2));
        int blocks = 200;
        byte[] data = new byte[blocks * PAGE_SIZE];
        new Random(3).nextBytes(data);
        WriteBackBuffer writer = new WriteBackBuffer(source, FsOptions.defaults(0, 0), new FsStats());
        writer.created(1);
        writer.write(1, ByteBuffer.wrap(data), data.length, 0);
        writer.fsync(1);

        FsStats stats = new FsStats();
        WriteBackBuffer cold = new WriteBackBuffer(source, FsOptions.defaults(0, 0), stats);
        cold.found(1, source.size(1));
        for (int b = 0; b < blocks; b++) {
            assertRead(cold, 1, data, b * PAGE_SIZE, PAGE_SIZE);
        }
        // 1 block, then 1 + 16, 1 + 32, 1 + 64 and the 85 left: five round trips instead of 200
        assertEquals(5, stats.getPagesCalls(), stats.toString());
        assertEquals(blocks, stats.pagesRead(), "every block fetched once: " + stats);

        FsStats scattered = new FsStats();
        WriteBackBuffer random = new WriteBackBuffer(source, FsOptions.defaults(0, 0), scattered);
        random.found(1, source.size(1));
        for (int b = 0; b < blocks; b += 3) {
            assertRead(random, 1, data, b * PAGE_SIZE, PAGE_SIZE);
        }
        assertEquals(scattered.getPagesCalls(), scattered.pagesRead(), "no readahead off the sequence: " + scattered);
    }

    /**
     * Reads of one file from several threads at once, as PostgreSQL's parallel scan and the kernel's concurrent
     * readahead send them: every read returns the file's bytes, and every block is fetched from the source once
     * (a read that needs a block another read is fetching waits for that fetch).
     */
    @Test
    void readsOfOneFileAtOnceFetchEachBlockOnce() throws Exception {
        MemorySource source = new MemorySource(new Random(4));
        int blocks = 512;
        int chunk = 16; // 128 KiB, what the kernel asks for at a time
        byte[] data = new byte[blocks * PAGE_SIZE];
        new Random(5).nextBytes(data);
        WriteBackBuffer writer = new WriteBackBuffer(source, FsOptions.defaults(0, 0), new FsStats());
        writer.created(1);
        writer.write(1, ByteBuffer.wrap(data), data.length, 0);
        writer.fsync(1);

        WriteBackBuffer.PageSource slow = new WriteBackBuffer.PageSource() {
            @Override
            public PagesRead getPages(long lsn, List<PageRef> refs) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // a round trip: fetches overlap
                return source.getPages(lsn, refs);
            }

            @Override
            public long commit(List<PageWrite> pages, List<Resize> resizes) {
                return source.commit(pages, resizes);
            }
        };
        FsStats stats = new FsStats();
        WriteBackBuffer cold = new WriteBackBuffer(slow, FsOptions.defaults(0, 0), stats);
        cold.found(1, source.size(1));
        int threads = 4;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
            List<java.util.concurrent.Future<?>> readers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                readers.add(pool.submit(() -> {
                    start.await();
                    for (int c = first; c < blocks / chunk; c += threads) { // chunks handed out in turn
                        assertRead(cold, 1, data, c * chunk * PAGE_SIZE, chunk * PAGE_SIZE);
                    }
                    return null;
                }));
            }
            for (var r : readers) {
                r.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(blocks, stats.pagesRead(), "every block fetched once: " + stats);
    }

    /**
     * The case the model test found (seed -5744665340503705434): a truncation whose commit failed, then a write
     * that grew the file back past the cut. The cut's zeros must reach the pageserver, or the pages it cut come back.
     */
    @Test
    void aCutWhoseCommitFailedStillReachesTheSourceWhenAWriteGrowsTheFileBack() {
        MemorySource source = new MemorySource(new Random(1));
        WriteBackBuffer buffer = new WriteBackBuffer(source, OPTIONS, new FsStats());
        buffer.created(1);
        byte[] ones = new byte[4 * PAGE_SIZE];
        Arrays.fill(ones, (byte) 1);
        buffer.write(1, ByteBuffer.wrap(ones), ones.length, 0);
        buffer.fsync(1);
        source.failNext = true;
        FsException e = assertThrows(FsException.class, () -> buffer.truncate(1, PAGE_SIZE + 100));
        assertTrue(e.getMessage().startsWith(MemorySource.INJECTED), e.getMessage());
        buffer.write(1, ByteBuffer.wrap(new byte[] {2}), 1, 4 * PAGE_SIZE - 1);
        buffer.fsync(1);

        byte[] expected = new byte[4 * PAGE_SIZE];
        Arrays.fill(expected, 0, PAGE_SIZE + 100, (byte) 1);
        expected[4 * PAGE_SIZE - 1] = 2;
        assertRead(buffer, 1, expected, 0, expected.length);
        WriteBackBuffer fresh = new WriteBackBuffer(source, OPTIONS, new FsStats());
        fresh.found(1, source.size(1));
        assertRead(fresh, 1, expected, 0, expected.length);
    }

    @Test
    void aDiscardedBufferCommitsNothingMoreAndStillReadsWhatWasWritten() {
        MemorySource source = new MemorySource(new Random(2));
        WriteBackBuffer buffer = new WriteBackBuffer(source, OPTIONS, new FsStats());
        buffer.created(1);
        byte[] committed = new byte[3 * PAGE_SIZE];
        Arrays.fill(committed, (byte) 1);
        buffer.write(1, ByteBuffer.wrap(committed), committed.length, 0);
        buffer.fsync(1);
        long lsn = source.lsn();

        buffer.discard();
        // far past the dirty limit (96 KiB), which would otherwise commit everything
        byte[] model = Arrays.copyOf(committed, 30 * PAGE_SIZE);
        Arrays.fill(model, PAGE_SIZE, model.length, (byte) 7);
        byte[] sevens = Arrays.copyOfRange(model, PAGE_SIZE, model.length);
        buffer.write(1, ByteBuffer.wrap(sevens), sevens.length, PAGE_SIZE);
        buffer.fsync(1);
        buffer.truncate(1, 20 * PAGE_SIZE + 10);
        buffer.syncAll();
        model = Arrays.copyOf(model, 20 * PAGE_SIZE + 10);

        assertEquals(lsn, source.lsn(), "a discarded buffer committed something");
        assertEquals(3L * PAGE_SIZE, source.size(1));
        assertRead(buffer, 1, model, 0, model.length);
    }

    private static long id(int f) {
        return 100L + f;
    }

    private static void assertRead(WriteBackBuffer buffer, long fileId, byte[] model, int offset, int length) {
        ByteBuffer out = ByteBuffer.allocate(length);
        int n = buffer.read(fileId, out, length, offset);
        int expected = Math.max(0, Math.min(length, model.length - offset));
        assertEquals(expected, n, "file " + fileId + ": bytes read at " + offset + " of " + model.length);
        byte[] got = new byte[n];
        out.get(0, got);
        int from = Math.min(offset, model.length);
        for (int i = 0; i < n; i++) {
            if (got[i] != model[from + i]) {
                assertArrayEquals(
                        Arrays.copyOfRange(model, from, from + n),
                        got,
                        "file " + fileId + ": first difference at byte "
                                + (from + i) + " (block " + (from + i) / PAGE_SIZE + ", offset in block "
                                + (from + i) % PAGE_SIZE
                                + ") of a read at " + offset + ".." + (offset + n) + " of a file of " + model.length
                                + " bytes");
            }
        }
    }

    /**
     * The pageserver's page path in memory: pages and sizes per file, a commit applying sizes and then pages at a new
     * LSN, and a truncation dropping the pages past the new size. It asserts what the buffer promises the pageserver.
     * When {@link #failing}, a commit fails half the time, before or after it applied (an answer lost).
     */
    static final class MemorySource implements WriteBackBuffer.PageSource {
        static final String INJECTED = "injected: ";

        private final Random rnd;
        private final Map<Long, TreeMap<Integer, ByteString>> pages = new HashMap<>();
        private final Map<Long, Long> sizes = new HashMap<>();
        private long lsn;
        boolean failing;
        /** The next commit fails before it applies. */
        boolean failNext;

        MemorySource(Random rnd) {
            this.rnd = rnd;
        }

        synchronized long lsn() {
            return lsn;
        }

        synchronized long size(long fileId) {
            return sizes.getOrDefault(fileId, 0L);
        }

        @Override
        public synchronized PagesRead getPages(long atLsn, List<PageRef> refs) {
            assertEquals(0, atLsn, "reads of a file with a name go to the head");
            List<PageResult> out = new ArrayList<>(refs.size());
            for (PageRef r : refs) {
                assertTrue(
                        (long) r.getBlock() * PAGE_SIZE < size(r.getFileId()),
                        "block " + r.getBlock() + " of file "
                                + r.getFileId() + " is read although it lies past the stored size "
                                + size(r.getFileId())
                                + " (it must read as zeros without asking)");
                ByteString page =
                        pages.getOrDefault(r.getFileId(), new TreeMap<>()).get(r.getBlock());
                out.add(page == null ? PageResult.ABSENT : new PageResult.Found(page, lsn));
            }
            return new PagesRead(lsn, out);
        }

        @Override
        public synchronized long commit(List<PageWrite> writes, List<Resize> resizes) {
            boolean fail = failing && rnd.nextBoolean();
            if (failNext || (fail && rnd.nextBoolean())) {
                failNext = false;
                throw new FsException(FsError.IO, INJECTED + "commit failed before it applied");
            }
            for (Resize r : resizes) {
                sizes.put(r.getFileId(), r.getSize());
                int keep = FileState.blocks(r.getSize());
                pages.computeIfAbsent(r.getFileId(), id -> new TreeMap<>())
                        .tailMap(keep)
                        .clear();
            }
            for (PageWrite w : writes) {
                assertEquals(PAGE_SIZE, w.getData().size(), "a committed page is whole");
                assertTrue(
                        (long) w.getBlock() * PAGE_SIZE < size(w.getFileId()),
                        "block " + w.getBlock() + " of file " + w.getFileId() + " lands past its size "
                                + size(w.getFileId()));
                pages.computeIfAbsent(w.getFileId(), id -> new TreeMap<>()).put(w.getBlock(), w.getData());
            }
            lsn++;
            if (fail) {
                throw new FsException(FsError.IO, INJECTED + "commit applied at " + lsn + ", its answer lost");
            }
            return lsn;
        }
    }
}
