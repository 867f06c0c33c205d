package dev.sprout.bench.compute;

import dev.sprout.compute.postgres.Initdb;
import dev.sprout.compute.postgres.OsUser;
import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.compute.postgres.PostgresServer;
import dev.sprout.compute.postgres.ServerSpec;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
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

    public NativeCluster(PostgresInstall install, OsUser user, Path dir, int port, Map<String, String> settings, String superuser,
            String password) {
        ComputeBench.traversableDir(dir);
        Path sock = ComputeBench.traversableDir(dir.resolve("sock"));
        user.chown(dir);
        user.chown(sock);
        this.spec = new ServerSpec(install, user, dir.resolve("data"), port, sock, dir.resolve("postgres.log"), settings,
                superuser, password);
    }

    /** initdb as the compute runs it (--no-sync; see the report), then the server started and ready. */
    public Duration initAndStart() {
        Duration took = new Initdb(spec.install(), spec.osUser(), spec.dataDir(), spec.superuser(), spec.password(), true,
                List.of()).run();
        start();
        return took;
    }

    public void start() {
        server = PostgresServer.start(spec);
        stopAtExit = new Thread(() -> {
            PostgresServer s = server;
            if (s != null) {
                s.stop(Duration.ofSeconds(30));
            }
        }, "native-cluster-stop-at-exit");
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
