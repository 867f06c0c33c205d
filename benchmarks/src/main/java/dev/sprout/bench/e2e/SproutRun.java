package dev.sprout.bench.e2e;

import dev.sprout.bench.branch.BranchStack;
import dev.sprout.bench.kit.Harness;
import dev.sprout.bench.support.BenchEnv;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

/**
 * Sprout on a private clone of a dataset's store: pageserver, control plane and proxy in this JVM
 * ({@link BranchStack}, as {@code sprout up} wires them), main holding the dataset, its compute not running (so a
 * branch of main's head is the store's own operation; no checkpoint of a running compute is in it). The clone is
 * RocksDB's checkpoint done by hand, as {@code StoreClone} does it: SST and blob files are never modified after
 * they are written, so they are hard links; the small files RocksDB rewrites or appends to are copied; the lock
 * and info logs are skipped. Cloning a 10 GiB store takes milliseconds, and the dataset stays as it was.
 * Closed (stack, then the clone deleted) by its owner; not thread-safe.
 */
final class SproutRun implements AutoCloseable {
    final BranchStack stack;
    final Path runDir;
    final Dataset.Ready dataset;

    private SproutRun(BranchStack stack, Path runDir, Dataset.Ready dataset) {
        this.stack = stack;
        this.runDir = runDir;
        this.dataset = dataset;
    }

    static SproutRun open(Dataset.Ready dataset, Path work) {
        Path runDir = Harness.traversableDir(work.resolve("sprout-s" + dataset.scale() + "-"
                + UUID.randomUUID().toString().substring(0, 8)));
        try {
            cloneTree(dataset.store(), runDir.resolve("pages"));
            SproutRun run = new SproutRun(BranchStack.start(runDir, dataset.password()), runDir, dataset);
            run.settle();
            return run;
        } catch (RuntimeException e) {
            BenchEnv.deleteTree(runDir);
            throw e;
        }
    }

    /**
     * Flushes the memtables, then waits until RocksDB runs and owes no flush or compaction. A store opened from a
     * dataset compacts for some seconds (the load left level 0 full): measured then, its directory swung between
     * 0.44 and 0.78 GB with nothing written (1 GiB dataset), and the creates shared two cores with four compactions.
     */
    void settle() {
        var store = stack.pageserver.store();
        store.flush();
        long t0 = System.nanoTime();
        long deadline = t0 + Duration.ofMinutes(10).toNanos();
        while (store.rocksProperty("rocksdb.num-running-compactions") > 0
                || store.rocksProperty("rocksdb.compaction-pending") > 0
                || store.rocksProperty("rocksdb.num-running-flushes") > 0
                || store.rocksProperty("rocksdb.mem-table-flush-pending") > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the store " + runDir + " still compacts after 10 minutes");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the store's compactions", e);
            }
        }
        double s = (System.nanoTime() - t0) / 1e9;
        if (s >= 1) {
            BenchEnv.log("  store settled: %.1f s of RocksDB flushes and compactions waited for", s);
        }
    }

    /** The store's bytes on disk now, without RocksDB's info logs (text the engine writes about itself). */
    long storeBytes() {
        return storeBytes(stack.pageserver.config().dataDirectory());
    }

    static long storeBytes(Path dir) {
        return DiskUsage.bytes(dir, name -> !name.startsWith("LOG"));
    }

    private static void cloneTree(Path from, Path to) {
        try (var files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                String name = f.getFileName().toString();
                boolean skipped = !Files.isRegularFile(f) || name.equals("LOCK") || name.startsWith("LOG");
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else if (skipped) {
                    // not part of a store's copy: its lock, its logs, anything but a regular file
                } else if (name.endsWith(".sst") || name.endsWith(".blob")) {
                    Files.createLink(target, f);
                } else {
                    Files.copy(f, target);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clone the store " + from + " into " + to, e);
        }
    }

    @Override
    public void close() {
        try {
            stack.close();
        } finally {
            BenchEnv.deleteOrLog(runDir);
        }
    }
}
