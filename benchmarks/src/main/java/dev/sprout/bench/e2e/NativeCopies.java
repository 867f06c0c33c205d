package dev.sprout.bench.e2e;

import dev.sprout.bench.compute.NativeCluster;
import dev.sprout.bench.kit.Harness;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.postgres.OsUser;
import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.compute.postgres.PostgresServer;
import dev.sprout.compute.postgres.ServerSpec;
import dev.sprout.testkit.Ports;
import dev.sprout.testkit.Sql;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The ways people copy a PostgreSQL database today, each timed on a running native cluster on local disk whose
 * database {@code postgres} holds the dataset:
 * <ol>
 *   <li>{@link Method#TEMPLATE}: {@code CREATE DATABASE x TEMPLATE postgres} (PostgreSQL 15's default strategy,
 *       {@code WAL_LOG}: the copy goes through the WAL), issued from database {@code template1} so that no session
 *       is connected to the template;</li>
 *   <li>{@link Method#DUMP_RESTORE}: {@code CREATE DATABASE x}, then {@code pg_dump -Fc postgres | pg_restore -d x}
 *       (one job each: the pipe streams);</li>
 *   <li>{@link Method#BASEBACKUP}: {@code pg_basebackup -c fast -X stream} of the whole cluster to a new directory (as
 *       user postgres), then a new postmaster started on it, until it accepts connections.</li>
 * </ol>
 * Each copy is then queried once ({@code SELECT 1} over a new connection to the copy): copy time plus that is its
 * time to first query. Bytes added: the sum of file sizes under the cluster's data directory after the copy minus
 * before (WAL included: that is where the template copy and the restore write first); for the base backup, the new
 * directory's. Every copy is dropped or deleted afterwards, so the dataset stays as it was. Not thread-safe.
 */
final class NativeCopies {
    enum Method {
        TEMPLATE("CREATE DATABASE … TEMPLATE"),
        DUMP_RESTORE("pg_dump -Fc | pg_restore"),
        BASEBACKUP("pg_basebackup + start");

        final String label;

        Method(String label) {
            this.label = label;
        }

        /** The label in a Markdown table cell, its pipe escaped. */
        String md() {
            return label.replace("|", "\\|");
        }

        String slug() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** One copy: the copy itself, then to its first query answered; bytes it added. */
    record Copy(Method method, double copyMs, double firstQueryMs, long bytesAdded) {}

    private final PostgresInstall install;
    private final NativeCluster cluster;
    private final String password;
    private final Path work;
    private final Path logs;

    NativeCopies(PostgresInstall install, NativeCluster cluster, String password, Path work, Path logs) {
        this.install = install;
        this.cluster = cluster;
        this.password = password;
        this.work = work;
        this.logs = logs;
    }

    Copy template(String name) throws SQLException {
        long before = clusterBytes();
        long t0;
        long t1;
        try (Connection admin = connect(cluster.port(), "template1")) {
            t0 = System.nanoTime();
            Sql.exec(admin, "CREATE DATABASE " + name + " TEMPLATE postgres");
            t1 = System.nanoTime();
        }
        long t2 = firstQuery(cluster.port(), name);
        long after = clusterBytes();
        drop(name);
        return new Copy(Method.TEMPLATE, (t1 - t0) / 1e6, (t2 - t0) / 1e6, after - before);
    }

    Copy dumpRestore(String name) throws SQLException {
        long before = clusterBytes();
        long t0 = System.nanoTime();
        try (Connection admin = connect(cluster.port(), "template1")) {
            Sql.exec(admin, "CREATE DATABASE " + name);
        }
        String host = "-h 127.0.0.1 -p " + cluster.port() + " -U " + Sql.SUPERUSER;
        run(
                List.of(
                        "bash",
                        "-c",
                        "set -o pipefail; " + install.tool("pg_dump") + " " + host + " -Fc postgres | "
                                + install.tool("pg_restore") + " " + host + " -d " + name),
                logs.resolve("dump-restore-" + name + ".txt"),
                Duration.ofHours(3));
        long t1 = System.nanoTime();
        long t2 = firstQuery(cluster.port(), name);
        long after = clusterBytes();
        drop(name);
        return new Copy(Method.DUMP_RESTORE, (t1 - t0) / 1e6, (t2 - t0) / 1e6, after - before);
    }

    Copy basebackup(String name) throws SQLException {
        OsUser postgres = OsUser.forPostgres();
        Path dir = Harness.traversableDir(work.resolve(name));
        Path sock = Harness.traversableDir(dir.resolve("sock"));
        postgres.chown(dir);
        postgres.chown(sock);
        Path data = dir.resolve("data");
        PostgresServer server = null;
        try {
            long t0 = System.nanoTime();
            run(
                    postgres.wrap(List.of(
                            install.tool("pg_basebackup").toString(),
                            "-h",
                            "127.0.0.1",
                            "-p",
                            Integer.toString(cluster.port()),
                            "-U",
                            Sql.SUPERUSER,
                            "-D",
                            data.toString(),
                            "-c",
                            "fast",
                            "-X",
                            "stream")),
                    logs.resolve("basebackup-" + name + ".txt"),
                    Duration.ofHours(3));
            long t1 = System.nanoTime();
            ServerSpec spec = new ServerSpec(
                    install,
                    postgres,
                    data,
                    Ports.free(),
                    sock,
                    dir.resolve("postgres.log"),
                    NativeCluster.pgSettings(install),
                    Sql.SUPERUSER,
                    password);
            server = PostgresServer.start(spec);
            server.awaitReady(Duration.ofMinutes(10));
            long t2 = firstQuery(spec.port(), "postgres");
            long bytes = DiskUsage.bytes(data);
            return new Copy(Method.BASEBACKUP, (t1 - t0) / 1e6, (t2 - t0) / 1e6, bytes);
        } finally {
            if (server != null) {
                server.stop(Duration.ofSeconds(60));
            }
            BenchEnv.keepLog(dir.resolve("postgres.log"), logs.resolve("basebackup-" + name + "-postgres.log"));
            BenchEnv.deleteTree(dir);
        }
    }

    /** The sum of file sizes under the cluster's data directory (what {@code du -sb} says, hard links aside). */
    long clusterBytes() {
        return DiskUsage.bytes(cluster.dataDir());
    }

    /** A database made for the workload: {@code CREATE DATABASE name TEMPLATE postgres}, dropped by {@link #drop}. */
    void createFromTemplate(String name) throws SQLException {
        try (Connection admin = connect(cluster.port(), "template1")) {
            Sql.exec(admin, "CREATE DATABASE " + name + " TEMPLATE postgres");
        }
    }

    /**
     * Drops the databases an earlier run of this harness left behind when it was killed mid-copy (every database
     * it makes is named {@code e2e_…}), so that the dataset is as built and its bytes are not counted as a copy's.
     */
    void dropLeftovers() throws SQLException {
        List<String> left = new ArrayList<>();
        try (Connection admin = connect(cluster.port(), "template1");
                var rs = admin.createStatement()
                        .executeQuery("SELECT datname FROM pg_database WHERE datname LIKE 'e2e\\_%'")) {
            while (rs.next()) {
                left.add(rs.getString(1));
            }
        }
        for (String name : left) {
            BenchEnv.log("dropping database %s, left behind by an earlier run", name);
            drop(name);
        }
    }

    void drop(String name) throws SQLException {
        try (Connection admin = connect(cluster.port(), "template1")) {
            Sql.exec(admin, "DROP DATABASE IF EXISTS " + name);
            Sql.exec(admin, "CHECKPOINT");
        }
    }

    private long firstQuery(int port, String database) throws SQLException {
        try (Connection c = connect(port, database)) {
            String one = Sql.queryString(c, "SELECT 1");
            long t = System.nanoTime();
            if (!"1".equals(one)) {
                throw new IllegalStateException("SELECT 1 on " + database + " answered '" + one + "'");
            }
            return t;
        }
    }

    private Connection connect(int port, String database) throws SQLException {
        return Sql.connect(port, database, password, new Properties());
    }

    private void run(List<String> command, Path output, Duration timeout) {
        List<String> shown = new ArrayList<>(command);
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(output.toFile());
        Map<String, String> env = pb.environment();
        env.put("PGPASSWORD", password);
        env.put("PGSSLMODE", "disable");
        try {
            Files.createDirectories(output.getParent());
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(
                        String.join(" ", shown) + " did not finish within " + timeout + "; see " + output);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", shown) + " exited with " + p.exitValue() + ": "
                        + tail(Files.readString(output)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", shown), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", shown), e);
        }
    }

    private static String tail(String text) {
        String[] lines = text.split("\n");
        return String.join(" / ", List.of(lines).subList(Math.max(0, lines.length - 8), lines.length));
    }
}
