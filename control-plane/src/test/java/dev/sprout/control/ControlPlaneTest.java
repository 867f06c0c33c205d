package dev.sprout.control;

import static dev.sprout.testkit.Sql.exec;
import static dev.sprout.testkit.Sql.queryLong;
import static dev.sprout.testkit.Sql.queryString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.control.branch.Expiry;
import dev.sprout.control.endpoint.Endpoint;
import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.protocol.PastPoint;
import dev.sprout.protocol.WalLsn;
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
import java.util.Optional;
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
                Code.BRANCH_PROTECTED,
                assertThrows(ControlException.class, () -> cp.restore("main", beforeDelete))
                        .code(),
                "main is protected from its creation");
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

    @Test
    void branchesExpireByTtlLeaseOrTimeAndProtectedOnesNeedForce() throws Exception {
        Instant t0 = clock.instant();
        ControlPlane.Lifecycle none = ControlPlane.Lifecycle.NONE;
        cp.create("ci-job", "main", new BranchPoint.Head(), lifecycle(null, Duration.ofMinutes(10), null, false));
        cp.create("pr-7", "main", new BranchPoint.Head(), lifecycle(Duration.ofDays(3), null, null, false));
        cp.create("demo", "main", new BranchPoint.Head(), lifecycle(null, null, t0.plusSeconds(3600), false));
        cp.create("keep", "main", new BranchPoint.Head(), none);
        cp.create("prod-copy", "main", new BranchPoint.Head(), lifecycle(null, null, null, true));
        assertEquals(
                Optional.of(t0.plus(Duration.ofDays(3))),
                cp.get("pr-7").branch().expiry().deadline());

        // a lease lives while it is renewed
        clock.advance(Duration.ofMinutes(9));
        cp.renew("ci-job", Optional.empty());
        clock.advance(Duration.ofMinutes(9));
        assertEquals(List.of(), cp.expire(), "renewed 9 minutes ago: the 10-minute lease holds");
        clock.advance(Duration.ofMinutes(1));
        assertEquals(List.of("ci-job"), cp.expire(), "a lease not renewed for 10 minutes lapses");
        assertEquals(
                Code.UNKNOWN_BRANCH,
                assertThrows(ControlException.class, () -> cp.get("ci-job")).code());

        // an expiry time comes; a branch that expires under a branch that does not is kept until the child is gone
        cp.create("demo-child", "demo", new BranchPoint.Head(), none);
        clock.advance(Duration.ofMinutes(45));
        assertEquals(List.of(), cp.expire(), "demo has a child that does not expire: kept");
        assertTrue(cp.get("demo").branch().expiry().expiredAt(clock.instant()));
        cp.delete("demo-child", false);
        assertEquals(List.of("demo"), cp.expire());

        // a reset keeps the TTL and renews it; a renew with a TTL replaces it
        clock.advance(Duration.ofDays(2));
        cp.reset("pr-7");
        assertEquals(
                Optional.of(clock.instant().plus(Duration.ofDays(3))),
                cp.get("pr-7").branch().expiry().deadline());
        cp.renew("pr-7", Optional.of(Duration.ofHours(1)));
        assertEquals(
                new Expiry.Ttl(Duration.ofHours(1), clock.instant().plusSeconds(3600)),
                cp.get("pr-7").branch().expiry());
        assertEquals(
                Code.INVALID_ARGUMENT,
                assertThrows(ControlException.class, () -> cp.renew("keep", Optional.empty()))
                        .code(),
                "a branch without a TTL has nothing to renew by");

        // protected: delete, reset and restore need force; it cannot expire
        for (Runnable refused : List.<Runnable>of(
                () -> cp.delete("prod-copy", false, false),
                () -> cp.reset("prod-copy", false),
                () -> cp.restore("prod-copy", clock.instant(), false),
                () -> cp.renew("prod-copy", Optional.of(Duration.ofHours(1))))) {
            assertEquals(
                    Code.BRANCH_PROTECTED,
                    assertThrows(ControlException.class, refused::run).code());
        }
        assertEquals(
                Code.INVALID_ARGUMENT,
                assertThrows(ControlException.class, () -> cp.protect("pr-7", true))
                        .code(),
                "a branch that expires cannot be protected");
        assertEquals(
                Code.INVALID_ARGUMENT,
                assertThrows(
                                ControlException.class,
                                () -> cp.create(
                                        "both",
                                        "main",
                                        new BranchPoint.Head(),
                                        lifecycle(Duration.ofDays(1), null, null, true)))
                        .code());
        assertEquals(
                Code.INVALID_ARGUMENT,
                assertThrows(
                                ControlException.class,
                                () -> cp.create(
                                        "past", "main", new BranchPoint.Head(), lifecycle(null, null, t0, false)))
                        .code());
        cp.reset("prod-copy", true);
        assertTrue(cp.get("prod-copy").branch().protect(), "a reset keeps the protection");

        // a lifecycle survives a restart of the control plane
        cp.close();
        cp = open();
        assertTrue(cp.get("prod-copy").branch().protect());
        assertTrue(cp.get("main").branch().protect());
        clock.advance(Duration.ofHours(1));
        assertEquals(List.of("pr-7"), cp.expire());
        assertEquals(
                List.of("keep", "main", "prod-copy"),
                cp.list().stream().map(v -> v.branch().name()).sorted().toList());
        assertEquals(List.of("prod-copy"), cp.delete("prod-copy", false, true).names());
    }

    @Test
    void mainIsRestoredInPlaceAndOpenConnectionsAreCounted() throws Exception {
        try (Connection main = connect("main")) {
            exec(main, "CREATE TABLE orders (id int PRIMARY KEY)");
            exec(main, "INSERT INTO orders SELECT generate_series(1, 500)");
        }
        clock.advance(Duration.ofSeconds(1));
        Instant beforeDrop = clock.instant();
        clock.advance(Duration.ofSeconds(1));
        Connection open = connect("main");
        exec(open, "DROP TABLE orders");

        ControlPlane.Restored restored = cp.restore("main", beforeDrop, true);
        assertEquals(1, restored.connectionsEnded(), "the connection that dropped the table was open");
        assertThrows(SQLException.class, () -> exec(open, "SELECT 1"), "and it was ended");
        open.close();
        try (Connection main = connect("main")) {
            assertEquals(500, queryLong(main, "SELECT count(*) FROM orders"), "the dropped table is back on main");
        }
        try (Connection b = connect(restored.backup())) {
            assertEquals(0, queryLong(b, "SELECT count(*) FROM pg_class WHERE relname = 'orders'"));
        }
        assertEquals(Optional.of(restored.backup()), cp.get("main").branch().parent());
        assertTrue(cp.get("main").branch().protect(), "main stays protected");
        assertEquals(Optional.empty(), cp.get(restored.backup()).branch().parent(), "the backup is the root now");
        assertEquals(
                Code.INVALID_ARGUMENT,
                assertThrows(ControlException.class, () -> cp.delete(restored.backup(), true, true))
                        .code(),
                "main descends from its backup and is never deleted");

        // a delete counts what it ended too
        cp.create("scratch", "main", new BranchPoint.Head());
        try (Connection a = connect("scratch");
                Connection b = connect("scratch")) {
            exec(a, "SELECT 1");
            exec(b, "SELECT 1");
            assertEquals(2, cp.delete("scratch", false, false).connectionsEnded());
        }
    }

    @Test
    void aPastPointGetsAReadOnlyComputeThatGoesOnceIdle() throws Exception {
        cp.close();
        cp = TestControlPlanes.open(pageserver, base, clock, MAIN, PASSWORD, Duration.ofMinutes(5));
        try (Connection main = connect("main")) {
            exec(main, "CREATE TABLE t (id int PRIMARY KEY)");
            exec(main, "INSERT INTO t SELECT generate_series(1, 100)");
        }
        cp.suspend("main"); // commits everything: the store's times are the test clock's
        clock.advance(Duration.ofSeconds(1));
        Instant then = clock.instant();
        clock.advance(Duration.ofSeconds(1));
        try (Connection main = connect("main")) {
            exec(main, "INSERT INTO t SELECT generate_series(101, 200)");
        }

        InetSocketAddress at = cp.wakeAt(new PastPoint.AtTime("main", then));
        assertEquals(1, cp.points().size());
        String key = cp.points().getFirst();
        assertTrue(key.startsWith("main@lsn:"), key);
        try (Connection past = DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + at.getPort() + "/postgres?sslmode=disable", "postgres", PASSWORD)) {
            assertEquals(100, queryLong(past, "SELECT count(*) FROM t"), "main as it was then");
            SQLException readOnly = assertThrows(SQLException.class, () -> exec(past, "INSERT INTO t VALUES (0)"));
            assertEquals("25006", readOnly.getSQLState(), "read-only: " + readOnly.getMessage());
        }
        long lsn = Long.parseLong(key.substring("main@lsn:".length()));
        assertEquals(at, cp.wakeAt(new PastPoint.AtLsn("main", lsn)), "the same point by its LSN: the same compute");
        try (Connection main = connect("main")) {
            assertEquals(200, queryLong(main, "SELECT count(*) FROM t"), "main itself is untouched");
        }

        // points outside the history are refused, saying where it starts
        ControlException before = assertThrows(
                ControlException.class,
                () -> cp.wakeAt(new PastPoint.AtTime("main", Instant.parse("2020-01-01T00:00:00Z"))));
        assertEquals(Code.LSN_OUT_OF_RANGE, before.code());
        assertEquals(
                Code.UNKNOWN_BRANCH,
                assertThrows(ControlException.class, () -> cp.wakeAt(new PastPoint.AtLsn("nope", 5)))
                        .code());

        // idle: suspended by its watchdog, then removed with its timeline by the sweep
        TimelineId pointTimeline = TimelineId.parse(pageserver
                .store()
                .catalog()
                .scan(ControlPlane.POINT_PREFIX)
                .firstEntry()
                .getKey()
                .substring(ControlPlane.POINT_PREFIX.length()));
        clock.advance(Duration.ofMinutes(6));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!cp.points().isEmpty() && System.nanoTime() < deadline) {
            cp.expire();
            Thread.sleep(100); // the compute's watchdog checks for idleness every second, on real time
        }
        assertEquals(List.of(), cp.points(), "an idle point's compute is removed");
        assertThrows(RuntimeException.class, () -> pageserver.store().timeline(pointTimeline), "with its timeline");
        assertTrue(pageserver.store().catalog().scan(ControlPlane.POINT_PREFIX).isEmpty());

        // a branch with a point running can be reset and deleted (the point goes first); a restart removes leftovers
        cp.create("f", "main", new BranchPoint.Head());
        long fLsn = cp.get("f").branch().branchLsn();
        cp.wakeAt(new PastPoint.AtLsn("f", fLsn));
        cp.reset("f");
        assertEquals(List.of(), cp.points());
        cp.wakeAt(new PastPoint.AtLsn("main", lsn));
        cp.close();
        cp = open();
        assertTrue(pageserver.store().catalog().scan(ControlPlane.POINT_PREFIX).isEmpty(), "removed at open");
        cp.wakeAt(new PastPoint.AtLsn("f", cp.get("f").branch().branchLsn()));
        assertEquals(List.of("f"), cp.delete("f", false).names());
        assertEquals(List.of(), cp.points());
    }

    @Test
    void aTimelineOfAResetThatDidNotFinishIsRemovedAtOpen() {
        // as a reset leaves it when the process dies between making the timeline and naming it
        TimelineId orphan = TimelineId.random();
        long lsn = pageserver.store().timeline(MAIN).lastLsn();
        pageserver
                .store()
                .branch(
                        orphan,
                        MAIN,
                        lsn,
                        t -> java.util.Map.of(
                                ControlPlane.PENDING_PREFIX + orphan,
                                Optional.of("reset of x".getBytes(StandardCharsets.UTF_8))));
        cp.create("kept", "main", new BranchPoint.Head());
        cp.reset("kept"); // a reset that finishes leaves no record
        cp.close();
        cp = open();
        assertThrows(RuntimeException.class, () -> pageserver.store().timeline(orphan), "removed");
        assertTrue(
                pageserver.store().catalog().scan(ControlPlane.PENDING_PREFIX).isEmpty());
        assertEquals(
                cp.get("kept").branch().timeline(),
                pageserver.store().timeline(cp.get("kept").branch().timeline()).id(),
                "the reset's own timeline stays");
    }

    @Test
    void aPostgresWalPositionMapsToTheCommitThatMadeItDurable() throws Exception {
        // positions taken with pg_current_wal_lsn() right after each commit, as a user takes them from psql or a log
        List<WalLsn> after = new java.util.ArrayList<>();
        try (Connection main = connect("main")) {
            exec(main, "CREATE TABLE w (id int PRIMARY KEY, filler text)");
            for (int i = 1; i <= 4; i++) {
                // the third row is big enough that its WAL runs over several pages
                exec(main, "INSERT INTO w VALUES (" + i + ", repeat('x', " + (i == 3 ? 30_000 : 10) + "))");
                after.add(WalLsn.parse(queryString(main, "SELECT pg_current_wal_lsn()")));
            }
            // a branch made at each position has exactly the rows committed by then, with the compute still running
            long previous = 0;
            for (int i = 1; i <= 4; i++) {
                long lsn = cp.walPoint("main", after.get(i - 1));
                assertTrue(lsn > previous, "later positions map to later commits: " + lsn + " after " + previous);
                previous = lsn;
                cp.create("wal-" + i, "main", new BranchPoint.AtLsn(lsn));
                try (Connection branch = connect("wal-" + i)) {
                    assertEquals(i, queryLong(branch, "SELECT count(*) FROM w"), "branch at " + after.get(i - 1));
                    assertEquals(i, queryLong(branch, "SELECT max(id) FROM w"));
                }
            }
            // a read-only connection at a WAL position: the same point as the branch's
            InetSocketAddress past = cp.wakeAt(new PastPoint.AtWal("main", after.get(1)));
            try (Connection c = DriverManager.getConnection(
                    "jdbc:postgresql://127.0.0.1:" + past.getPort() + "/postgres?sslmode=disable",
                    "postgres",
                    PASSWORD)) {
                assertEquals(2, queryLong(c, "SELECT count(*) FROM w"));
            }
            // refusals: a position PostgreSQL has not written yet, an unknown branch, a branch that began after it
            ControlException ahead =
                    assertThrows(ControlException.class, () -> cp.walPoint("main", WalLsn.parse("FF/0")));
            assertEquals(Code.INVALID_ARGUMENT, ahead.code());
            assertTrue(ahead.getMessage().contains("FF/0"), ahead.getMessage());
            assertEquals(
                    Code.UNKNOWN_BRANCH,
                    assertThrows(ControlException.class, () -> cp.walPoint("nope", after.getFirst()))
                            .code());
            ControlException before =
                    assertThrows(ControlException.class, () -> cp.walPoint("wal-4", after.getFirst()));
            assertEquals(Code.INVALID_ARGUMENT, before.code());
            assertTrue(before.getMessage().contains("before branch \"wal-4\" started"), before.getMessage());
        }
    }

    private static ControlPlane.Lifecycle lifecycle(Duration ttl, Duration lease, Instant at, boolean protect) {
        return new ControlPlane.Lifecycle(
                Optional.ofNullable(ttl), Optional.ofNullable(lease), Optional.ofNullable(at), protect);
    }

    private Connection connect(String branch) throws SQLException {
        InetSocketAddress at = cp.wake(branch);
        return DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + at.getPort() + "/postgres?sslmode=disable", "postgres", PASSWORD);
    }
}
