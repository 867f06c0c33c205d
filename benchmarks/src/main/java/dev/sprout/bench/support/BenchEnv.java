package dev.sprout.bench.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * Where benchmarks keep their data and how they are configured.
 *
 * <p>Configuration reaches a JMH fork through its environment (forks inherit it) or through system properties
 * passed with {@code -jvmArgsAppend}; a property wins over the environment:
 * <ul>
 *   <li>{@code sprout.bench.dir} / {@code SPROUT_BENCH_DIR}: the base directory, default {@value #DEFAULT_BASE}.
 *       Persistent datasets live in it and are reused by later runs; scratch stores live in its {@code work}
 *       folder, on the same file system so that datasets can be cloned by hard links.</li>
 *   <li>{@code sprout.bench.smoke} / {@code SPROUT_BENCH_SMOKE}: {@code true} shrinks every dataset so that
 *       the whole suite only proves it runs (CI); smoke datasets live apart from the real ones.</li>
 * </ul>
 */
public final class BenchEnv {
    /** On the root file system, not a tmpfs: the disk is what the storage benchmarks measure. */
    public static final String DEFAULT_BASE = "/var/tmp/sprout-bench";

    private static final Path DROP_CACHES = Path.of("/proc/sys/vm/drop_caches");

    private BenchEnv() {}

    public static Path baseDir() {
        return Path.of(setting("sprout.bench.dir", "SPROUT_BENCH_DIR", DEFAULT_BASE))
                .toAbsolutePath();
    }

    public static boolean smoke() {
        return Boolean.parseBoolean(
                setting("sprout.bench.smoke", "SPROUT_BENCH_SMOKE", "false").toLowerCase(Locale.ROOT));
    }

    /** A new, empty directory under {@code <base>/work}; the caller deletes it with {@link #deleteTree}. */
    public static Path newWorkDir(String prefix) {
        Path dir = baseDir()
                .resolve("work")
                .resolve(prefix + "-" + UUID.randomUUID().toString().substring(0, 8));
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create work directory " + dir, e);
        }
        return dir;
    }

    /**
     * Writes the kernel's dirty pages out ({@code sync}) before a measured phase, so that it does not pay for the
     * previous phase's writes (a copy of 10 GiB leaves gigabytes to write back, and every fsync then waits behind
     * them). Logs how long it took when that was more than a second.
     */
    public static void settleDisk() {
        long t = System.nanoTime();
        try {
            Process p = new ProcessBuilder("sync").inheritIO().start();
            if (p.waitFor() != 0) {
                log("sync exited with %d", p.exitValue());
            }
        } catch (IOException e) {
            log("cannot run sync: %s", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during sync", e);
        }
        double s = (System.nanoTime() - t) / 1e9;
        if (s > 1) {
            log("  sync: %.1f s of dirty pages written out before measuring", s);
        }
    }

    /** Copies a log {@code file} to {@code to}, replacing it; a missing file is fine, a failure is logged. */
    public static void keepLog(Path file, Path to) {
        try {
            if (Files.exists(file)) {
                Files.copy(file, to, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            log("could not keep %s: %s", file, e.getMessage());
        }
    }

    /**
     * Deletes a run's scratch directory ({@link #deleteTree}); a failure is logged, not thrown: the run's figures
     * stand, and the directory is left for the operator.
     */
    public static void deleteOrLog(Path root) {
        try {
            deleteTree(root);
        } catch (RuntimeException e) {
            log("could not delete %s: %s", root, e.getMessage());
        }
    }

    public static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                    if (failure != null && !(failure instanceof NoSuchFileException)) {
                        throw failure;
                    }
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }

    /** Bytes of regular files under {@code root}. */
    public static long treeBytes(Path root) {
        try (var files = Files.walk(root)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(p -> {
                        try {
                            return Files.size(p);
                        } catch (IOException e) {
                            return 0; // deleted meanwhile (RocksDB removes obsolete files)
                        }
                    })
                    .sum();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot measure " + root, e);
        }
    }

    /**
     * Writes dirty pages back and drops the kernel's page cache, dentries and inodes, so that the next reads
     * come from the disk. Needs root (writing {@code /proc/sys/vm/drop_caches}); returns false when refused.
     */
    public static boolean dropOsCaches() {
        try {
            Process sync = new ProcessBuilder("sync").inheritIO().start();
            if (sync.waitFor() != 0) {
                return false;
            }
            Files.writeString(DROP_CACHES, "3");
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Bytes this process has caused to be read from storage so far ({@code read_bytes} of {@code /proc/self/io}):
     * reads served by the OS page cache do not count. Empty where the kernel does not say.
     */
    public static OptionalLong storageReadBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
                if (line.startsWith("read_bytes:")) {
                    return OptionalLong.of(Long.parseLong(
                            line.substring("read_bytes:".length()).trim()));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux, or no task I/O accounting
        }
        return OptionalLong.empty();
    }

    /** A progress or setup line on stderr, where JMH leaves it visible next to its own output. */
    @SuppressWarnings("AnnotateFormatMethod") // a Locale.ROOT String.format; callers pass literal formats
    public static void log(String format, Object... args) {
        System.err.println("[sprout-bench] " + String.format(Locale.ROOT, format, args));
        System.err.flush();
    }

    private static String setting(String property, String env, String fallback) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            v = System.getenv(env);
        }
        return v == null || v.isBlank() ? fallback : v;
    }
}
