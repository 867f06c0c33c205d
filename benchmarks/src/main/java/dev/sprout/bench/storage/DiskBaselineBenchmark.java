package dev.sprout.bench.storage;

import dev.sprout.bench.storage.dataset.PageImages;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.storage.page.Pages;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * The disk's own rates, measured in the same run and directory as the storage benchmarks so that each of them
 * can be reported as a fraction of what the hardware allows:
 * <ul>
 *   <li>{@link #sequentialWrite}: append one bulk-load batch worth of bytes ({@code batchPages} x 8 KiB) in
 *       1 MiB writes, then {@code fdatasync} ({@code force(false)}), to a growing file, like a WAL. The ceiling
 *       for {@link BulkLoadBenchmark} with the same batch size.</li>
 *   <li>{@link #syncedRecord}: append 64 bytes, then {@code fdatasync}. The floor for anything that makes one
 *       record durable, such as {@link BranchCreationBenchmark}.</li>
 * </ul>
 * The buffers hold half random, half zero bytes like the pages (the disk does not compress; the choice only
 * keeps the comparison honest should it ever do so).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
        value = 1,
        jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx2g"})
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 3, time = 5)
@Threads(1)
public class DiskBaselineBenchmark {
    private static final int CHUNK = 1 << 20;

    /** A file that grows by one batch per operation. */
    @State(Scope.Thread)
    public static class SequentialFile {
        /** Pages per batch, as in {@link BulkLoadBenchmark}. */
        @Param({"64", "256"})
        public int batchPages;

        Path dir;
        FileChannel channel;
        final ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK);
        int batchBytes;

        @Setup(Level.Trial)
        public void open() throws IOException {
            byte[][] pages = new PageImages(1).pool(CHUNK / Pages.PAGE_SIZE);
            for (byte[] p : pages) {
                chunk.put(p);
            }
            batchBytes = batchPages * Pages.PAGE_SIZE;
            dir = BenchEnv.newWorkDir("disk-seq");
            channel = FileChannel.open(
                    dir.resolve("sequential"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            channel.close();
            BenchEnv.deleteTree(dir);
        }
    }

    /** A file that grows by 64 bytes per operation. */
    @State(Scope.Thread)
    public static class RecordFile {
        Path dir;
        FileChannel channel;
        final ByteBuffer record = ByteBuffer.allocateDirect(64);

        @Setup(Level.Trial)
        public void open() throws IOException {
            record.put(new PageImages(2).next(), 0, 64);
            dir = BenchEnv.newWorkDir("disk-record");
            channel = FileChannel.open(dir.resolve("records"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            channel.close();
            BenchEnv.deleteTree(dir);
        }
    }

    @Benchmark
    public long sequentialWrite(SequentialFile f) throws IOException {
        long written = 0;
        for (int left = f.batchBytes; left > 0; left -= CHUNK) {
            f.chunk.clear().limit(Math.min(CHUNK, left));
            while (f.chunk.hasRemaining()) {
                written += f.channel.write(f.chunk);
            }
        }
        f.channel.force(false);
        return written;
    }

    @Benchmark
    public long syncedRecord(RecordFile f) throws IOException {
        f.record.clear();
        long written = f.channel.write(f.record);
        f.channel.force(false);
        return written;
    }
}
