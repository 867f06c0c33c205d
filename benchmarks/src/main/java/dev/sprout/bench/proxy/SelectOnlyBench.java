package dev.sprout.bench.proxy;

import dev.sprout.bench.compute.Pgbench;
import dev.sprout.bench.kit.Cpu;
import dev.sprout.bench.kit.Fmt;
import dev.sprout.bench.kit.Report;
import dev.sprout.bench.kit.Stats;
import dev.sprout.bench.kit.Table;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.testkit.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * {@code pgbench -S -M prepared} straight to the compute, through the proxy without TLS, through the proxy with
 * TLS and, when it runs, through PgBouncer (the reference), in rounds whose order rotates (round 1 direct first,
 * round 2 the proxy first, round 3 the proxy with TLS first, round 4 PgBouncer first), so that a drift of the
 * machine falls on every path alike. Each measured run follows a {@code CHECKPOINT} and a warm-up run through the
 * same path (not counted). PgBouncer's CPU time is read from its own {@code /proc/<pid>/stat} and taken out of the
 * child processes' figure.
 */
record SelectOnlyBench(ProxySettings s, ProxyStack stack, Pgbench pgbench) {
    /** One measured run. */
    private record Run(
            int round,
            Via via,
            Pgbench.Result result,
            Cpu.Window cpu,
            double pgbouncerCpuMs,
            long sessions,
            long bytes,
            long errors) {

        /** PostgreSQL's processes and pgbench: the child processes without PgBouncer. */
        double postgresAndPgbenchCpuMs() {
            return Double.isNaN(pgbouncerCpuMs) ? cpu.childrenCpuMs() : cpu.childrenCpuMs() - pgbouncerCpuMs;
        }
    }

    /** The goal for the Sprout proxy against PgBouncer, like for like (Supavisor's "within 90% of PgBouncer"). */
    static final double GOAL_OF_PGBOUNCER = 0.9;

    List<String> args(long seconds) {
        return List.of(
                "-S",
                "-M",
                "prepared",
                "-c",
                Integer.toString(s.clients()),
                "-j",
                Integer.toString(s.threads()),
                "-T",
                Long.toString(seconds),
                "-P",
                s.quick() ? "5" : "10");
    }

    void run(Report report) throws SQLException {
        List<String> measured = args(s.run().toSeconds());
        List<String> warmup = args(s.warmup().toSeconds());
        List<Run> runs = new ArrayList<>();
        List<Via> paths = stack.paths();
        for (int round = 1; round <= s.rounds(); round++) {
            for (Via via : Via.order(round, paths)) {
                Pgbench p = pgbench.withSslMode(via.sslmode);
                int port = via.port(stack);
                String label = "select-r" + round + "-" + via.slug();
                p.bench(label + "-warmup", port, warmup, s.warmup());
                try (Connection c = stack.compute.connect()) {
                    Sql.exec(c, "CHECKPOINT");
                }
                long sessions = stack.sessionsOpened();
                long bytes = stack.bytesRelayed();
                long errors = stack.errors();
                double bouncerBefore = pgbouncerCpuMs();
                var before = Cpu.read();
                Pgbench.Result r = p.bench(label, port, measured, s.run());
                Cpu.Window cpu = Cpu.between(before, Cpu.read());
                double bouncer = pgbouncerCpuMs() - bouncerBefore;
                Run run = new Run(
                        round,
                        via,
                        r,
                        cpu,
                        bouncer,
                        stack.sessionsOpened() - sessions,
                        stack.bytesRelayed() - bytes,
                        stack.errors() - errors);
                runs.add(run);
                BenchEnv.log(
                        "select-only round %d/%d, %s: %s tps, latency %s ms, %s failed; JVM CPU %s ms/txn;"
                                + " PgBouncer CPU %s ms/txn; proxy sessions %d; others' CPU %s, load %s before",
                        round,
                        s.rounds(),
                        via.label,
                        Fmt.num(r.tps()),
                        Fmt.dec(r.latencyMs(), 3),
                        Fmt.count(r.failed()),
                        Fmt.dec(cpu.jvmCpuMs() / r.transactions(), 4),
                        Fmt.dec(bouncer / r.transactions(), 4),
                        run.sessions(),
                        Fmt.percent(cpu.others()),
                        Fmt.dec(cpu.loadBefore(), 2));
            }
        }
        section(report, String.join(" ", measured), runs, paths);
    }

