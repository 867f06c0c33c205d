package dev.sprout.bench.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.Predicate;

/**
 * Bytes on disk of a directory that a running server changes meanwhile (PostgreSQL recycles WAL segments, RocksDB
 * deletes obsolete tables): the sum of regular files' sizes, what {@code du -sb} says (hard links aside). A file or
 * directory that vanishes during the walk counts as nothing instead of failing the walk.
 */
final class DiskUsage {
    private DiskUsage() {}

    static long bytes(Path root) {
        return bytes(root, p -> true);
    }

    /** Only files whose name {@code include} accepts. */
    static long bytes(Path root, Predicate<String> include) {
        long[] sum = {0};
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile() && include.test(file.getFileName().toString())) {
                        sum[0] += attrs.size();
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE; // deleted meanwhile
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot measure " + root, e);
        }
        return sum[0];
    }
}
