package dev.sprout.cli.imports;

import dev.sprout.compute.postgres.Initdb;
import dev.sprout.compute.postgres.OsUser;
import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.compute.postgres.PostgresServer;
import dev.sprout.compute.postgres.ServerSpec;
import dev.sprout.testkit.Ports;
import dev.sprout.testkit.Sql;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The source database of the import tests: a PostgreSQL on local disk, in a directory the test gives
 * ({@code dir/data}, its log {@code dir/postgres.log}), on a free port of 127.0.0.1, run by the compute module's
 * {@link Initdb} and {@link PostgresServer} as OS user postgres. Its superuser {@code postgres} has the test's
 * password; every connection, local and TCP, replication ones included, is authenticated by SCRAM-SHA-256.
 *
 * <p>{@link #close} stops it; a shutdown hook stops it when the JVM ends first, so no postmaster is left behind.
 * A root JVM makes {@code dir} postgres's (mode 0755) and lets postgres traverse every directory above it (adds
 * the others' execute bit where it is missing, as on a JUnit {@code @TempDir}).
 *
 * <p>Concurrency: thread-safe; {@link #restart}, {@link #stop} and {@link #close} are serialised.
 */
public final class SourceCluster implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration FAST_STOP_TIMEOUT = Duration.ofSeconds(60);
    /** Room left for {@code .s.PGSQL.<port>} under the 107 bytes a Unix socket path may have. */
    private static final int MAX_SOCKET_DIR_BYTES = 90;

    private final PostgresInstall install;
    private final OsUser osUser;
    private final Path dataDir;
    private final Path socketDir;
    /** A socket directory of its own under /tmp (when {@code dir} is too deep for one), removed by close. */
    private final boolean ownSocketDir;

    private final Path logFile;
    private final int port;
    private final String password;
    private final Thread stopAtExit;
    /** The running server; read without the lock by the shutdown hook. */
    private volatile Optional<PostgresServer> server = Optional.empty();

    private boolean closed;

    private SourceCluster(
            PostgresInstall install,
            OsUser osUser,
            Path dir,
            Path socketDir,
            boolean ownSocketDir,
            int port,
            String password) {
        this.install = install;
        this.osUser = osUser;
        this.dataDir = dir.resolve("data");
        this.socketDir = socketDir;
        this.ownSocketDir = ownSocketDir;
        this.logFile = dir.resolve("postgres.log");
        this.port = port;
        this.password = password;
        this.stopAtExit =
                new Thread(() -> server.ifPresent(s -> s.stop(Duration.ofSeconds(30))), "source-cluster-stop-at-exit");
        Runtime.getRuntime().addShutdownHook(stopAtExit);
    }

    /**
     * initdb of {@code dir/data} (superuser postgres with {@code password}, SCRAM-SHA-256 for local and host
     * connections), then the server started with {@code settings} as extra {@code -c} settings and ready for
     * connections. When any of it fails, whatever was started is stopped again.
     */
    public static SourceCluster start(Path dir, String password, Map<String, String> settings) {
        PostgresInstall install = PostgresInstall.locate();
        OsUser user = OsUser.forPostgres();
        Path base = dir.toAbsolutePath().normalize();
        prepareDirectory(base, user);
        int port = Ports.free();
        Path socketDir = base.resolve("sock");
        boolean own = socketDir.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_DIR_BYTES;
        try {
            if (own) {
                socketDir = Files.createTempDirectory(Path.of("/tmp"), "sprout-src-sock-");
            } else {
                Files.createDirectories(socketDir);
            }
            Files.setPosixFilePermissions(socketDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the socket directory " + socketDir, e);
        }
        user.chown(socketDir);
        SourceCluster cluster = new SourceCluster(install, user, base, socketDir, own, port, password);
        try {
            new Initdb(install, user, cluster.dataDir, Sql.SUPERUSER, password, true, List.of()).run();
            cluster.startServer(settings);
            return cluster;
        } catch (RuntimeException | Error e) {
            try {
                cluster.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Fast shutdown, then the same data directory started again on the same port with {@code settings}. */
    public synchronized void restart(Map<String, String> settings) {
        if (closed) {
            throw new IllegalStateException("the source cluster in " + dataDir + " is closed");
        }
        stop();
        startServer(settings);
    }

    public int port() {
        return port;
    }

    public String password() {
        return password;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path logFile() {
        return logFile;
    }

    /** The PostgreSQL installation it runs ({@code pgbench} and the other clients are in its bin directory). */
    public PostgresInstall install() {
        return install;
    }

    /** {@code jdbc:postgresql://127.0.0.1:PORT/DATABASE}. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + ServerSpec.LISTEN_ADDRESS + ":" + port + "/" + database;
    }

    /** The libpq URL {@code postgresql://USER:PASSWORD@127.0.0.1:PORT/DATABASE}, each part percent-encoded. */
    public String url(String user, String password, String database) {
        return "postgresql://" + encode(user) + ":" + encode(password) + "@" + ServerSpec.LISTEN_ADDRESS + ":" + port
                + "/" + encode(database);
    }

    /** The libpq URL {@code postgresql://USER@127.0.0.1:PORT/DATABASE}, without a password. */
    public String url(String user, String database) {
        return "postgresql://" + encode(user) + "@" + ServerSpec.LISTEN_ADDRESS + ":" + port + "/" + encode(database);
    }

    /** A new connection to {@code database} as the superuser postgres, without TLS. */
    public Connection connect(String database) throws SQLException {
        return Sql.connect(port, database, password, new Properties());
    }

    /** Runs {@code statements} one after the other in one session on {@code database}, each in autocommit. */
    public void execute(String database, String... statements) throws SQLException {
        try (Connection c = connect(database)) {
            for (String statement : statements) {
                try {
                    Sql.exec(c, statement);
                } catch (SQLException e) {
                    throw new SQLException(
                            "in database " + database + ": " + e.getMessage() + "\nstatement: " + statement,
                            e.getSQLState(),
                            e);
                }
            }
        }
    }

    /** Fast shutdown (then immediate, then SIGKILL, as {@link PostgresServer#stop}); nothing when stopped. */
    public synchronized void stop() {
        Optional<PostgresServer> running = server;
        if (running.isPresent()) {
            server = Optional.empty();
            running.get().stop(FAST_STOP_TIMEOUT);
        }
    }

    /** {@link #stop}, the shutdown hook removed, a socket directory of its own under /tmp deleted; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stop();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stopAtExit);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook runs, and finds the server stopped
            }
            if (ownSocketDir) {
                deleteTree(socketDir);
            }
        }
    }

    private void startServer(Map<String, String> settings) {
        ServerSpec spec =
                new ServerSpec(install, osUser, dataDir, port, socketDir, logFile, settings, Sql.SUPERUSER, password);
        PostgresServer started = PostgresServer.start(spec);
        server = Optional.of(started);
        try {
            started.awaitReady(READY_TIMEOUT);
        } catch (RuntimeException e) {
            server = Optional.empty();
            try {
                started.stop(FAST_STOP_TIMEOUT);
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Creates {@code dir} (mode 0755) and gives it to {@code user}; when that user is not this JVM's, adds the
     * others' execute bit to every directory above it that lacks it, so that {@code user} reaches {@code dir}.
     */
    private static void prepareDirectory(Path dir, OsUser user) {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            if (user.uid() != OsUser.current().uid()) {
                for (Path p = dir.getParent(); p != null; p = p.getParent()) {
                    Set<PosixFilePermission> mode = EnumSet.noneOf(PosixFilePermission.class);
                    mode.addAll(Files.getPosixFilePermissions(p));
                    if (mode.add(PosixFilePermission.OTHERS_EXECUTE)) {
                        Files.setPosixFilePermissions(p, mode);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + dir + " for user " + user.name(), e);
        }
        user.chown(dir);
    }

    private static String encode(String part) {
        return URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("SourceCluster: cannot delete " + root + ": " + e);
        }
    }
}
