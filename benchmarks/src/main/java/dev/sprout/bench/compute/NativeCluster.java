package dev.sprout.bench.compute;

import dev.sprout.bench.kit.Harness;
import dev.sprout.compute.ComputeSpec;
import dev.sprout.compute.postgres.Initdb;
import dev.sprout.compute.postgres.OsUser;
import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.compute.postgres.PostgresServer;
import dev.sprout.compute.postgres.ServerSpec;
import dev.sprout.testkit.Ports;
import dev.sprout.testkit.Sql;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The baseline: the same PostgreSQL binary on a data directory on local disk ({@code dir/data}), run by the
 * compute package's own {@link Initdb} and {@link PostgresServer} as the same OS user, with the same settings.
 */
public final class NativeCluster implements AutoCloseable {
    private final ServerSpec spec;
    private volatile PostgresServer server;
    /** Stops the server when the JVM is ended (Ctrl-C, SIGTERM) before {@link #close}: no postmaster left behind. */
    private Thread stopAtExit;

    /**
     * A cluster in {@code dir} (mode 0755, owned by user postgres) on a free port of 127.0.0.1, with
     * {@link #pgSettings}, run by user postgres; its superuser {@link Sql#SUPERUSER} with {@code password}.
     */
    public NativeCluster(PostgresInstall install, Path dir, String password) {
        OsUser user = OsUser.forPostgres();
        Harness.traversableDir(dir);
        Path sock = Harness.traversableDir(dir.resolve("sock"));
        user.chown(dir);
        user.chown(sock);
        this.spec = new ServerSpec(
                install,
                user,
                dir.resolve("data"),
                Ports.free(),
                sock,
                dir.resolve("postgres.log"),
                pgSettings(install),
                Sql.SUPERUSER,
                password);
    }

    /**
     * The settings both servers run with, compute and local disk: the compute's own
     * ({@link ComputeSpec#COMPUTE_SETTINGS}, all legal on local disk too), shared_buffers at PostgreSQL's default,
     * written out, UTC log timestamps (read by {@link PgLog}) and WAL I/O timing (read from {@code pg_stat_wal}).
     */
    public static Map<String, String> pgSettings(PostgresInstall install) {
        Map<String, String> s = new LinkedHashMap<>(ComputeSpec.COMPUTE_SETTINGS);
        if (install.majorVersion() < 14) {
            s.remove("recovery_init_sync_method");
        }
        s.put("shared_buffers", "128MB");
        s.put("log_timezone", "UTC");
        s.put("track_wal_io_timing", "on");
        return s;
    }

    /** initdb as the compute runs it (--no-sync; see the report), then the server started and ready. */
    public Duration initAndStart() {
        Duration took = new Initdb(
                        spec.install(),
                        spec.osUser(),
                        spec.dataDir(),
                        spec.superuser(),
                        spec.password(),
                        true,
                        List.of())
                .run();
        start();
        return took;
    }

    public void start() {
        server = PostgresServer.start(spec);
        stopAtExit = new Thread(
                () -> {
                    PostgresServer s = server;
                    if (s != null) {
                        s.stop(Duration.ofSeconds(30));
                    }
                },
                "native-cluster-stop-at-exit");
        Runtime.getRuntime().addShutdownHook(stopAtExit);
        server.awaitReady(Duration.ofSeconds(120));
    }

    private void forgetStopAtExit() {
        if (stopAtExit != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(stopAtExit);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook runs, and finds the server stopped or stops it
            }
            stopAtExit = null;
        }
    }

    /** SIGKILL to the postmaster and all its processes, as a crash would (the next start runs crash recovery). */
    public void kill() {
        forgetStopAtExit();
        server.kill();
        server = null;
    }

    public int port() {
        return spec.port();
    }

    public Path logFile() {
        return spec.logFile();
    }

    public Path dataDir() {
        return spec.dataDir();
    }

    public Connection connect() throws SQLException {
        return server.connect();
    }

    @Override
    public void close() {
        forgetStopAtExit();
        if (server != null) {
            server.stop(Duration.ofSeconds(60));
            server = null;
        }
    }
}
