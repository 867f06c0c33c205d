package dev.sprout.bench.compute;

import dev.sprout.bench.kit.Fmt;
import dev.sprout.bench.kit.Report;
import dev.sprout.bench.kit.Table;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.Compute;
import dev.sprout.compute.ComputeSpec;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.testkit.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The project the throughput and cold-start steps work on: a compute on a new root timeline (initdb through the
 * agent) and its twin on local disk, both loaded with {@code pgbench -i -s <scale>}. Both servers keep running
 * until {@link #close()}; the one not being measured is idle.
 */
final class Project implements AutoCloseable {
    /** Settings compared between the two servers in the report. */
    private static final List<String> SHOWN = List.of(
            "server_version",
            "shared_buffers",
            "fsync",
            "synchronous_commit",
            "full_page_writes",
            "wal_sync_method",
            "wal_init_zero",
            "wal_recycle",
            "recovery_init_sync_method",
            "max_wal_size",
            "checkpoint_timeout",
            "max_connections",
            "effective_io_concurrency",
            "data_checksums",
            "track_wal_io_timing",
            "log_timezone");

    final Env env;
    final TimelineId timeline;
    final Compute compute;
    final NativeCluster local;

    private Project(Env env, TimelineId timeline, Compute compute, NativeCluster local) {
        this.env = env;
        this.timeline = timeline;
        this.compute = compute;
        this.local = local;
    }

    static Project setUp(Env env, Report report) throws SQLException {
        Settings s = env.settings();
        TimelineId timeline = TimelineId.random();
        env.pageserver().store().createRoot(timeline, 0, 0);
        ComputeSpec spec = env.computeSpec(timeline.toString(), "main");
        BenchEnv.log("project: starting a compute with initdb on root timeline %s (port %d)", timeline, spec.port());
        long t = System.nanoTime();
        Compute compute = Compute.start(spec, true);
        Duration computeStart = Duration.ofNanos(System.nanoTime() - t);
        BenchEnv.log("project: compute up in %s (initdb, sync, start)", Fmt.seconds(round(computeStart)));

        NativeCluster local;
        Duration localInitdb;
        Duration localStart;
        try {
            local = new NativeCluster(env.install(), env.runDir().resolve("local"), env.password());
            t = System.nanoTime();
            localInitdb = local.initAndStart();
            localStart = Duration.ofNanos(System.nanoTime() - t);
        } catch (RuntimeException e) {
            compute.close();
            throw e;
        }
        BenchEnv.log(
                "project: local-disk server up in %s (port %d, %s)",
                Fmt.seconds(round(localStart)), local.port(), local.dataDir());
        Project p = new Project(env, timeline, compute, local);
        try {
            BenchEnv.log("project: pgbench -i -s %d on the compute", s.scale());
            Duration computeLoad = env.pgbench().init("init-compute", compute.port(), s.scale());
            BenchEnv.log(
                    "project: loaded the compute in %s; pgbench -i -s %d on local disk",
                    Fmt.seconds(round(computeLoad)), s.scale());
            Duration localLoad = env.pgbench().init("init-local", local.port(), s.scale());
            BenchEnv.log("project: loaded local disk in %s", Fmt.seconds(round(localLoad)));
            p.report(report, computeStart, localStart, localInitdb, computeLoad, localLoad);
        } catch (RuntimeException | SQLException e) {
            p.close();
            throw e;
        }
        return p;
    }

    private void report(
            Report report,
            Duration computeStart,
            Duration localStart,
            Duration localInitdb,
            Duration computeLoad,
            Duration localLoad)
            throws SQLException {
        Map<String, String> c = settings(compute.connect());
        Map<String, String> l = settings(local.connect());
        Table set = new Table("setting", "compute", "local disk");
        for (String name : SHOWN) {
            set.row("`" + name + "`", c.getOrDefault(name, "–"), l.getOrDefault(name, "–"));
        }
        long dbCompute;
        long dbLocal;
        try (Connection cc = compute.connect();
                Connection lc = local.connect()) {
            dbCompute = Long.parseLong(Sql.queryString(cc, "SELECT pg_database_size('postgres')"));
            dbLocal = Long.parseLong(Sql.queryString(lc, "SELECT pg_database_size('postgres')"));
        }
        Table setup = new Table("what", "compute>", "local disk>", "compute ÷ local>");
        setup.row(
                "start with initdb (compute: `Compute.start(spec, true)`: attach, mount, initdb --no-sync, commit, start;"
                        + " local: `Initdb.run` --no-sync, start), s",
                secs(computeStart),
                secs(localStart),
                Fmt.ratio(ratio(computeStart, localStart)));
        setup.row(
                "`pgbench -i -s " + env.settings().scale() + "` (load, VACUUM, primary keys), s",
                secs(computeLoad),
                secs(localLoad),
                Fmt.ratio(ratio(computeLoad, localLoad)));
        setup.row(
                "database size after the load, MiB", Fmt.num(dbCompute / 1048576.0), Fmt.num(dbLocal / 1048576.0), "");
        report.section("#### Set-up\n\nThe project: a compute on a new root timeline and its twin on local disk ("
                + env.runDir().resolve("local/data") + "; local initdb alone took " + Fmt.ms(localInitdb) + " ms).\n\n"
                + setup.render() + "\nSettings as both servers report them (`pg_settings`):\n\n" + set.render());
    }

    private static Map<String, String> settings(Connection connection) throws SQLException {
        Map<String, String> m = new LinkedHashMap<>();
        try (Connection c = connection;
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT name, setting, unit FROM pg_settings")) {
            while (rs.next()) {
                String unit = rs.getString(3);
                m.put(rs.getString(1), rs.getString(2) + (unit == null ? "" : " × " + unit));
            }
        }
        return m;
    }

    @Override
    public void close() {
        env.keepLog(compute.logFile(), "postgres-compute-main.log");
        env.keepLog(local.logFile(), "postgres-local.log");
        try {
            compute.close();
        } finally {
            local.close();
        }
    }

    static double ratio(Duration a, Duration b) {
        return a.toNanos() / (double) b.toNanos();
    }

    static String secs(Duration d) {
        return Fmt.dec(d.toMillis() / 1e3, 1);
    }

    private static Duration round(Duration d) {
        return Duration.ofMillis(d.toMillis() / 100 * 100);
    }
}
