package dev.sprout.bench.storage;

import dev.sprout.bench.storage.dataset.Dataset;
import dev.sprout.bench.storage.dataset.DatasetStore;
import dev.sprout.bench.storage.dataset.PreparedDataset;
import dev.sprout.bench.storage.dataset.ReadPoint;
import dev.sprout.bench.storage.dataset.StoreClone;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.StoreOptions;
import dev.sprout.storage.page.PageRead;
import dev.sprout.storage.timeline.TimelineId;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.UnaryOperator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * GetPage@LSN: {@code store.readPage(timeline, lsn, file, random block)} on one file of 24,576 blocks, from a
 * hard-link clone of a persistent dataset that already holds every timeline the variants read (see
 * {@code ReadChains}), so that all variants read the same settled store and no trial writes anything.
 *
 * <ul>
 *   <li>{@code versions}: every block written once, or ten times (reads at the head find the newest of ten).</li>
 *   <li>{@code via}: {@code direct} reads the timeline holding the data. {@code 5-levels} reads the deepest of
 *       five stacked branches that each wrote 64 other blocks of the file (the engine skips them by their block
 *       maps). {@code 5-levels-rewritten} reads the deepest of five such branches whose four intermediate levels
 *       also rewrote every block after the next branch was taken, so each costs a RocksDB lookup that misses.
 *       Goal: reading through five ancestor levels costs at most 2x a direct read.</li>
 *   <li>{@code cache}: {@code warm} repeats reads over a working set of {@value #WARM_SET} blocks (16 MiB of
 *       images) with the default 256 MiB block cache: everything is in memory. {@code cold} reads random blocks
 *       of the whole file through an {@value #COLD_CACHE_MIB} MiB block cache and drops the OS page cache before
 *       every (short) iteration, when running as root (otherwise the OS cache may hold the files, which is
 *       logged). {@code cold-<N>MiB} is the same with an N MiB block cache (a diagnostic). After each cold
 *       iteration the bytes this process read from the disk per page read are logged: a few KiB means the
 *       reads really went to the disk; much less means the OS cache served part of them.</li>
 * </ul>
 * Pages/s is threads / mean latency. Parameters are named so that JMH, which varies the alphabetically last one
 * fastest, runs {@code direct} and its chains back to back.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 6, time = 1)
public class GetPageBenchmark {
    static final int WARM_SET = 2_048;
    static final int COLD_CACHE_MIB = 8;

    /** One store shared by the benchmark's threads. */
    @State(Scope.Benchmark)
    public static class Store {
        @Param({"warm", "cold"})
        public String cache;

        @Param({"1", "10"})
        public int versions;

        /** How the read reaches the data: see the class comment. */
        @Param({"direct", "5-levels", "5-levels-rewritten"})
        public String via;

        StoreClone clone;
        PageStore store;
        TimelineId timeline;
        long lsn;
        long file;
        /** Blocks [0, readable) are read; the chains' own writes lie past them. */
        int readable;
        /** Warm: the blocks to read. Cold: null, read any block below {@code readable}. */
        int[] workingSet;
        /** Cold only: page reads in the current iteration, and the process's disk reads before it. */
        final LongAdder reads = new LongAdder();

        private long readBytesBefore;
        private boolean dropRefusedLogged;

        @Setup(Level.Trial)
        public void open() {
            PreparedDataset data = DatasetStore.prepare(
                    switch (versions) {
                        case 1 -> Dataset.GETPAGE_1V;
                        case 10 -> Dataset.GETPAGE_10V;
                        default -> throw new IllegalArgumentException("versions " + versions + " (expected: 1 or 10)");
                    });
            boolean cold = !cache.equals("warm");
            UnaryOperator<StoreOptions> options =
                    cold ? o -> o.withMemory(coldCacheBytes(cache), o.writeBufferBytes()) : o -> o;
            ReadPoint point = data.readPoint(via);
            clone = StoreClone.open(data, options);
            store = clone.store();
            file = data.file(0);
            readable = data.readableBlocks();
            timeline = point.timeline();
            lsn = point.lsn();
            long started = System.nanoTime();
            read(0);
            long firstMicros = (System.nanoTime() - started) / 1_000;
            if (!cold) {
                workingSet = new SplittableRandom(42)
                        .ints(0, readable)
                        .distinct()
                        .limit(Math.min(WARM_SET, readable))
                        .toArray();
                for (int block : workingSet) {
                    read(block);
                }
            }
            BenchEnv.log(
                    "GetPage on %s: %d version(s), %s, %s cache; reading timeline %s at LSN %d; first read after "
                            + "open took %,d µs",
                    clone.directory(), versions, via, cache, timeline, lsn, firstMicros);
        }

        private static long coldCacheBytes(String cache) {
            if (cache.equals("cold")) {
                return (long) COLD_CACHE_MIB << 20;
            }
            if (cache.startsWith("cold-") && cache.endsWith("MiB")) {
                return Long.parseLong(cache.substring("cold-".length(), cache.length() - "MiB".length())) << 20;
            }
            throw new IllegalArgumentException("cache " + cache + " (expected: warm, cold or cold-<N>MiB)");
        }

        @Setup(Level.Iteration)
        public void dropCaches() {
            if (workingSet != null) {
                return;
            }
            if (!BenchEnv.dropOsCaches() && !dropRefusedLogged) {
                dropRefusedLogged = true;
                BenchEnv.log("cannot drop the OS page cache (not root?): cold reads may be served from it");
            }
            reads.reset();
            readBytesBefore = BenchEnv.storageReadBytes().orElse(-1);
        }

        @TearDown(Level.Iteration)
        public void reportIteration() {
            long after = BenchEnv.storageReadBytes().orElse(-1);
            long n = reads.sum();
            if (workingSet == null && readBytesBefore >= 0 && after >= 0 && n > 0) {
                BenchEnv.log(
                        "%,d page reads, %.1f KiB read from disk per page read",
                        n, (after - readBytesBefore) / 1024.0 / n);
            }
            long compactions = store.rocksProperty("rocksdb.num-running-compactions");
            if (compactions > 0) {
                BenchEnv.log(
                        "%d RocksDB compaction(s) running in the background at the end of this iteration", compactions);
            }
        }

        byte[] read(int block) {
            if (store.readPage(timeline, lsn, file, block) instanceof PageRead.Found found) {
                return found.page();
            }
            throw new IllegalStateException(
                    "block " + block + " of file " + file + " is absent on " + timeline + " at LSN " + lsn);
        }

        @TearDown(Level.Trial)
        public void close() {
            clone.close();
        }
    }

    /** Each thread's own random sequence. */
    @State(Scope.Thread)
    public static class Cursor {
        SplittableRandom random;

        @Setup(Level.Trial)
        public void seed(ThreadParams thread) {
            random = new SplittableRandom(1_000 + thread.getThreadIndex());
        }

        int next(Store s) {
            if (s.workingSet != null) {
                return s.workingSet[random.nextInt(s.workingSet.length)];
            }
            s.reads.increment();
            return random.nextInt(s.readable);
        }
    }

    @Benchmark
    @Threads(1)
    public byte[] oneThread(Store s, Cursor c) {
        return s.read(c.next(s));
    }

    @Benchmark
    @Threads(2)
    public byte[] twoThreads(Store s, Cursor c) {
        return s.read(c.next(s));
    }
}
