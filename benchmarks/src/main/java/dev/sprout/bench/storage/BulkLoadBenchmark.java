package dev.sprout.bench.storage;

import dev.sprout.bench.storage.dataset.PageImages;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.StoreOptions;
import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.page.Pages;
import dev.sprout.storage.timeline.TimelineId;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
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

/**
 * Bulk load of 8 KiB pages (a {@code pg_restore} or a base backup arriving): one thread appends batches of
 * {@code batchPages} new pages to 1 GiB segment files, each batch one {@code commit} with the default, synced
 * options. MB/s is {@code batchPages x 8192 / mean time per commit}; the goal is at least half of
 * {@link DiskBaselineBenchmark#sequentialWrite} with the same batch size.
 *
 * <p>Each trial starts from an empty store and runs long enough (about 35 s, several GB) for memtable
 * flushes and level-0 compactions to take their share, as they would in a sustained load.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx2g"})
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 3, time = 10)
@Threads(1)
@State(Scope.Benchmark)
public class BulkLoadBenchmark {
    /** PostgreSQL's 1 GiB segment size, in blocks. */
    private static final int SEGMENT_BLOCKS = 131_072;
    /** 32 MiB of distinct images, reused: creating images is not what is measured. */
    private static final int POOL_PAGES = 4_096;

    @Param({"64", "256"})
    public int batchPages;

    private Path dir;
    private PageStore store;
    private TimelineId timeline;
    private byte[][] pool;
    private int poolNext;
    private int segments;
    private long fileId;
    private int nextBlock;

    @Setup(Level.Trial)
    public void open() {
        if (SEGMENT_BLOCKS % batchPages != 0) {
            throw new IllegalArgumentException(
                    "batchPages " + batchPages + " must divide a segment of " + SEGMENT_BLOCKS + " blocks");
        }
        pool = new PageImages(3).pool(POOL_PAGES);
        dir = BenchEnv.newWorkDir("bulk");
        store = PageStore.open(StoreOptions.defaults(dir));
        timeline = TimelineId.random();
        store.createRoot(timeline, 0, 0);
        nextSegment();
    }

    private void nextSegment() {
        fileId = store.create(timeline, "/16384" + (segments == 0 ? "" : "." + segments), 0600, 0, 0)
                .fileId();
        segments++;
        nextBlock = 0;
    }

    @Benchmark
    public long commitBatch() {
        if (nextBlock == SEGMENT_BLOCKS) {
            nextSegment(); // one synced create per GiB, as PostgreSQL opens its next segment
        }
        int end = nextBlock + batchPages;
        PageBatch batch = new PageBatch(timeline).resize(fileId, (long) end * Pages.PAGE_SIZE);
        for (int block = nextBlock; block < end; block++) {
            batch.write(fileId, block, pool[poolNext]);
            poolNext = (poolNext + 1) % POOL_PAGES;
        }
        nextBlock = end;
        return store.commit(batch);
    }

    @TearDown(Level.Trial)
    public void close() {
        long pages = (long) (segments - 1) * SEGMENT_BLOCKS + nextBlock;
        BenchEnv.log(
                "bulk load of %d-page batches: %,d pages (%.2f GiB of images), %.2f GiB on disk",
                batchPages,
                pages,
                pages * Pages.PAGE_SIZE / (double) (1L << 30),
                BenchEnv.treeBytes(dir) / (double) (1L << 30));
        store.close();
        BenchEnv.deleteTree(dir);
    }
}
