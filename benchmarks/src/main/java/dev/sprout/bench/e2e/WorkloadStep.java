package dev.sprout.bench.e2e;

import dev.sprout.bench.compute.NativeCluster;
import dev.sprout.bench.compute.Pgbench;
import dev.sprout.bench.kit.Stats;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.Compute;
import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.testkit.Sql;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Step {@code workload}: pgbench on a branch of one dataset against the same data natively, and through the proxy
 * against straight to the branch's compute. The branch {@code wl} is created through the API on a clone of the
 * store and woken through the control plane; the native side is {@code CREATE DATABASE e2e_wl TEMPLATE postgres}
 * on the dataset's cluster (dropped afterwards, so the cached dataset does not change). The compute benchmark's
 * method ({@code ThroughputBench}, {@code SelectOnlyBench}): {@code -c clients -j threads}, a {@code CHECKPOINT}
 * before each measured run, each run after a warm-up run of the same workload (not counted: the branch's compute
 * has just started and its cache is empty, while the native cluster's files sit in the OS page cache), the two
 * sides alternating first from round to round; tps excludes the initial connection time.
 * <ul>
 *   <li>TPC-B ({@code pgbench -T}) and select-only ({@code -S}): branch's compute (its own port) vs native;</li>
 *   <li>select-only with prepared statements ({@code -S -M prepared}, as the proxy benchmark runs it): through the
 *       proxy ({@code PGOPTIONS=branch=wl}, no TLS) vs straight to the same compute.</li>
 * </ul>
 */
record WorkloadStep(E2eSettings s, PostgresInstall install, Path work) {
    /** One comparison: tps of side A and side B per round. */
    record Comparison(String name, String command, String a, String b, List<Double> aTps, List<Double> bTps) {
        double ratio() {
            return Stats.median(aTps) / Stats.median(bTps);
        }
    }

    record Result(Dataset.Ready dataset, List<Comparison> comparisons) {}

    private static final String BRANCH = "wl";
    private static final String NATIVE_DB = "e2e_wl";

    Result run(Dataset.Ready d) throws SQLException {
        Pgbench base = new Pgbench(install, d.password(), s.logs().resolve("pgbench"));
        List<Comparison> out = new ArrayList<>();
        try (SproutRun r = SproutRun.open(d, work);
                NativeCluster cluster = new NativeCluster(install, d.nativeDir(), d.password())) {
            CurlCreates.newConnection(
                    r.stack.pageserver.httpPort(),
                    r.stack.pageserver.credentials().admin().value(),
                    BRANCH);
            r.stack.control.wake(BRANCH);
            Compute compute = r.stack.control.compute(BRANCH).orElseThrow();
            cluster.start();
            NativeCopies natives = new NativeCopies(
                    install, cluster, d.password(), work, s.logs().resolve("copies"));
            natives.dropLeftovers();
            natives.createFromTemplate(NATIVE_DB);
            try {
                Side branch = new Side("branch compute", base, compute.port(), compute::connect);
                Side nat = new Side("native", base.withDatabase(NATIVE_DB), cluster.port(), () -> cluster.connect());
                Side proxy = new Side(
                        "through the proxy",
                        base.withOptions("branch=" + BRANCH),
                        r.stack.proxy.port(),
                        compute::connect);
                List<String> common = List.of(
                        "-c",
                        Integer.toString(s.clients()),
                        "-j",
                        Integer.toString(s.threads()),
                        "-P",
                        s.quick() ? "5" : "10");
                long t = s.run().toSeconds();
                long w = s.warmup().toSeconds();
                out.add(compare("tpcb", "TPC-B", with(common, "-T", t), with(common, "-T", w), branch, nat));
                out.add(compare(
                        "select",
                        "select-only",
                        with(common, "-S", "-T", t),
                        with(common, "-S", "-T", w),
                        branch,
                        nat));
                out.add(compare(
                        "proxy",
                        "select-only, prepared",
                        with(common, "-S", "-M", "prepared", "-T", t),
                        with(common, "-S", "-M", "prepared", "-T", w),
                        proxy,
                        new Side("direct", base, compute.port(), compute::connect)));
            } finally {
                natives.drop(NATIVE_DB);
            }
        }
        return new Result(d, out);
    }

    private interface Connector {
        Connection connect() throws SQLException;
    }

    private record Side(String label, Pgbench pgbench, int port, Connector server) {}

    private Comparison compare(String slug, String name, List<String> args, List<String> warmup, Side a, Side b)
            throws SQLException {
        List<Double> aTps = new ArrayList<>();
        List<Double> bTps = new ArrayList<>();
        for (int round = 1; round <= s.rounds(); round++) {
            Side[] order = round % 2 == 1 ? new Side[] {a, b} : new Side[] {b, a};
            for (Side side : order) {
                String label = "wl-" + slug + "-r" + round + "-" + (side == a ? "a" : "b");
                if (warmup != null) {
                    side.pgbench().bench(label + "-warmup", side.port(), warmup, s.warmup());
                }
                try (Connection c = side.server().connect()) {
                    Sql.exec(c, "CHECKPOINT");
                }
                BenchEnv.settleDisk();
                Pgbench.Result res = side.pgbench().bench(label, side.port(), args, s.run());
                (side == a ? aTps : bTps).add(res.tps());
                BenchEnv.log(
                        "  workload %s round %d/%d, %s: %.0f tps, latency %.2f ms",
                        name, round, s.rounds(), side.label(), res.tps(), res.latencyMs());
            }
        }
        return new Comparison(name, "pgbench " + String.join(" ", args), a.label(), b.label(), aTps, bTps);
    }

    private static List<String> with(List<String> base, Object... more) {
        List<String> l = new ArrayList<>(base);
        for (Object o : more) {
            l.add(String.valueOf(o));
        }
        return l;
    }
}
