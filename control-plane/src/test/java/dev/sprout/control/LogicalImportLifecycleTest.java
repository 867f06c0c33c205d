package dev.sprout.control;

import static dev.sprout.testkit.Sql.exec;
import static dev.sprout.testkit.Sql.queryLong;
import static dev.sprout.testkit.Sql.queryString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.control.imports.PendingImport;
import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.protocol.v1.Code;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.testkit.ManualClock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A logical import's lifecycle in the control plane, with a real pageserver and real computes: its compute starts
 * (initdb) before anything is restored and stays up while its importer holds a connection; an importer that went
 * away (no client connected) lets the next begin remove it, compute and timeline; finish stops the compute and names
 * the branch, whose compute then has what was written.
 */
class LogicalImportLifecycleTest {
    private static final String PASSWORD = "logical-import-test-password";
    private static final TimelineId MAIN =
            new TimelineId(UUID.nameUUIDFromBytes("logical-import-test-main".getBytes(StandardCharsets.UTF_8)));

    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-07T12:00:00Z"));
    private Path base;
    private Pageserver pageserver;
    private ControlPlane cp;

    @BeforeEach
    void start() throws IOException {
        base = Files.createDirectories(Path.of("/tmp", "sprout-logical-cp-" + UUID.randomUUID()));
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        pageserver = Pageserver.start(
                PageserverConfig.defaults(base.resolve("pages")).withEphemeralPorts(), clock);
        cp = TestControlPlanes.open(pageserver, base, clock, MAIN, PASSWORD);
    }

    @AfterEach
    void stop() throws IOException {
        if (cp != null) {
            cp.close();
        }
        pageserver.close();
        try (Stream<Path> walk = Files.walk(base)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void aLogicalImportRunsItsComputeUntilItFinishesOrItsImporterGoesAway() throws Exception {
        // an import whose importer goes away
        PendingImport gone = cp.beginImport("gone", false, "postgresql://u@source:5432/", PendingImport.Kind.LOGICAL)
                .pending();
        assertTrue(gone.logical());
        ControlException early = assertThrows(ControlException.class, () -> cp.finishImport(gone.timeline()));
        assertEquals(Code.COMPUTE_FAILED, early.code());
        assertTrue(early.getMessage().contains("never started"), early.getMessage());

        ControlPlane.ImportCompute compute = cp.startImport(gone.timeline());
        assertEquals("postgres", compute.superuser());
        assertEquals(compute.address(), cp.startImport(gone.timeline()).address(), "started again: the same");
        try (Connection importer = connect(compute.address().getPort())) {
            exec(importer, "CREATE TABLE t (i int)");
            clock.advance(Duration.ofMinutes(5));
            ControlPlane.ImportStarted other = cp.beginImport("other", false, "postgresql://u@elsewhere:5432/");
            assertEquals(List.of(), other.abandoned(), "its importer is connected: not abandoned");
            ControlException physical = assertThrows(
                    ControlException.class, () -> cp.startImport(other.pending().timeline()));
            assertEquals(Code.INVALID_ARGUMENT, physical.code());
            cp.abortImport(other.pending().timeline());
        }
        // the importer's backend ends a moment after its connection closed
        ControlPlane.ImportStarted next = cp.beginImport("next", false, "postgresql://u@elsewhere:5432/");
        for (int i = 0; i < 50 && next.abandoned().isEmpty(); i++) {
            cp.abortImport(next.pending().timeline());
            Thread.sleep(100);
            next = cp.beginImport("next", false, "postgresql://u@elsewhere:5432/");
        }
        assertEquals(1, next.abandoned().size(), next.abandoned().toString());
        assertTrue(
                next.abandoned().getFirst().contains("\"gone\""),
                next.abandoned().toString());
        assertThrows(
                SQLException.class, () -> connect(compute.address().getPort()).close(), "its compute stopped");
        assertThrows(Exception.class, () -> pageserver.store().timeline(gone.timeline()), "its timeline is gone");
        cp.abortImport(next.pending().timeline());
        assertEquals(List.of(), cp.imports());

        // an import that finishes
        PendingImport logi = cp.beginImport("logi", false, "postgresql://u@source:5432/", PendingImport.Kind.LOGICAL)
                .pending();
        int port = cp.startImport(logi.timeline()).address().getPort();
        try (Connection importer = connect(port)) {
            assertEquals("minimal", queryString(importer, "SHOW wal_level"), "the import's compute: a bulk load");
            assertEquals("off", queryString(importer, "SHOW autovacuum"));
            exec(importer, "CREATE TABLE restored AS SELECT i FROM generate_series(1, 1000) i");
            ControlPlane.ImportFinished done = cp.finishImport(logi.timeline());
            assertEquals("logi", done.branch().branch().name());
            assertEquals(Duration.ZERO, done.firstStart());
        }
        assertThrows(SQLException.class, () -> connect(port).close(), "the import's compute stopped at finish");
        assertEquals(List.of(), cp.imports());
        int branch = cp.wake("logi").getPort();
        try (Connection c = connect(branch)) {
            assertEquals(1000, queryLong(c, "SELECT count(*) FROM restored"));
            assertEquals("replica", queryString(c, "SHOW wal_level"), "the branch's compute: the usual settings");
        }
    }

    private static Connection connect(int port) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", PASSWORD);
    }
}
