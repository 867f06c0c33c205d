package dev.sprout.compute;

import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.testkit.Ports;
import dev.sprout.testkit.Sql;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A pageserver in this JVM and a base directory PostgreSQL's user can traverse (JUnit's temporary
 * directories are 0700 and root's). Closes every compute it made, then the pageserver, then deletes the
 * directory.
 */
final class Fixture implements AutoCloseable {
    static final String PASSWORD = "sprout-test-password";

    final Path base;
    Pageserver pageserver;
    private final List<Compute> computes = new ArrayList<>();

    Fixture() {
        try {
            base = Files.createDirectories(Path.of("/tmp", "sprout-compute-test-" + UUID.randomUUID()));
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        pageserver = Pageserver.start(
                PageserverConfig.defaults(base.resolve("pages")).withEphemeralPorts());
    }

    TimelineId newRoot() {
        TimelineId id = TimelineId.random();
        pageserver.store().createRoot(id, 0, 0);
        return id;
    }

    ComputeSpec spec(TimelineId timeline, String name) {
        return ComputeSpec.of(
                        "127.0.0.1",
                        pageserver.pagePort(),
                        timeline.toString(),
                        base.resolve(name),
                        Ports.free(),
                        PASSWORD)
                .withPageserverCredential(pageserver.credentials().pageService().value());
    }

    Compute start(ComputeSpec spec, boolean initdb) {
        Compute c = Compute.start(spec, initdb);
        computes.add(c);
        return c;
    }

    static Connection connect(int port) throws SQLException {
        return Sql.connect(port, PASSWORD);
    }

    @Override
    public void close() {
        for (Compute c : computes) {
            c.close();
        }
        if (pageserver != null) {
            pageserver.close();
        }
        try (Stream<Path> walk = Files.walk(base)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a leftover directory in /tmp harms nothing
        }
    }
}
