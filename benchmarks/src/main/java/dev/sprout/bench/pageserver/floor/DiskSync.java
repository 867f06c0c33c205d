package dev.sprout.bench.pageserver.floor;

import dev.sprout.bench.pageserver.measure.Measured;
import dev.sprout.bench.pageserver.measure.Phases;
import dev.sprout.bench.pageserver.measure.Probe;
import dev.sprout.bench.pageserver.measure.ThreadLoop;
import dev.sprout.bench.storage.dataset.PageImages;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.storage.page.Pages;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The disk's own synced-write latency, the floor of every durable commit: append one 8 KiB page to a file,
 * then {@code FileChannel.force(false)} ({@code fdatasync}), one thread, in a new directory under the benchmark
 * directory (the file system the stores live on). The file is deleted afterwards.
 */
public final class DiskSync {
    private DiskSync() {}

    public static Measured measure(Phases phases, Probe probe) {
        Path dir = BenchEnv.newWorkDir("disk-sync");
        ByteBuffer page = ByteBuffer.allocateDirect(Pages.PAGE_SIZE).put(new PageImages(5).next());
        try (FileChannel channel =
                FileChannel.open(dir.resolve("synced"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            return ThreadLoop.run("disk-sync", 1, 1, phases, probe, t -> {
                page.clear();
                while (page.hasRemaining()) {
                    channel.write(page);
                }
                channel.force(false);
            });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot measure synced appends in " + dir, e);
        } finally {
            BenchEnv.deleteTree(dir);
        }
    }
}
