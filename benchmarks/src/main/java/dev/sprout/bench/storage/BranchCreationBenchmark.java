package dev.sprout.bench.storage;

import dev.sprout.bench.storage.dataset.Dataset;
import dev.sprout.bench.storage.dataset.DatasetStore;
import dev.sprout.bench.storage.dataset.PreparedDataset;
import dev.sprout.bench.storage.dataset.StoreClone;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.storage.timeline.TimelineInfo;
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
 * Branch creation latency on a parent holding 10 MiB and 10 GiB of pages. The architecture promises that a
 * branch is one synced timeline record, so its cost must not grow with the parent (goal: p99 &lt;= 5 ms, and
 * 10 GiB / 10 MiB &lt;= 1.2).
 *
 * <p>Each operation is {@code store.branch(TimelineId.random(), parent, head LSN)}. With {@code commits=synced}
 * (the default options, and the goal's measure) the WAL sync dominates; its floor, a 64-byte append plus
 * {@code fdatasync} on the same disk, is {@link DiskBaselineBenchmark#syncedRecord}. Because this disk's sync
 * latency drifts by more than the 20% the goal allows between trials a minute apart, {@code commits=unsynced}
 * ({@code withSyncCommits(false)}) measures the same operation without the sync: everything the engine itself
 * does, which is where a dependence on the parent's size would show. Every trial works on a hard-link clone of the persistent dataset
 * (see {@link StoreClone}), so the thousands of branches it creates never reach the dataset later runs reuse.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx2g"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 4, time = 5)
@Threads(1)
@State(Scope.Benchmark)
public class BranchCreationBenchmark {

    /** {@code synced}: the default options. {@code unsynced}: {@code withSyncCommits(false)}, the engine's own cost. */
    @Param({"synced", "unsynced"})
    public String commits;

    /** Bytes of page images the parent holds. */
    @Param({"10MiB", "10GiB"})
    public String parentSize;

    private StoreClone clone;
    private PageStore store;
    private TimelineId parent;
    private long lsn;

    @Setup(Level.Trial)
    public void open() {
        PreparedDataset dataset = DatasetStore.prepare(
                switch (parentSize) {
                    case "10MiB" -> Dataset.BRANCH_10MIB;
                    case "10GiB" -> Dataset.BRANCH_10GIB;
                    default ->
                        throw new IllegalArgumentException("parentSize " + parentSize + " (expected: 10MiB or 10GiB)");
                });
        boolean sync = switch (commits) {
            case "synced" -> true;
            case "unsynced" -> false;
            default -> throw new IllegalArgumentException("commits " + commits + " (expected: synced or unsynced)");
        };
        clone = StoreClone.open(dataset, o -> o.withSyncCommits(sync));
        store = clone.store();
        parent = dataset.timeline();
        lsn = store.timeline(parent).lastLsn();
        BenchEnv.log(
                "branching %s, %s (%.2f GiB of images, %.2f GiB on disk) at LSN %d in %s",
                parentSize,
                commits,
                dataset.shape().imageBytes() / (double) (1L << 30),
                dataset.storeBytes() / (double) (1L << 30),
                lsn,
                clone.directory());
    }

    @Benchmark
    public TimelineInfo branch() {
        return store.branch(TimelineId.random(), parent, lsn);
    }

    @TearDown(Level.Trial)
    public void close() {
        clone.close();
    }
}