    /** PgBouncer's CPU time so far (ms), NaN without PgBouncer. */
    private double pgbouncerCpuMs() {
        return stack.pgbouncer == null ? Double.NaN : stack.pgbouncer.cpuMs();
    }

    private void section(Report report, String command, List<Run> runs, List<Via> paths) {
        boolean bouncer = paths.contains(Via.PGBOUNCER);
        List<String> headers = new ArrayList<>(List.of(
                "round",
                "order",
                "direct tps>",
                "proxy tps>",
                "proxy ÷ direct>",
                "proxy TLS tps>",
                "proxy TLS ÷ direct>"));
        if (bouncer) {
            headers.addAll(List.of("pgbouncer tps>", "pgbouncer ÷ direct>", "proxy ÷ pgbouncer>"));
        }
        headers.addAll(List.of("direct latency ms>", "proxy latency ms>", "proxy TLS latency ms>"));
        if (bouncer) {
            headers.add("pgbouncer latency ms>");
        }
        Table rounds = new Table(headers.toArray(String[]::new));
        Map<Via, List<Double>> tps = new EnumMap<>(Via.class);
        Map<Via, List<Double>> latency = new EnumMap<>(Via.class);
        List<Double> pairedPlain = new ArrayList<>();
        List<Double> pairedTls = new ArrayList<>();
        List<Double> pairedBouncer = new ArrayList<>();
        List<Double> pairedProxyBouncer = new ArrayList<>();
        for (int round = 1; round <= s.rounds(); round++) {
            Run d = find(runs, round, Via.DIRECT);
            Run p = find(runs, round, Via.PROXY);
            Run t = find(runs, round, Via.PROXY_TLS);
            Run b = bouncer ? find(runs, round, Via.PGBOUNCER) : null;
            for (Run r : bouncer ? List.of(d, p, t, b) : List.of(d, p, t)) {
                tps.computeIfAbsent(r.via(), v -> new ArrayList<>())
                        .add(r.result().tps());
                latency.computeIfAbsent(r.via(), v -> new ArrayList<>())
                        .add(r.result().latencyMs());
            }
            double rp = p.result().tps() / d.result().tps();
            double rt = t.result().tps() / d.result().tps();
            pairedPlain.add(rp);
            pairedTls.add(rt);
            List<String> order = new ArrayList<>();
            for (Via v : Via.order(round, paths)) {
                order.add(v.slug());
            }
            List<Object> row = new ArrayList<>(List.of(
                    round,
                    String.join(", ", order),
                    Fmt.num(d.result().tps()),
                    Fmt.num(p.result().tps()),
                    Fmt.ratio(rp),
                    Fmt.num(t.result().tps()),
                    Fmt.ratio(rt)));
            if (bouncer) {
                double rb = b.result().tps() / d.result().tps();
                double pb = p.result().tps() / b.result().tps();
                pairedBouncer.add(rb);
                pairedProxyBouncer.add(pb);
                row.addAll(List.of(Fmt.num(b.result().tps()), Fmt.ratio(rb), Fmt.ratio(pb)));
            }
            row.addAll(List.of(
                    Fmt.dec(d.result().latencyMs(), 3),
                    Fmt.dec(p.result().latencyMs(), 3),
                    Fmt.dec(t.result().latencyMs(), 3)));
            if (bouncer) {
                row.add(Fmt.dec(b.result().latencyMs(), 3));
            }
            rounds.row(row.toArray());
        }
        double md = Stats.median(tps.get(Via.DIRECT));
        double mp = Stats.median(tps.get(Via.PROXY));
        double mt = Stats.median(tps.get(Via.PROXY_TLS));
        double mb = bouncer ? Stats.median(tps.get(Via.PGBOUNCER)) : Double.NaN;
        List<Object> medians = new ArrayList<>(List.of(
                "**median**",
                "",
                "**" + Fmt.num(md) + "**",
                "**" + Fmt.num(mp) + "**",
                "**" + Fmt.ratio(mp / md) + "**",
                "**" + Fmt.num(mt) + "**",
                "**" + Fmt.ratio(mt / md) + "**"));
        if (bouncer) {
            medians.addAll(List.of(
                    "**" + Fmt.num(mb) + "**", "**" + Fmt.ratio(mb / md) + "**", "**" + Fmt.ratio(mp / mb) + "**"));
        }
        medians.addAll(List.of(
                Fmt.dec(Stats.median(latency.get(Via.DIRECT)), 3),
                Fmt.dec(Stats.median(latency.get(Via.PROXY)), 3),
                Fmt.dec(Stats.median(latency.get(Via.PROXY_TLS)), 3)));
        if (bouncer) {
            medians.add(Fmt.dec(Stats.median(latency.get(Via.PGBOUNCER)), 3));
        }
        rounds.row(medians.toArray());
        goal(report, "sslmode=disable", mp, md, pairedPlain);
        goal(report, "sslmode=require: TLS to the proxy, what libpq's default `prefer` picks", mt, md, pairedTls);
        String reference;
        if (bouncer) {
            double ratio = mp / mb;
            report.goal(
                    "Sprout proxy ≥ " + GOAL_OF_PGBOUNCER + "× PgBouncer (tps, sslmode=disable)",
                    Fmt.ratio(ratio) + " ("
                            + Fmt.num(mp) + " vs " + Fmt.num(mb) + " tps, medians; per-round ratios "
                            + Fmt.ratio(Stats.min(pairedProxyBouncer))
                            + "–" + Fmt.ratio(Stats.max(pairedProxyBouncer)) + "; PgBouncer ÷ direct "
                            + Fmt.ratio(mb / md) + ")",
                    ratio >= GOAL_OF_PGBOUNCER);
            reference =
                    "\n\nPgBouncer ÷ direct: ratio of the medians " + Fmt.ratio(mb / md) + ", median of the per-round"
                            + " ratios " + Fmt.ratio(Stats.median(pairedBouncer))
                            + ". **Sprout proxy ÷ PgBouncer** (both without"
                            + " TLS, the like-for-like comparison to Supavisor's \"within 90% of PgBouncer\"): ratio of the medians "
                            + Fmt.ratio(mp / mb) + " (with TLS to the proxy: " + Fmt.ratio(mt / mb)
                            + "), median of the per-round ratios "
                            + Fmt.ratio(Stats.median(pairedProxyBouncer)) + ".";
        } else {
            reference = "\n\nPgBouncer (the reference path): **skipped**, " + stack.pgbouncerSkipped + ".";
        }

        List<String> diagHeaders = new ArrayList<>(List.of(
                "round",
                "via",
                "transactions>",
                "failed>",
                "harness JVM CPU ms / txn>",
                "harness JVM CPU, cores>",
                "PostgreSQL + pgbench CPU ms / txn>"));
        if (bouncer) {
            diagHeaders.addAll(List.of("PgBouncer CPU ms / txn>", "PgBouncer CPU, cores>"));
        }
        diagHeaders.addAll(
                List.of("others' CPU>", "load before>", "proxy sessions>", "bytes relayed / txn>", "proxy errors>"));
        Table diag = new Table(diagHeaders.toArray(String[]::new));
        for (Run r : runs) {
            long txns = r.result().transactions();
            double seconds = r.result().wall().toNanos() / 1e9;
            List<Object> row = new ArrayList<>(List.of(
                    r.round(),
                    r.via().label,
                    Fmt.count(txns),
                    Fmt.count(r.result().failed()),
                    Fmt.dec(r.cpu().jvmCpuMs() / txns, 4),
                    Fmt.dec(r.cpu().jvmCpuMs() / 1e3 / seconds, 2),
                    Fmt.dec(r.postgresAndPgbenchCpuMs() / txns, 4)));
            if (bouncer) {
                row.addAll(
                        List.of(Fmt.dec(r.pgbouncerCpuMs() / txns, 4), Fmt.dec(r.pgbouncerCpuMs() / 1e3 / seconds, 2)));
            }
            row.addAll(List.of(
                    Fmt.percent(r.cpu().others()),
                    Fmt.dec(r.cpu().loadBefore(), 2),
                    r.via().sprout() ? Long.toString(r.sessions()) : "",
                    r.via().sprout() ? Fmt.num(r.bytes() / (double) txns) : "",
                    r.via().sprout() ? Long.toString(r.errors()) : ""));
            diag.row(row.toArray());
        }
        report.section("#### Select-only\n\n`pgbench " + command
                + "`, user `postgres`, database `postgres`, SCRAM, each"
                + " run after a `CHECKPOINT` and a " + Fmt.seconds(s.warmup())
                + " warm-up run through the same path (not"
                + " counted); " + s.rounds() + " round(s), the order rotating"
                + (bouncer && s.rounds() < paths.size()
                        ? " (with " + paths.size() + " paths, only " + paths.size()
                                + " rounds let every path go first once)"
                        : "")
                + ". tps excludes the initial connection time"
                + " (pgbench 15). Direct: the compute's port (it offers no TLS). Proxy: the proxy's port, branch `main` by"
                + " default, with `PGSSLMODE=disable` and with `PGSSLMODE=require` (libpq's default `prefer` would pick TLS"
                + " through the proxy, since the proxy offers it, hence both)."
                + (bouncer
                        ? " PgBouncer: its port, `PGSSLMODE=disable`, session pooling (each pgbench client keeps one"
                                + " server connection for the run)."
                        : "")
                + "\n\n" + rounds.render()
                + "\nProxy ÷ direct: ratio of the medians " + Fmt.ratio(mp / md) + " without TLS, " + Fmt.ratio(mt / md)
                + " with TLS; median of the per-round ratios " + Fmt.ratio(Stats.median(pairedPlain)) + " and "
                + Fmt.ratio(Stats.median(pairedTls)) + "." + reference
                + "\n\nWhat each run cost, CPU from `/proc`: the harness JVM's own"
                + " threads are the proxy's (the pageserver and the compute's FUSE filesystem, also in this JVM, sit idle"
                + " once the data is in memory: the direct runs show how idle); its child processes are every PostgreSQL"
                + " process and pgbench"
                + (bouncer
                        ? ", and PgBouncer, whose CPU time is read from its own"
                                + " `/proc/<pid>/stat` and shown apart (the PostgreSQL + pgbench column excludes it)"
                        : "")
                + ". Cores = CPU time ÷ wall time of the run. Proxy sessions, bytes and errors from"
                + " the proxy's meters (pgbench opens one connection per client plus one of its own):\n\n"
                + diag.render());
    }

    private static void goal(Report report, String variant, double proxy, double direct, List<Double> paired) {
        double ratio = proxy / direct;
        report.goal(
                "`pgbench -S` through the proxy >= 0.9× direct (tps, medians), " + variant,
                Fmt.ratio(ratio) + " (" + Fmt.num(proxy) + " vs " + Fmt.num(direct) + " tps; per-round ratios "
                        + Fmt.ratio(Stats.min(paired)) + "–" + Fmt.ratio(Stats.max(paired)) + ")",
                ratio >= 0.9);
    }

    private static Run find(List<Run> runs, int round, Via via) {
        return runs.stream()
                .filter(r -> r.round() == round && r.via() == via)
                .findFirst()
                .orElseThrow();
    }
}
