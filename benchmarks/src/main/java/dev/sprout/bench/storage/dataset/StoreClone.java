package dev.sprout.bench.storage.dataset;

import dev.sprout.bench.support.BenchEnv;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.StoreOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * A private, writable copy of a closed dataset, opened as a {@link PageStore}, so that a benchmark can branch
 * and write without changing the persistent dataset that later runs reuse. Deleted on {@link #close()}.
 *
 * <p>The copy costs almost nothing even for 10 GiB: RocksDB never modifies an SST file after writing it, so SST
 * files are hard links; the few small files RocksDB may rewrite or append to (CURRENT, MANIFEST, OPTIONS, WAL)
 * are copied. This is what RocksDB's own Checkpoint does; it is safe because the source is closed and was
 * flushed before it was closed.
 *
 * <p>Not thread-safe to open or close; the store itself is.
 */
public final class StoreClone implements AutoCloseable {
    private final Path dir;
    private final PageStore store;

    private StoreClone(Path dir, PageStore store) {
        this.dir = dir;
        this.store = store;
    }

    /** Clones {@code dataset} into a new work directory and opens it with {@code options} applied to the defaults. */
    public static StoreClone open(PreparedDataset dataset, UnaryOperator<StoreOptions> options) {
        Path dir = BenchEnv.newWorkDir(dataset.dataset().dirName());
        try {
            copy(dataset.storeDir(), dir);
            return new StoreClone(dir, PageStore.open(options.apply(StoreOptions.defaults(dir))));
        } catch (RuntimeException e) {
            BenchEnv.deleteTree(dir);
            throw e;
        }
    }

    /**
     * Clones {@code dataset} into a new work directory without opening it, for a store that another component
     * opens (a pageserver's data directory). The caller deletes it with {@link BenchEnv#deleteTree}.
     */
    public static Path cloneDirectory(PreparedDataset dataset) {
        Path dir = BenchEnv.newWorkDir(dataset.dataset().dirName());
        try {
            copy(dataset.storeDir(), dir);
            return dir;
        } catch (RuntimeException e) {
            BenchEnv.deleteTree(dir);
            throw e;
        }
    }

    /** Hard-links immutable files and copies the rest; skips RocksDB's lock and info logs. */
    static void copy(Path from, Path to) {
        try (var files = Files.list(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (!Files.isRegularFile(f) || name.equals("LOCK") || name.startsWith("LOG")) {
                    continue;
                }
                if (name.endsWith(".sst") || name.endsWith(".blob")) {
                    Files.createLink(to.resolve(name), f);
                } else {
                    Files.copy(f, to.resolve(name));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clone the store " + from + " into " + to, e);
        }
    }

    public PageStore store() {
        return store;
    }

    public Path directory() {
        return dir;
    }

    @Override
    public void close() {
        try {
            store.close();
        } finally {
            BenchEnv.deleteTree(dir);
        }
    }
}
