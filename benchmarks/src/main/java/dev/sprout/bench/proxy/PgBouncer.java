package dev.sprout.bench.proxy;

import dev.sprout.bench.kit.Harness;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.postgres.OsUser;
import dev.sprout.testkit.Ports;
import dev.sprout.testkit.Sql;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private PgBouncer, the reference path: an established C pooler in front of the same compute, started for the
 * run from the binary the script found or installed. Its configuration, auth file, log and pid file live in
 * {@code <run dir>/pgbouncer}, given to the {@code postgres} OS user, which it runs as (it refuses to run as
 * root); it listens on a free port of 127.0.0.1 only (no Unix socket), session pooling, SCRAM to its clients with
 * the compute's password in plain text in its auth file (which it also uses to log in to the compute). It is a
 * child process of this JVM ({@code setpriv} execs it, so the pid is PgBouncer's), run in the foreground; its CPU
 * time is read from {@code /proc/<pid>/stat}. Not thread-safe.
 */
final class PgBouncer implements AutoCloseable {
    static final String POOL_MODE = "session";
    static final int MAX_CLIENT_CONN = 100;
    static final int DEFAULT_POOL_SIZE = 20;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(15);

    private final Process process;
    private final Path dir;
    private final Path logs;
    private final int port;
    private final String version;
    private final Thread hook;

    private PgBouncer(Process process, Path dir, Path logs, int port, String version) {
        this.process = process;
        this.dir = dir;
        this.logs = logs;
        this.port = port;
        this.version = version;
        this.hook = new Thread(this::stop, "pgbouncer-stop");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * Starts PgBouncer from {@code binary} in front of the compute on 127.0.0.1:{@code computePort} and waits until a
     * client can log in through it and run {@code SELECT 1}.
     *
     * @throws IllegalStateException when it does not start or does not answer; it is stopped then
     */
    static PgBouncer start(Path binary, Path runDir, Path logs, int computePort, String password) {
        OsUser user = OsUser.forPostgres();
        Path dir = Harness.traversableDir(runDir.resolve("pgbouncer"));
        int port = Ports.free();
        Path ini = dir.resolve("pgbouncer.ini");
        Path users = dir.resolve("userlist.txt");
        String version = version(user, binary);
        try {
            Files.writeString(
                    users,
                    "\"" + Sql.SUPERUSER + "\" \"" + password.replace("\"", "\"\"") + "\"\n",
                    StandardCharsets.UTF_8);
            Files.writeString(
                    ini,
                    String.join(
                            "\n",
                            "; written by dev.sprout.bench.proxy.PgBouncer for one benchmark run",
                            "[databases]",
                            "postgres = host=127.0.0.1 port=" + computePort + " dbname=postgres",
                            "",
                            "[pgbouncer]",
                            "listen_addr = 127.0.0.1",
                            "listen_port = " + port,
                            "unix_socket_dir =",
                            "auth_type = scram-sha-256",
                            "auth_file = " + users,
                            "pool_mode = " + POOL_MODE,
                            "max_client_conn = " + MAX_CLIENT_CONN,
                            "default_pool_size = " + DEFAULT_POOL_SIZE,
                            // pgjdbc sends extra_float_digits in its start-up packet; PgBouncer refuses unknown ones.
                            "ignore_startup_parameters = extra_float_digits",
                            "logfile = " + dir.resolve("pgbouncer.log"),
                            "pidfile = " + dir.resolve("pgbouncer.pid"),
                            ""),
                    StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(users, PosixFilePermissions.fromString("rw-------"));
            for (Path p : List.of(dir, ini, users)) {
                user.chown(p);
            }
            Files.createDirectories(logs);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write PgBouncer's configuration in " + dir, e);
        }
        List<String> command = user.wrap(List.of(binary.toString(), ini.toString()));
        Path console = logs.resolve("pgbouncer-console.log");
        Process process;
        try {
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(console.toFile())
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
        }
        PgBouncer b = new PgBouncer(process, dir, logs, port, version);
        try {
            b.awaitReady(password);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        BenchEnv.log(
                "%s up on 127.0.0.1:%d (pid %d, as user %s), pool_mode=%s, in front of 127.0.0.1:%d",
                version, port, process.pid(), user.name(), POOL_MODE, computePort);
        return b;
    }

    private void awaitReady(String password) {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("PgBouncer exited with " + process.exitValue() + " at start; "
                        + logs.resolve("pgbouncer-console.log") + " ends with: " + tail());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            } catch (IOException e) {
                last = e;
                sleep(100);
                continue;
            }
            try (Connection c = Sql.connect(port, password)) {
                if ("1".equals(Sql.queryString(c, "SELECT 1"))) {
                    return;
                }
            } catch (SQLException e) {
                last = e;
            }
            sleep(200);
        }
        throw new IllegalStateException("PgBouncer did not answer SELECT 1 on 127.0.0.1:" + port + " within "
                + READY_TIMEOUT.toSeconds() + " s (last: " + last + "); its output ends with: " + tail());
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    /** {@code pgbouncer --version}'s first line, e.g. "PgBouncer 1.18.0". */
    String version() {
        return version;
    }

    /**
     * PgBouncer's CPU time so far in milliseconds: utime + stime (+ cutime + cstime, it starts no children) of
     * {@code /proc/<pid>/stat}, 10 ms ticks; NaN when it cannot be read.
     */
    double cpuMs() {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ", -1);
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
            return ticks * 10.0;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** SIGTERM, then SIGKILL after 5 s; keeps its log in the log directory. Idempotent. */
    private synchronized void stop() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        try {
            Path log = dir.resolve("pgbouncer.log");
            if (Files.exists(log)) {
                Files.copy(log, logs.resolve("pgbouncer.log"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            // the console log in the log directory remains
        }
    }

    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs or ran
        }
        BenchEnv.log(
                "PgBouncer stopped (exit status %s; 1.18 exits with 1 on SIGTERM)",
                process.isAlive() ? "?" : Integer.toString(process.exitValue()));
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(logs.resolve("pgbouncer-console.log"));
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
        } catch (IOException | RuntimeException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static String version(OsUser user, Path binary) {
        try {
            Process p = new ProcessBuilder(user.wrap(List.of(binary.toString(), "--version")))
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            String first = out.strip().lines().findFirst().orElse("");
            return first.isEmpty() ? "PgBouncer (version unknown)" : first;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + binary + " --version", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "PgBouncer (version unknown)";
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for PgBouncer", e);
        }
    }
}
