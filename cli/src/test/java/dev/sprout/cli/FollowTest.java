package dev.sprout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.cli.imports.SourceCluster;
import dev.sprout.cli.imports.SourceData;
import dev.sprout.cli.imports.TableChecksums;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code sprout follow}: a branch that streams a real PostgreSQL's WAL as a hot standby. It catches up with writes
 * on the source (table for table), refuses writes, shows its state in {@code branch list}; a branch made from it is
 * a writable copy as of that moment and stays so while the follower moves on; delete and {@code --unfollow} drop the
 * slot on the source, and a slot that cannot be dropped (the source is down) is said loudly and listed by
 * {@code sprout status}.
 */
class FollowTest {
    private static Path work;
    private static SourceCluster source;
    private static final String PW = "source-pw";

    @BeforeAll
    static void source() throws Exception {
        work = Files.createDirectories(Path.of("/tmp", "sprout-follow-" + UUID.randomUUID()));
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        source = SourceCluster.start(work.resolve("source"), PW, Map.of());
        source.execute(
                "postgres",
                "CREATE DATABASE app",
                "CREATE ROLE repl LOGIN REPLICATION PASSWORD '" + SourceData.REPL_PASSWORD + "'");
        SourceData.loadPgbench(source, "app", 1);
        source.execute("app", "CREATE TABLE marker (id int PRIMARY KEY, note text)");
        source.execute("postgres", "GRANT pg_read_all_data TO repl"); // the follower's agent reads as repl
    }

    /** A test that failed halfway leaves its follower's slot behind: the next starts from none. */
    @BeforeEach
    void noSlots() throws SQLException {
        source.execute("postgres", "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots");
    }

