package dev.sprout.control;

import static dev.sprout.testkit.Sql.exec;
import static dev.sprout.testkit.Sql.queryLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.control.endpoint.Endpoint;
import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.protocol.v1.Code;
import dev.sprout.storage.timeline.BranchPoint;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.testkit.ManualClock;
import java.io.IOException;
import java.net.InetSocketAddress;
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

/** The control plane against a real pageserver and real computes: every branch operation, checked with SQL. */
class ControlPlaneTest {
    private static final String PASSWORD = "control-test-password";
    private static final TimelineId MAIN =
            new TimelineId(UUID.nameUUIDFromBytes("control-test-main".getBytes(StandardCharsets.UTF_8)));

    /** The store's and the control plane's clock: commit times move only when the test says. */
    private final ManualClock clock = new ManualClock(Instant.parse("2026-06-01T12:00:00Z"));

    private Path base;
    private Pageserver pageserver;
    private ControlPlane cp;

    @BeforeEach
    void start() throws IOException {
        base = Files.createDirectories(Path.of("/tmp", "sprout-control-test-" + UUID.randomUUID()));
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        pageserver = Pageserver.start(
                PageserverConfig.defaults(base.resolve("pages")).withEphemeralPorts(), clock);
        cp = open();
    }

    private ControlPlane open() {
        return TestControlPlanes.open(pageserver, base, clock, MAIN, PASSWORD);
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
    void aDevelopersBranchLifecycleCheckedWithSql() throws Exception {
        try (Connection main = connect("main")) {
            exec(main, "CREATE TABLE items (id int PRIMARY KEY, note text)");
            exec(main, "INSERT INTO items SELECT g, 'v1' FROM generate_series(1, 1000) g");
        }
        assertEquals(Endpoint.State.RUNNING, cp.get("main").endpoint().state());

        // create from the running parent's head: checkpointed first, so the branch has every committed row
        ControlPlane.Created created = cp.create("feature-x", "main", new BranchPoint.Head());
        assertTrue(created.created());
        assertEquals(
                Endpoint.State.STOPPED, created.branch().endpoint().state(), "a branch's compute starts on first use");
        ControlPlane.Created again = cp.create("feature-x", "main", new BranchPoint.Head());
        assertFalse(again.created(), "the same request again is not an error");
        assertEquals(
                created.branch().branch().timeline(), again.branch().branch().timeline());
        ControlException exists = assertThrows(
                ControlException.class,
                () -> cp.create(
                        "feature-x",
                        "main",
                        new BranchPoint.AtLsn(created.branch().branch().branchLsn())));
        assertEquals(Code.BRANCH_EXISTS, exists.code());

        try (Connection f = connect("feature-x")) {
            assertEquals(1000, queryLong(f, "SELECT count(*) FROM items"));
            exec(f, "UPDATE items SET note = 'branch' WHERE id <= 10");
        }
        try (Connection main = connect("main")) {
            assertEquals(0, queryLong(main, "SELECT count(*) FROM items WHERE note = 'branch'"), "main is unchanged");
            exec(main, "INSERT INTO items SELECT g, 'v2' FROM generate_series(1001, 1500) g");
        }

        // reset: the branch takes main's current state, under the same name
        cp.reset("feature-x");
        try (Connection f = connect("feature-x")) {
            assertEquals(1500, queryLong(f, "SELECT count(*) FROM items"));
            assertEquals(0, queryLong(f, "SELECT count(*) FROM items WHERE note = 'branch'"));
        }

        // restore to a time before a DELETE brings the rows back; the state before is kept as a backup branch
        clock.advance(Duration.ofSeconds(1));
        Instant beforeDelete = clock.instant();
        clock.advance(Duration.ofSeconds(1));
        try (Connection f = connect("feature-x")) {
            exec(f, "DELETE FROM items WHERE id > 100");
            assertEquals(100, queryLong(f, "SELECT count(*) FROM items"));
        }
        cp.suspend("feature-x"); // commits everything; the restore works on a running compute too
        ControlPlane.Restored restored = cp.restore("feature-x", beforeDelete);
        assertTrue(restored.backup().startsWith("feature-x-backup-"), restored.backup());
        try (Connection f = connect("feature-x")) {
            assertEquals(1500, queryLong(f, "SELECT count(*) FROM items"), "the deleted rows are back");
        }
        try (Connection b = connect(restored.backup())) {
            assertEquals(
                    100, queryLong(b, "SELECT count(*) FROM items"), "the backup keeps the state before the restore");
        }

        // the tree: main, then the backup, then the restored branch under it
        assertEquals(
                List.of("main", restored.backup(), "feature-x"),
                cp.list().stream().map(v -> v.branch().name()).toList());

        // refusals change nothing
        assertEquals(
                Code.INVALID_NAME,
                assertThrows(ControlException.class, () -> cp.create("Bad Name", "main", new BranchPoint.Head()))
                        .code());
        assertEquals(
                Code.UNKNOWN_BRANCH,
                assertThrows(ControlException.class, () -> cp.create("x", "nope", new BranchPoint.Head()))
                        .code());
        assertEquals(
                Code.UNKNOWN_BRANCH,
                assertThrows(ControlException.class, () -> cp.wake("nope")).code());
        assertEquals(
                Code.LSN_OUT_OF_RANGE,
                assertThrows(ControlException.class, () -> cp.create("too-old", "feature-x", new BranchPoint.AtLsn(1)))
                        .code());
        assertEquals(
                Code.BRANCH_HAS_CHILDREN,
                assertThrows(ControlException.class, () -> cp.delete(restored.backup(), false))
                        .code());
        assertEquals(
                Code.INVALID_ARGUMENT,
                assertThrows(ControlException.class, () -> cp.delete("main", true))
                        .code());
        assertEquals(
                Code.INVALID_ARGUMENT,
                assertThrows(ControlException.class, () -> cp.restore("main", beforeDelete))
                        .code());
        assertEquals(3, cp.list().size());

        // branches survive a restart of the control plane (computes start again on the next connection)
        cp.close();
        cp = open();
        assertEquals(
                List.of("main", restored.backup(), "feature-x"),
                cp.list().stream().map(v -> v.branch().name()).toList());
        try (Connection f = connect("feature-x")) {
            assertEquals(1500, queryLong(f, "SELECT count(*) FROM items"));
        }
        // the work directory of feature-x's compute (this test's computes are named by branch and timeline)
        Path workDir = base.resolve("computes")
                .resolve("feature-x-"
                        + cp.get("feature-x").branch().timeline().toString().substring(0, 8));
        assertTrue(Files.isDirectory(workDir.resolve("mnt")), workDir + " holds the running compute's mount point");

        assertEquals(
                List.of("feature-x", restored.backup()),
                cp.delete(restored.backup(), true).names());
        assertEquals(
                List.of("main"), cp.list().stream().map(v -> v.branch().name()).toList());
        assertFalse(
                Files.exists(workDir),
                "a deleted branch's compute leaves no work directory (log, mount point, sockets) behind");
    }

    private Connection connect(String branch) throws SQLException {
        InetSocketAddress at = cp.wake(branch);
        return DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + at.getPort() + "/postgres?sslmode=disable", "postgres", PASSWORD);
    }
}
