package dev.sprout.bench.proxy;

import dev.sprout.bench.kit.Fmt;
import dev.sprout.bench.kit.Report;
import dev.sprout.bench.kit.Stats;
import dev.sprout.bench.kit.Table;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.testkit.Sql;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Connection set-up through pgjdbc in this JVM: open a connection (TCP, the proxy's TLS when asked, SCRAM),
 * {@code SELECT 1}, close, timed as a whole. Each iteration does it once on every path of the run (direct, proxy,
 * proxy with TLS, and PgBouncer when it runs), the order
 * rotating from one iteration to the next, so that the samples of the paths are interleaved in time. A warm-up of
 * iterations first (class loading, the JIT, pgjdbc's and the proxy's first connections), not counted.
 */
record ConnectBench(ProxySettings s, ProxyStack stack, String password) {
    /** The goal: the proxy adds at most this much to the median connection set-up. */
    static final double GOAL_ADDED_P50_MS = 2.0;

    void run(Report report) throws SQLException {
        List<Via> paths = stack.paths();
        BenchEnv.log(
                "connection set-up: %d warm-up and %d measured iterations of %d connections each",
                s.connectWarmup(), s.connects(), paths.size());
        for (int i = 0; i < s.connectWarmup(); i++) {
            for (Via via : Via.order(i + 1, paths)) {
                once(via);
            }
        }
        long sessions = stack.sessionsOpened();
        long errors = stack.errors();
        Map<Via, List<Double>> ms = new EnumMap<>(Via.class);
        long started = System.nanoTime();
        for (int i = 0; i < s.connects(); i++) {
            for (Via via : Via.order(i + 1, paths)) {
                ms.computeIfAbsent(via, v -> new ArrayList<>()).add(once(via));
            }
        }
        long seconds = Math.round((System.nanoTime() - started) / 1e9);
        long proxied = stack.sessionsOpened() - sessions;
        long failed = stack.errors() - errors;
        BenchEnv.log(
                "connection set-up: done in %d s; p50 direct %s ms, proxy %s ms, proxy TLS %s ms%s",
                seconds,
                Fmt.dec(Stats.percentile(ms.get(Via.DIRECT), 50), 2),
                Fmt.dec(Stats.percentile(ms.get(Via.PROXY), 50), 2),
                Fmt.dec(Stats.percentile(ms.get(Via.PROXY_TLS), 50), 2),
                ms.containsKey(Via.PGBOUNCER)
                        ? ", pgbouncer " + Fmt.dec(Stats.percentile(ms.get(Via.PGBOUNCER), 50), 2) + " ms"
                        : "");

        List<Double> direct = ms.get(Via.DIRECT);
        double directP50 = Stats.percentile(direct, 50);
        Table t = new Table(
                "via",
                "p50 ms>",
                "p90 ms>",
                "p99 ms>",
                "min ms>",
                "max ms>",
                "added p50 ms>",
                "median of the per-iteration differences ms>");
        for (Via via : paths) {
            List<Double> v = ms.get(via);
            String added = via.proxied() ? Fmt.dec(Stats.percentile(v, 50) - directP50, 2) : "";
            String paired = via.proxied() ? Fmt.dec(Stats.median(differences(v, direct)), 2) : "";
            t.row(
                    via.label,
                    Fmt.dec(Stats.percentile(v, 50), 2),
                    Fmt.dec(Stats.percentile(v, 90), 2),
                    Fmt.dec(Stats.percentile(v, 99), 2),
                    Fmt.dec(Stats.min(v), 2),
                    Fmt.dec(Stats.max(v), 2),
                    added,
                    paired);
        }
        goal(report, "sslmode=disable", ms.get(Via.PROXY), direct);
        goal(
                report,
                "sslmode=require: TLS to the proxy against a plain direct connection (the compute offers no TLS)",
                ms.get(Via.PROXY_TLS),
                direct);
        report.section("#### Connection set-up\n\npgjdbc in the harness's JVM: `DriverManager.getConnection` (user"
                + " `postgres`, database `postgres`, SCRAM), `SELECT 1`, `close()`, timed together; " + s.connects()
                + " iterations after " + s.connectWarmup() + " of warm-up, each iteration one connection per path, the"
                + " order rotating, so that the paths' samples interleave (" + seconds + " s in all). Nearest-rank"
                + " percentiles; with " + s.connects() + " samples p99 is the " + largest(s.connects()) + "."
                + " Added p50 = the path's p50 − direct p50. The proxy admitted " + proxied
                + " connections in the measured"
                + " loop (expected " + 2L * s.connects() + ") and refused " + failed + "." + reference(ms) + "\n\n"
                + t.render());
    }

    private static void goal(Report report, String variant, List<Double> proxy, List<Double> direct) {
        double p = Stats.percentile(proxy, 50);
        double d = Stats.percentile(direct, 50);
        double added = p - d;
        report.goal(
                "connection set-up (connect + auth + `SELECT 1`) p50 added by the proxy <= "
                        + Fmt.dec(GOAL_ADDED_P50_MS, 0) + " ms, " + variant,
                "+" + Fmt.dec(added, 2) + " ms (p50 " + Fmt.dec(p, 2) + " vs " + Fmt.dec(d, 2) + " ms direct; p99 "
                        + Fmt.dec(Stats.percentile(proxy, 99), 2) + " vs " + Fmt.dec(Stats.percentile(direct, 99), 2)
                        + " ms)",
                added <= GOAL_ADDED_P50_MS);
    }

    private String reference(Map<Via, List<Double>> ms) {
        if (!ms.containsKey(Via.PGBOUNCER)) {
            return " PgBouncer (the reference path): **skipped**, " + stack.pgbouncerSkipped + ".";
        }
        List<Double> b = ms.get(Via.PGBOUNCER);
        double pb = Stats.percentile(b, 50);
        return " PgBouncer (sslmode=disable, session pooling) authenticates the client itself (SCRAM against its"
                + " `auth_file`) and hands it a pooled server connection, kept open after the previous client's"
                + " `close()` (reset with `DISCARD ALL`), so its set-up includes no PostgreSQL backend start, unlike the"
                + " direct path and the proxy's. Sprout proxy p50 − PgBouncer p50: "
                + Fmt.dec(Stats.percentile(ms.get(Via.PROXY), 50) - pb, 2) + " ms without TLS, "
                + Fmt.dec(Stats.percentile(ms.get(Via.PROXY_TLS), 50) - pb, 2)
                + " ms with TLS; median of the per-iteration"
                + " differences (proxy − PgBouncer, without TLS) "
                + Fmt.dec(Stats.median(differences(ms.get(Via.PROXY), b)), 2)
                + " ms.";
    }

    /** One connection on {@code via}, in milliseconds from the connect call to the end of {@code close()}. */
    private double once(Via via) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", Sql.SUPERUSER);
        p.setProperty("password", password);
        p.setProperty("sslmode", via.sslmode);
        String url = "jdbc:postgresql://127.0.0.1:" + via.port(stack) + "/postgres";
        long t = System.nanoTime();
        try (Connection c = DriverManager.getConnection(url, p)) {
            String one = Sql.queryString(c, "SELECT 1");
            if (!"1".equals(one)) {
                throw new IllegalStateException("SELECT 1 " + via.label + " answered '" + one + "'");
            }
        }
        return (System.nanoTime() - t) / 1e6;
    }

    private static List<Double> differences(List<Double> a, List<Double> b) {
        List<Double> d = new ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) {
            d.add(a.get(i) - b.get(i));
        }
        return d;
    }

    /** Which sample the nearest-rank p99 of {@code samples} is: "largest", "4th largest". */
    private static String largest(int samples) {
        int fromTop = samples - (int) Math.ceil(0.99 * samples) + 1;
        return fromTop == 1 ? "largest" : fromTop + (fromTop == 2 ? "nd" : fromTop == 3 ? "rd" : "th") + " largest";
    }
}