    @AfterAll
    static void cleanUp() throws Exception {
        try {
            if (source != null) {
                source.close();
            }
        } finally {
            try (Stream<Path> walk = Files.walk(work)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void aFollowerCatchesUpAndItsBranchesAreWritableCopiesAsOfTheirCreation() throws Exception {
        Path data = Files.createDirectories(work.resolve("sprout-a"));
        LocalStack up = LocalStack.startWithCompute(data, 0, 0, 0);
        try {
            String pw = LocalStack.password(up.dataDir());
            int proxy = up.proxy().orElseThrow().port();
            Cli.Result followed = sprout(up, "follow", replUrl(), "--branch", "prod");
            assertEquals(0, followed.exit(), followed.toString());
            assertTrue(followed.out().contains("prod follows postgresql://repl@"), followed.toString());

            source.execute("app", "INSERT INTO marker SELECT g, 'first ' || g FROM generate_series(1, 1000) g");
            InetSocketAddress prod = up.control().wake("prod");
            awaitReplay(prod);
            try (Connection c = direct(prod)) {
                assertEquals("1000", one(c, "SELECT count(*) FROM marker"));
            }
            try (Connection c = proxied(proxy, "prod", "repl", SourceData.REPL_PASSWORD)) {
                SQLException readOnly =
                        assertThrows(SQLException.class, () -> exec(c, "INSERT INTO marker VALUES (0, 'no')"));
                assertEquals("25006", readOnly.getSQLState(), "a follower is read-only");
            }
            Cli.Result list = sprout(up, "branch", "list");
            assertTrue(
                    list.out().contains("prod follows postgresql://repl@127.0.0.1:" + source.port()), list.toString());
            assertTrue(list.out().contains("streaming"), list.toString());

            // a follow role that may CHECKPOINT (pg_checkpoint): a branch is made after a restartpoint at the
            // source's last checkpoint, so that the branch replays only the WAL since then
            source.execute("postgres", "GRANT pg_checkpoint TO repl", "CHECKPOINT");
            String sourceRedo;
            try (Connection c = source.connect("postgres")) {
                sourceRedo = one(c, "SELECT redo_lsn::text FROM pg_control_checkpoint()");
            }
            awaitReplay(prod);
            Cli.Result snap = sprout(up, "branch", "create", "snap", "--from", "prod");
            assertEquals(0, snap.exit(), snap.toString());
            try (Connection c = DriverManager.getConnection(
                    "jdbc:postgresql://127.0.0.1:" + prod.getPort() + "/postgres", "postgres", PW)) {
                assertEquals(
                        "t",
                        one(c, "SELECT redo_lsn >= '" + sourceRedo + "'::pg_lsn FROM pg_control_checkpoint()"),
                        "the follower made a restartpoint at the source's checkpoint before the branch");
            }
            try (Connection c = proxied(proxy, "snap", "postgres", pw)) {
                assertEquals("1000", one(c, "SELECT count(*) FROM marker"), "as of the create");
                exec(c, "INSERT INTO marker VALUES (0, 'written on the branch')");
                exec(c, "UPDATE pgbench_accounts SET abalance = 7 WHERE aid <= 10");
            }

            source.execute("app", "INSERT INTO marker SELECT g, 'second ' || g FROM generate_series(1001, 1500) g");
            source.execute("app", "UPDATE pgbench_branches SET bbalance = bbalance + 1");
            awaitReplay(prod);
            try (Connection c = proxied(proxy, "snap", "postgres", pw)) {
                assertEquals("1001", one(c, "SELECT count(*) FROM marker"), "the branch does not move with prod");
            }
            assertEquals(
                    TableChecksums.of(source.jdbcUrl("app"), "postgres", PW),
                    TableChecksums.of(
                            "jdbc:postgresql://127.0.0.1:" + prod.getPort() + "/app", "repl", SourceData.REPL_PASSWORD),
                    "caught up: every table of app equal");

            // the follower's PostgreSQL killed: the watchdog restarts it as a standby, and it streams on
            ProcessHandle.of(up.control().compute("prod").orElseThrow().postgresPid())
                    .orElseThrow()
                    .destroyForcibly();
            source.execute("app", "INSERT INTO marker SELECT g, 'third ' || g FROM generate_series(1501, 1600) g");
            awaitReplay(prod);
            // the source lost: the follower says so and keeps serving what it has; back, it streams again
            source.stop();
            try {
                Cli.Result lost = sprout(up, "branch", "list");
                assertTrue(
                        lost.out().contains("prod follows") && lost.out().contains("not connected to the source"),
                        lost.toString());
                try (Connection c = direct(prod)) {
                    assertEquals("1600", one(c, "SELECT count(*) FROM marker"));
                }
            } finally {
                source.restart(Map.of());
            }
            source.execute("app", "INSERT INTO marker VALUES (1601, 'after the source came back')");
            awaitReplay(prod);

            // Sprout restarted: the follower starts by itself (no client asks for it) and streams what it missed
            int page = up.pagePort();
            int http = up.httpPort();
            up.close();
            source.execute("app", "INSERT INTO marker VALUES (1602, 'while Sprout was down')");
            up = LocalStack.startWithCompute(data, page, http, 0);
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (up.control().compute("prod").isEmpty()) {
                assertTrue(System.nanoTime() < deadline, "the follower was not started after the restart");
                Thread.sleep(100);
            }
            prod = new InetSocketAddress(
                    "127.0.0.1", up.control().compute("prod").orElseThrow().port());
            awaitReplay(prod);
            try (Connection c = direct(prod)) {
                assertEquals("1602", one(c, "SELECT count(*) FROM marker"));
            }
            Cli.Result deleted = sprout(up, "branch", "delete", "prod", "--subtree");
            assertEquals(0, deleted.exit(), deleted.toString());
            assertEquals("0", slots(), "deleting the follower dropped its slot");
        } finally {
            up.close();
        }
    }

    @Test
    void unfollowDropsTheSlotAndTheBranchBecomesWritableAndALostSourceIsSaidLoudly() throws Exception {
        Path data = Files.createDirectories(work.resolve("sprout-b"));
        try (LocalStack up = LocalStack.startWithCompute(data, 0, 0, 0)) {
            String pw = LocalStack.password(up.dataDir());
            int proxy = up.proxy().orElseThrow().port();
            assertEquals(0, sprout(up, "follow", replUrl(), "--branch", "f2").exit());
            assertEquals("1", slots());
            Cli.Result un = sprout(up, "follow", "--unfollow", "f2");
            assertEquals(0, un.exit(), un.toString());
            assertEquals("0", slots(), "unfollow dropped the slot");
            try (Connection c = proxied(proxy, "f2", "postgres", pw)) {
                exec(c, "INSERT INTO marker VALUES (-1, 'f2 is its own primary now')");
                assertEquals("f", one(c, "SELECT pg_is_in_recovery()"));
            }
            Cli.Result again = sprout(up, "follow", "--unfollow", "f2");
            assertEquals(Sprout.EXIT_REFUSED, again.exit(), again.toString());
            assertTrue(again.err().contains("follows no source"), again.err());

            assertEquals(0, sprout(up, "follow", replUrl(), "--branch", "f3").exit());
            source.stop();
            try {
                Cli.Result deleted = sprout(up, "branch", "delete", "f3");
                assertEquals(0, deleted.exit(), deleted.toString());
                assertTrue(
                        deleted.err().contains("WARNING: replication slot sprout_f3_")
                                && deleted.err().contains("SELECT pg_drop_replication_slot("),
                        deleted.toString());
                Cli.Result status = sprout(up, "status");
                assertTrue(status.out().contains("replication slot sprout_f3_"), status.toString());
            } finally {
                source.restart(Map.of());
            }
            assertEquals("1", slots(), "the message was true: the slot is still on the source");
            source.execute("postgres", "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots");

            Cli.Result noPassword = sprout(up, "follow", source.url("repl", "postgres"), "--branch", "f4");
            assertEquals(2, noPassword.exit(), noPassword.toString());
            assertTrue(noPassword.err().contains("give the role's password"), noPassword.err());
        }
    }

    private static String replUrl() {
        return source.url("repl", SourceData.REPL_PASSWORD, "postgres");
    }

    /** Waits until the follower at {@code follower} has replayed everything the source has written so far. */
    private static void awaitReplay(InetSocketAddress follower) throws Exception {
        String target;
        try (Connection c = source.connect("postgres")) {
            target = one(c, "SELECT pg_current_wal_lsn()::text");
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            try (Connection c = direct(follower)) { // a follower restarting after a crash refuses for a moment
                if (one(c, "SELECT pg_last_wal_replay_lsn() >= '" + target + "'::pg_lsn")
                        .equals("t")) {
                    return;
                }
            } catch (SQLException e) {
                // not up yet
            }
            assertTrue(System.nanoTime() < deadline, "the follower did not replay up to " + target + " in 60 s");
            Thread.sleep(50);
        }
    }

    private static String slots() throws SQLException {
        try (Connection c = source.connect("postgres")) {
            // the importer's temporary slot goes with its session a moment after it ends: count the followers' only
            return one(c, "SELECT count(*) FROM pg_replication_slots WHERE NOT temporary");
        }
    }

    private static Cli.Result sprout(LocalStack up, String... args) {
        return Cli.sprout(Stream.concat(
                        Stream.of(args),
                        Stream.of(
                                "--http-port",
                                Integer.toString(up.httpPort()),
                                "--data-dir",
                                up.dataDir().toString()))
                .toArray(String[]::new));
    }

    private static Connection direct(InetSocketAddress compute) throws SQLException {
        return DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + compute.getPort() + "/app", "repl", SourceData.REPL_PASSWORD);
    }

    private static Connection proxied(int port, String branch, String user, String password) throws SQLException {
        return DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + port + "/app?sslmode=disable&options=branch%3D" + branch,
                user,
                password);
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
