package dev.sprout.compute.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.testkit.Ports;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** Initdb and PostgresServer against the real PostgreSQL installation, on local disk. */
class PostgresServerTest {
    private static final String PASSWORD = "s3cret-pw";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    private static PostgresInstall install;
    private static OsUser osUser;
    private static PgTestDirs dirs;

    private final List<PostgresServer> servers = new ArrayList<>();
    private ServerSpec spec;

    @BeforeAll
    static void locate() throws IOException {
        install = PostgresInstall.locate();
        osUser = OsUser.forPostgres();
        dirs = new PgTestDirs(osUser);
    }

    @AfterAll
    static void deleteDirs() throws IOException {
        dirs.close();
    }

    @AfterEach
    void stopServers() {
        servers.forEach(PostgresServer::close);
    }

    @Test
    void initdbThenStartAnswersOverTcpWithScramPassword(TestInfo test) throws Exception {
        Duration initdb = initdb(test);
        assertTrue(initdb.isPositive(), "initdb took " + initdb);
        assertEquals(
                Integer.toString(install.majorVersion()),
                Files.readString(spec.dataDir().resolve("PG_VERSION")).strip());
        assertTrue(Files.readString(spec.dataDir().resolve("pg_hba.conf")).contains("scram-sha-256"));

        PostgresServer server = start();
        assertTrue(server.isAlive());
        try (Connection connection = server.connect()) {
            assertEquals(1, queryInt(connection, "SELECT 1"));
            assertEquals(
                    server.pid(),
                    ProcessHandle.of(queryInt(connection, "SELECT pg_backend_pid()"))
                            .flatMap(ProcessHandle::parent)
                            .orElseThrow()
                            .pid(),
                    "the backend is a child of our postmaster");
            assertEquals(osUser.uid(), (int) Files.getAttribute(spec.dataDir(), "unix:uid"));
        }

        Properties wrong = new Properties();
        wrong.setProperty("user", spec.superuser());
        wrong.setProperty("password", "not-" + PASSWORD);
        SQLException refused =
                assertThrows(SQLException.class, () -> DriverManager.getConnection(server.jdbcUrl(), wrong));
        assertEquals("28P01", refused.getSQLState(), refused.getMessage());
    }

    @Test
    void fastStopThenRestartKeepsData(TestInfo test) throws Exception {
        initdb(test);
        PostgresServer first = start();
        try (Connection connection = first.connect();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE t (v int)");
            statement.execute("INSERT INTO t VALUES (42)");
        }

        assertEquals(PostgresServer.StopMode.FAST, first.stop(Duration.ofSeconds(20)));
        assertFalse(first.isAlive());
        assertTrue(first.logTail(5).contains("database system is shut down"), first.logTail(5));
        assertFalse(Files.exists(spec.dataDir().resolve("postmaster.pid")), "a clean shutdown removes postmaster.pid");
        assertEquals(PostgresServer.StopMode.ALREADY_EXITED, first.stop(Duration.ofSeconds(1)));

        PostgresServer second = start();
        try (Connection connection = second.connect()) {
            assertEquals(42, queryInt(connection, "SELECT v FROM t"));
        }
        assertFalse(second.logTail(20).contains("automatic recovery"), second.logTail(20));
    }

    @Test
    void killThenRestartRunsCrashRecoveryAndKeepsCommittedRow(TestInfo test) throws Exception {
        initdb(test);
        PostgresServer first = start();
        try (Connection connection = first.connect();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE t (v int)");
            statement.execute("INSERT INTO t VALUES (7)");
        }
        List<ProcessHandle> children =
                ProcessHandle.of(first.pid()).orElseThrow().children().toList();
        assertFalse(children.isEmpty(), "a running postmaster has children (checkpointer, walwriter, ...)");

        first.kill();
        assertFalse(first.isAlive());
        assertTrue(children.stream().noneMatch(PostgresServer::isRunning), "kill() leaves no postgres process running");
        assertTrue(Files.exists(spec.dataDir().resolve("postmaster.pid")), "a crash leaves postmaster.pid behind");

        PostgresServer second = start();
        try (Connection connection = second.connect()) {
            assertEquals(7, queryInt(connection, "SELECT v FROM t"));
        }
        assertTrue(second.logTail(30).contains("automatic recovery in progress"), second.logTail(30));
    }

    @Test
    void stopEscalatesToImmediateWhenFastShutdownTimesOut(TestInfo test) throws Exception {
        initdb(test);
        PostgresServer first = start();
        try (Connection connection = first.connect();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE t (v int)");
            statement.execute("INSERT INTO t VALUES (3)");
        }

        // a stopped postmaster cannot finish a fast shutdown; it gets SIGINT and SIGQUIT when continued
        signal("STOP", first.pid());
        CompletableFuture<Void> resume = CompletableFuture.runAsync(
                () -> signal("CONT", first.pid()), CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));
        assertEquals(PostgresServer.StopMode.IMMEDIATE, first.stop(Duration.ZERO));
        resume.join();
        assertTrue(first.logTail(20).contains("received immediate shutdown request"), first.logTail(20));

