package dev.sprout.compute.postgres;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running PostgreSQL server: a postmaster started by {@link #start(ServerSpec)} directly (not through
 * {@code pg_ctl}) as a child of this JVM, so {@link #pid()} is the postmaster's own pid and signals reach it
 * and nothing else. Its stdout and stderr are appended to the spec's log file.
 *
 * <p>{@link #start} does not wait for the server to accept connections; {@link #awaitReady} does.
 * {@link #stop} shuts it down politely then less so; {@link #kill} crashes it, as a power loss would.
 * When either returns, the postmaster and every process it had started are gone, so another server may be
 * started on the same data directory.
 *
 * <p>Concurrency: thread-safe. {@link #stop}, {@link #kill} and {@link #close} are serialised; the others do
 * not block them.
 */
public final class PostgresServer implements AutoCloseable {
    /** How {@link #stop} ended the server. */
    public enum StopMode {
        /** It had exited before it was asked to stop: a crash, or an earlier stop or kill. */
        ALREADY_EXITED,
        /** Fast shutdown (SIGINT): clients disconnected, a shutdown checkpoint written. */
        FAST,
        /** Immediate shutdown (SIGQUIT): no checkpoint; the next start runs crash recovery. */
        IMMEDIATE,
        /** SIGKILL to the postmaster and all its processes; the next start runs crash recovery. */
        KILLED
    }

    private static final Logger LOG = LoggerFactory.getLogger(PostgresServer.class);
    private static final Duration IMMEDIATE_TIMEOUT = Duration.ofSeconds(5);
    /** Bounds the wait for SIGKILLed processes, which may be stuck in uninterruptible I/O. */
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(30);

    private static final Duration CLOSE_FAST_TIMEOUT = Duration.ofSeconds(30);
    private static final long POLL_MILLIS = 25;
    private static final int ERROR_LOG_LINES = 30;
    /** SQLSTATE class 28: invalid authorization specification (wrong user or password). */
    private static final String AUTH_FAILURE_CLASS = "28";

    private final ServerSpec spec;
    private final Process process;
    /** The size of the log file before this server started, where its own output begins. */
    private final long logStart;

    private PostgresServer(ServerSpec spec, Process process, long logStart) {
        this.spec = spec;
        this.process = process;
        this.logStart = logStart;
    }

    /**
     * Starts a postmaster for {@code spec} and returns without waiting for it to accept connections.
     *
     * <p>First deletes {@code postmaster.pid} from the data directory (a copy of a running server's directory
     * inherits it) and a stale Unix socket and socket lock file for the port: the caller guarantees no
     * postmaster runs on the data directory or the socket.
     *
     * @throws PostgresException when the stale files cannot be deleted or the process cannot be started
     */
    public static PostgresServer start(ServerSpec spec) {
        return start(spec, true);
    }

    /**
     * Starts a postmaster again after one of the same data directory crashed. Unlike {@link #start}, keeps
     * {@code postmaster.pid}: PostgreSQL's own interlock then refuses to start (the log says "pre-existing
     * shared memory block is still in use") while any process of the crashed server still runs, instead of
     * letting two generations of processes write the same files.
     */
    public static PostgresServer restartAfterCrash(ServerSpec spec) {
        return start(spec, false);
    }

    private static PostgresServer start(ServerSpec spec, boolean removeInheritedPidFile) {
        Objects.requireNonNull(spec, "spec");
        // After a crash PostgreSQL itself judges its pid and socket lock files (is that pid alive? is its shared
        // memory still attached?); only a copied directory's files name a server that is not ours.
        List<Path> toDelete = removeInheritedPidFile
                ? List.of(spec.dataDir().resolve("postmaster.pid"), spec.socketFile(), spec.socketLockFile())
                : List.of();
        for (Path stale : toDelete) {
            try {
                Files.deleteIfExists(stale);
            } catch (IOException e) {
                throw new PostgresException("could not delete stale " + stale + " before starting postgres: " + e, e);
            }
        }
        long logStart;
        try {
            logStart = Files.size(spec.logFile());
        } catch (NoSuchFileException e) {
            logStart = 0;
        } catch (IOException e) {
            throw new PostgresException("could not read the size of log file " + spec.logFile() + ": " + e, e);
        }
        List<String> command = spec.osUser().wrap(spec.command());
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(spec.dataDir().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(spec.logFile().toFile()))
                .redirectErrorStream(true);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new PostgresException("could not start " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
        LOG.info("started postgres pid {} on port {} for {}", process.pid(), spec.port(), spec.dataDir());
        return new PostgresServer(spec, process, logStart);
    }

    /** What this server was started with. */
    public ServerSpec spec() {
        return spec;
    }

    /** The postmaster's pid. */
    public long pid() {
        return process.pid();
    }

    /** Whether the postmaster is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** The JDBC URL of the server's {@code postgres} database over TCP. */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + ServerSpec.LISTEN_ADDRESS + ":" + spec.port() + "/postgres";
    }

    /** A new connection to {@link #jdbcUrl()} as the spec's superuser. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), connectionProperties(false));
    }

    /**
     * Waits until the server answers a query over TCP as the superuser, polling every 25 ms. The answering
     * backend must be a child of this postmaster, so another server on the port does not count.
     *
     * @throws PostgresException when the postmaster exits, the superuser's login is refused, or {@code timeout}
     *     passes; the message ends with the server's log since it started
     */
    public void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String lastFailure = "no attempt";
        SQLException lastException = null;
        while (true) {
            if (!process.isAlive()) {
                throw new PostgresException(
                        "postgres pid " + pid() + " on port " + spec.port() + " exited with code " + process.exitValue()
                                + " before accepting connections" + logSuffix(),
                        lastException);
            }
            try (Connection connection = DriverManager.getConnection(jdbcUrl(), connectionProperties(true));
                    Statement statement = connection.createStatement();
                    ResultSet answer = statement.executeQuery("SELECT pg_backend_pid()")) {
                answer.next();
                long backend = answer.getLong(1);
                Optional<Long> parent =
                        ProcessHandle.of(backend).flatMap(ProcessHandle::parent).map(ProcessHandle::pid);
                if (parent.isPresent() && parent.get() == pid()) {
                    return;
                }
                lastFailure = "port " + spec.port() + " is answered by backend pid " + backend + " whose parent is "
                        + parent.map(String::valueOf).orElse("unknown") + ", not this postmaster";
            } catch (SQLException e) {
                if (e.getSQLState() != null && e.getSQLState().startsWith(AUTH_FAILURE_CLASS)) {
                    throw new PostgresException(
                            "postgres on port " + spec.port() + " refused superuser " + spec.superuser() + ": "
                                    + e.getMessage() + logSuffix(),
                            e);
                }
                lastFailure = e.getMessage();
                lastException = e;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new PostgresException(
                        "postgres pid " + pid() + " did not accept connections on port "
                                + spec.port() + " within " + timeout.toMillis() + " ms (last: " + lastFailure + ")"
                                + logSuffix(),
                        lastException);
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PostgresException("interrupted while waiting for postgres on port " + spec.port(), e);
            }
        }
    }

    /**
     * Stops the server: fast shutdown (SIGINT) and up to {@code fastTimeout} for it (none when zero); then immediate shutdown
     * (SIGQUIT) and up to 5 s; then SIGKILL to the postmaster and all its processes, as {@link #kill()}. If the
     * calling thread is interrupted while waiting, goes straight to SIGKILL and returns with its interrupt
     * status set.
     *
     * @return how the server ended
     * @throws PostgresException when a signal cannot be sent or SIGKILLed processes do not exit within 30 s
     */
    public synchronized StopMode stop(Duration fastTimeout) {
        if (!process.isAlive()) {
            return StopMode.ALREADY_EXITED;
        }
        try {
            if (!fastTimeout.isZero()) {
                signal("INT");
                if (process.waitFor(fastTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
                    return stopped(StopMode.FAST);
                }
            }
            signal("QUIT");
            if (process.waitFor(IMMEDIATE_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS)) {
                return stopped(StopMode.IMMEDIATE);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        killAll();
        return stopped(StopMode.KILLED);
    }

    /**
     * Crashes the server: SIGKILL to the postmaster and to every process it had started, then waits for all of
     * them to exit. Does nothing when the postmaster has already exited.
     *
     * @throws PostgresException when a process does not exit within 30 s of its SIGKILL
     */
    public synchronized void kill() {
        if (process.isAlive()) {
            killAll();
            LOG.info("killed postgres pid {} on port {}", pid(), spec.port());
        }
    }

    /** {@link #stop stop(30 s)}; does nothing when the server has already stopped. */
    @Override
    public void close() {
        stop(CLOSE_FAST_TIMEOUT);
    }

    /** The last {@code lines} lines of the server's log file. */
    public String logTail(int lines) {
        return Tail.ofFile(spec.logFile(), 0, lines);
    }

    /**
     * Whether {@code process} is running, as opposed to gone or a zombie: the postmaster's orphaned children are
     * reparented to init, which in a container may never reap them.
     */
    static boolean isRunning(ProcessHandle process) {
        if (!process.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * SIGSTOPs the postmaster so that it forks no more, SIGKILLs it and all its descendants, and waits for them
     * all to be gone.
     */
    private void killAll() {
        signal("STOP");
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
        long deadline = System.nanoTime() + KILL_TIMEOUT.toNanos();
        boolean interrupted = false;
        while (process.isAlive() || descendants.stream().anyMatch(PostgresServer::isRunning)) {
            if (System.nanoTime() - deadline > 0) {
                List<Long> running = descendants.stream()
                        .filter(PostgresServer::isRunning)
                        .map(ProcessHandle::pid)
                        .toList();
                throw new PostgresException("postgres processes still run " + KILL_TIMEOUT.toSeconds()
                        + " s after SIGKILL (stuck in uninterruptible I/O?): postmaster " + pid()
                        + (process.isAlive() ? " running" : " gone") + ", its processes " + running + " running");
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sends {@code signal} to the postmaster with {@code kill -s}; a postmaster that has just exited is fine. */
    private void signal(String signal) {
        Exec.Result result = Exec.run(List.of("kill", "-s", signal, Long.toString(pid())), null);
        if (result.exitCode() != 0 && process.isAlive()) {
            throw new PostgresException("kill -s " + signal + " " + pid() + " exited with " + result.exitCode() + ": "
                    + result.output().strip());
        }
    }

    private StopMode stopped(StopMode mode) {
        LOG.info("stopped postgres pid {} on port {}: {}", pid(), spec.port(), mode);
        return mode;
    }

    /** The {@code application_name} of every connection this class opens. */
    public static final String AGENT_APPLICATION_NAME = "sprout-agent";

    private Properties connectionProperties(boolean probe) {
        Properties properties = new Properties();
        properties.setProperty("user", spec.superuser());
        properties.setProperty("password", spec.password());
        properties.setProperty("sslmode", "disable");
        // Lets the agent tell its own sessions from clients' (the idle check counts only clients).
        properties.setProperty("ApplicationName", AGENT_APPLICATION_NAME);
        if (probe) {
            properties.setProperty("connectTimeout", "1");
            properties.setProperty("socketTimeout", "2");
        }
        return properties;
    }

    private String logSuffix() {
        return "; " + spec.logFile() + " ends with:\n" + Tail.ofFile(spec.logFile(), logStart, ERROR_LOG_LINES);
    }
}
