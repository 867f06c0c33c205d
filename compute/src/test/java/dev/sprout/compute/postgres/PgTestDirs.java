package dev.sprout.compute.postgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Directories for test clusters under a fresh {@code /tmp/sprout-pgtest-<random>} of mode 0755, which the
 * {@code postgres} user can traverse when the tests run as root (JUnit's {@code @TempDir} is 0700).
 * {@link #close()} deletes everything.
 */
final class PgTestDirs implements AutoCloseable {
    private final Path base;
    private final OsUser osUser;

    PgTestDirs(OsUser osUser) throws IOException {
        this.osUser = osUser;
        this.base = traversable(
                Path.of("/tmp", "sprout-pgtest-" + UUID.randomUUID().toString().substring(0, 8)));
    }

    /** A new directory {@code name} of mode 0755 belonging to the OS user, for a data directory, socket and log. */
    Path newDir(String name) throws IOException {
        Path dir = traversable(base.resolve(name));
        osUser.chown(dir);
        return dir;
    }

    /** A spec for a cluster in {@code dir/data}, its socket in {@code dir} and its log in {@code dir/postgres.log}. */
    ServerSpec spec(PostgresInstall install, Path dir, int port, String password) {
        return new ServerSpec(
                install,
                osUser,
                dir.resolve("data"),
                port,
                dir,
                dir.resolve("postgres.log"),
                Map.of("fsync", "off"),
                "sprout",
                password);
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> paths = Files.walk(base)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.delete(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    private static Path traversable(Path dir) throws IOException {
        Files.createDirectory(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }
}