        try (Connection connection = start().connect()) {
            assertEquals(3, queryInt(connection, "SELECT v FROM t"));
        }
    }

    @Test
    void stopKillsAPostmasterThatIgnoresShutdownSignals(TestInfo test) throws Exception {
        initdb(test);
        PostgresServer first = start();
        List<ProcessHandle> children =
                ProcessHandle.of(first.pid()).orElseThrow().children().toList();
        signal("STOP", first.pid());

        assertEquals(PostgresServer.StopMode.KILLED, first.stop(Duration.ofMillis(100)));
        assertFalse(first.isAlive());
        assertTrue(children.stream().noneMatch(PostgresServer::isRunning), "no postgres process is left running");

        try (Connection connection = start().connect()) {
            assertEquals(1, queryInt(connection, "SELECT 1"));
        }
    }

    @Test
    void awaitReadyFailsFastWhenTheSuperuserPasswordIsWrong(TestInfo test) throws Exception {
        initdb(test);
        ServerSpec wrongPassword = new ServerSpec(
                install,
                osUser,
                spec.dataDir(),
                spec.port(),
                spec.socketDir(),
                spec.logFile(),
                spec.settings(),
                spec.superuser(),
                "not-" + PASSWORD);
        PostgresServer server = PostgresServer.start(wrongPassword);
        servers.add(server);

        PostgresException failure = assertThrows(PostgresException.class, () -> server.awaitReady(READY_TIMEOUT));
        assertTrue(failure.getMessage().contains("refused superuser sprout"), failure.getMessage());
        assertTrue(failure.getMessage().contains("password authentication failed"), failure.getMessage());
        assertTrue(server.isAlive(), "the server itself is fine");
    }

    @Test
    void stalePostmasterPidAndSocketLockDoNotPreventStart(TestInfo test) throws Exception {
        initdb(test);
        // pid 1 is alive, so postgres would refuse this lock file as another postmaster's
        Files.writeString(
                spec.dataDir().resolve("postmaster.pid"),
                "1\n" + spec.dataDir() + "\n1700000000\n" + spec.port() + "\n" + spec.socketDir()
                        + "\n127.0.0.1\n  5432001    32768\nready   \n");
        Files.writeString(spec.socketLockFile(), "1\n" + spec.dataDir() + "\n");

        PostgresServer server = start();
        String pidFile = Files.readString(spec.dataDir().resolve("postmaster.pid"));
        assertEquals(Long.toString(server.pid()), pidFile.lines().findFirst().orElseThrow());
        try (Connection connection = server.connect()) {
            assertEquals(1, queryInt(connection, "SELECT 1"));
        }
    }

    @Test
    void startOnBusyPortFailsWithTheLogTail(TestInfo test) throws Exception {
        initdb(test);
        try (ServerSocket busy = new ServerSocket(spec.port(), 1, InetAddress.getByName(ServerSpec.LISTEN_ADDRESS))) {
            PostgresServer server = PostgresServer.start(spec);
            servers.add(server);
            long start = System.nanoTime();
            PostgresException failure = assertThrows(PostgresException.class, () -> server.awaitReady(READY_TIMEOUT));
            Duration waited = Duration.ofNanos(System.nanoTime() - start);

            assertTrue(failure.getMessage().contains("could not bind"), failure.getMessage());
            assertTrue(failure.getMessage().contains(Integer.toString(spec.port())), failure.getMessage());
            assertTrue(failure.getMessage().contains("exited with code"), failure.getMessage());
            assertTrue(waited.compareTo(Duration.ofSeconds(10)) < 0, "failed fast, after " + waited);
            assertFalse(server.isAlive());
            assertTrue(busy.isBound());
        }
    }

    @Test
    void initdbIntoNonEmptyDirectoryFailsWithExitCodeAndOutput(TestInfo test) throws Exception {
        Path dir = dirs.newDir(test.getTestMethod().orElseThrow().getName());
        Path data = dir.resolve("data");
        Files.createDirectory(data);
        Files.writeString(data.resolve("squatter"), "x");
        osUser.chown(data);

        PostgresException failure = assertThrows(
                PostgresException.class,
                () -> new Initdb(install, osUser, data, "sprout", PASSWORD, true, List.of()).run());
        assertTrue(failure.getMessage().contains("exited with 1"), failure.getMessage());
        assertTrue(failure.getMessage().contains("is not empty"), failure.getMessage());
        assertTrue(failure.getMessage().contains(data.toString()), failure.getMessage());
    }

    private Duration initdb(TestInfo test) throws IOException {
        Path dir = dirs.newDir(test.getTestMethod().orElseThrow().getName());
        spec = dirs.spec(install, dir, Ports.free(), PASSWORD);
        return new Initdb(install, osUser, spec.dataDir(), spec.superuser(), PASSWORD, true, List.of()).run();
    }

    private PostgresServer start() {
        PostgresServer server = PostgresServer.start(spec);
        servers.add(server);
        server.awaitReady(READY_TIMEOUT);
        return server;
    }

    private static void signal(String signal, long pid) {
        Exec.Result sent = Exec.run(List.of("kill", "-s", signal, Long.toString(pid)), null);
        assertEquals(0, sent.exitCode(), sent.output());
    }

    private static int queryInt(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sql)) {
            assertTrue(result.next(), sql + " returned no row");
            return result.getInt(1);
        }
    }
}
