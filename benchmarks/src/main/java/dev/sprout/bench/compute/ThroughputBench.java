package dev.sprout.bench.compute;

import dev.sprout.bench.kit.Cpu;
import dev.sprout.bench.kit.Fmt;
import dev.sprout.bench.kit.Report;
import dev.sprout.bench.kit.Stats;
import dev.sprout.bench.kit.Table;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.fs.FsStats;
import dev.sprout.storage.PageStore;
import dev.sprout.testkit.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * pgbench TPC-B, then select-only, on the compute and on local disk, alternating: round 1 runs the compute
 * first, round 2 local disk first, and so on, so that a drift of the machine over the run (other work, the
 * growth of the tables) falls on both sides alike. Each measured run follows a {@code CHECKPOINT} (not timed),
 * so that no run inherits the other's dirty buffers or a checkpoint half done; each select-only run follows a
 * warm-up run of the same workload (not counted).
 */
final class ThroughputBench {
    /** One measured pgbench run and what went on meanwhile. */
    private record Run(
            int round,
            boolean onCompute,
            Pgbench.Result result,
            Cpu.Window cpu,
            Optional<FsDelta> fs,
            Optional<StoreDelta> store,
            Optional<PageserverOps> ops,
            WalStats wal) {}

    /** {@code pg_stat_wal} (PostgreSQL 14+; the times need {@code track_wal_io_timing}, on in both servers). */
    private record WalStats(
            long records, long fpi, long bytes, long writes, long syncs, double writeMs, double syncMs) {
        static final WalStats NONE = new WalStats(0, 0, 0, 0, 0, Double.NaN, Double.NaN);

        static WalStats read(Connection c) throws SQLException {
            try (var st = c.createStatement();
                    var rs = st.executeQuery("SELECT wal_records, wal_fpi, wal_bytes, wal_write,"
                            + " wal_sync, wal_write_time, wal_sync_time FROM pg_stat_wal")) {
                rs.next();
                return new WalStats(
                        rs.getLong(1),
                        rs.getLong(2),
                        rs.getLong(3),
                        rs.getLong(4),
                        rs.getLong(5),
                        rs.getDouble(6),
                        rs.getDouble(7));
            }
        }

        WalStats minus(WalStats o) {
            return new WalStats(
                    records - o.records,
                    fpi - o.fpi,
                    bytes - o.bytes,
                    writes - o.writes,
                    syncs - o.syncs,
                    writeMs - o.writeMs,
                    syncMs - o.syncMs);
        }
    }

    /** What the compute's filesystem asked of the pageserver during a run. */
    private record FsDelta(
            long pagesRead,
            long getPagesCalls,
            long commits,
            long pagesCommitted,
            long fsyncs,
            long pressureFlushes,
            long bytesWritten) {
        static FsDelta of(FsStats s) {
            return new FsDelta(
                    s.pagesRead(),
                    s.getPagesCalls(),
                    s.commits(),
                    s.pagesCommitted(),
                    s.fsyncs(),
                    s.pressureFlushes(),
                    s.bytesWritten());
        }

        FsDelta minus(FsDelta o) {
            return new FsDelta(
                    pagesRead - o.pagesRead,
                    getPagesCalls - o.getPagesCalls,
                    commits - o.commits,
                    pagesCommitted - o.pagesCommitted,
                    fsyncs - o.fsyncs,
                    pressureFlushes - o.pressureFlushes,
                    bytesWritten - o.bytesWritten);
        }
    }

    /**
     * The pageserver store during a run: its commits and the synced writes that carried them, the page versions
     * and stored page bytes (compressed by nothing: what the timelines' counters hold) it gained, and the bytes
     * this JVM had written to the disk ({@code write_bytes} of {@code /proc/self/io}: the store's RocksDB WAL,
     * flushes and compactions; the harness itself writes little meanwhile).
     */
    private record StoreDelta(long commits, long writes, long pageVersions, long pageBytes, long diskBytes) {
        static StoreDelta of(PageStore store) {
            PageStore.CommitStats s = store.commitStats();
            long versions = 0;
            long bytes = 0;
            for (var t : store.timelines()) {
                versions += t.ownPageVersions();
                bytes += t.ownPageBytes();
            }
            return new StoreDelta(s.commits(), s.writes(), versions, bytes, diskWriteBytes());
        }

        StoreDelta minus(StoreDelta o) {
            return new StoreDelta(
                    commits - o.commits,
                    writes - o.writes,
                    pageVersions - o.pageVersions,
                    pageBytes - o.pageBytes,
                    diskBytes - o.diskBytes);
        }

        private static long diskWriteBytes() {
            try {
                for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/io"))) {
                    if (line.startsWith("write_bytes:")) {
                        return Long.parseLong(
                                line.substring("write_bytes:".length()).trim());
                    }
                }
            } catch (java.io.IOException | RuntimeException e) {
                // not Linux, or /proc not readable: the column says 0
            }
            return 0;
        }
    }

    private final Env env;
    private final Project project;
    private final Settings s;

    ThroughputBench(Env env, Project project) {
        this.env = env;
        this.project = project;
        this.s = env.settings();
    }

    void run(Report report) throws SQLException {
        List<String> common = List.of(
                "-c", Integer.toString(s.clients()), "-j", Integer.toString(s.threads()), "-P", s.quick() ? "5" : "10");
        List<String> tpcb = with(common, "-T", Long.toString(s.run().toSeconds()));
        List<String> select = with(common, "-S", "-T", Long.toString(s.run().toSeconds()));
        List<String> warmup = with(common, "-S", "-T", Long.toString(s.warmup().toSeconds()));

        List<Run> tpcbRuns = workload("tpcb", tpcb, null);
        section(
                report,
                "TPC-B",
                "pgbench " + String.join(" ", tpcb),
                tpcbRuns,
                0.6,
                "TPC-B on the compute >= 0.6× local disk (tps, medians)");
        List<Run> selectRuns = workload("select", select, warmup);
        section(
                report,
                "Select-only",
                "pgbench " + String.join(" ", select) + " after a warm-up run of " + Fmt.seconds(s.warmup())
                        + " (not counted)",
                selectRuns,
                0.9,
                "select-only (`-S`) on the compute >= 0.9× local disk (tps, medians)");
    }

    private List<Run> workload(String name, List<String> args, List<String> warmup) throws SQLException {
        List<Run> runs = new ArrayList<>();
        for (int round = 1; round <= s.rounds(); round++) {
            boolean computeFirst = round % 2 == 1;
            for (boolean onCompute : computeFirst ? new boolean[] {true, false} : new boolean[] {false, true}) {
                String side = onCompute ? "compute" : "local";
                int port = onCompute ? project.compute.port() : project.local.port();
                if (warmup != null) {
                    env.pgbench().bench(name + "-r" + round + "-" + side + "-warmup", port, warmup, s.warmup());
                }
                WalStats walBefore;
                try (Connection c = connect(onCompute)) {
                    Sql.exec(c, "CHECKPOINT");
                    walBefore = WalStats.read(c);
                }
                Optional<PageserverOps> opsBefore =
                        onCompute ? Optional.of(PageserverOps.read(env.pageserver())) : Optional.empty();
                Optional<FsDelta> fsBefore =
                        onCompute ? Optional.of(FsDelta.of(project.compute.fs().stats())) : Optional.empty();
                StoreDelta storeBefore = StoreDelta.of(env.pageserver().store());
                Optional<Cpu.Sample> cpuBefore = Cpu.read();
                Pgbench.Result r = env.pgbench().bench(name + "-r" + round + "-" + side, port, args, s.run());
                Cpu.Window cpu = Cpu.between(cpuBefore, Cpu.read());
                Optional<FsDelta> fs = fsBefore.map(
                        b -> FsDelta.of(project.compute.fs().stats()).minus(b));
                Optional<StoreDelta> store = onCompute
                        ? Optional.of(StoreDelta.of(env.pageserver().store()).minus(storeBefore))
                        : Optional.empty();
                Optional<PageserverOps> ops =
                        opsBefore.map(b -> PageserverOps.read(env.pageserver()).minus(b));
                WalStats wal = WalStats.NONE;
                try {
                    Thread.sleep(1000); // backends report their WAL statistics as they exit
                    try (Connection c = connect(onCompute)) {
                        wal = WalStats.read(c).minus(walBefore);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                runs.add(new Run(round, onCompute, r, cpu, fs, store, ops, wal));
                BenchEnv.log(
                        "%s round %d/%d, %s: %s tps, latency %s ms, %s failed; others' CPU %s, load %s before",
                        name,
                        round,
                        s.rounds(),
                        onCompute ? "compute" : "local disk",
                        Fmt.num(r.tps()),
                        Fmt.dec(r.latencyMs(), 2),
                        Fmt.count(r.failed()),
                        Fmt.percent(cpu.others()),
                        Fmt.dec(cpu.loadBefore(), 2));
            }
        }
        return runs;
    }

    private Connection connect(boolean onCompute) throws SQLException {
        return onCompute ? project.compute.connect() : project.local.connect();
    }

    private void section(Report report, String title, String command, List<Run> runs, double goal, String goalText) {
        Table rounds = new Table(
                "round",
                "order",
                "compute tps>",
                "local tps>",
                "compute ÷ local>",
                "compute latency ms>",
                "local latency ms>",
                "others' CPU (compute run)>",
                "others' CPU (local run)>",
                "load before (compute, local)>");
        List<Double> computeTps = new ArrayList<>();
        List<Double> localTps = new ArrayList<>();
        List<Double> paired = new ArrayList<>();
        for (int round = 1; round <= s.rounds(); round++) {
            Run c = find(runs, round, true);
            Run l = find(runs, round, false);
            computeTps.add(c.result().tps());
            localTps.add(l.result().tps());
            paired.add(c.result().tps() / l.result().tps());
            rounds.row(
                    round,
                    round % 2 == 1 ? "compute, local" : "local, compute",
                    Fmt.num(c.result().tps()),
                    Fmt.num(l.result().tps()),
                    Fmt.ratio(c.result().tps() / l.result().tps()),
                    Fmt.dec(c.result().latencyMs(), 2),
                    Fmt.dec(l.result().latencyMs(), 2),
                    Fmt.percent(c.cpu().others()),
                    Fmt.percent(l.cpu().others()),
                    Fmt.dec(c.cpu().loadBefore(), 2) + ", " + Fmt.dec(l.cpu().loadBefore(), 2));
        }
        double mc = Stats.median(computeTps);
        double ml = Stats.median(localTps);
        double ratio = mc / ml;
        rounds.row(
                "**median**",
                "",
                "**" + Fmt.num(mc) + "**",
                "**" + Fmt.num(ml) + "**",
                "**" + Fmt.ratio(ratio) + "**",
                Fmt.dec(Stats.median(latencies(runs, true)), 2),
                Fmt.dec(Stats.median(latencies(runs, false)), 2),
                "",
                "",
                "");
        report.goal(
                goalText,
                Fmt.ratio(ratio) + " (" + Fmt.num(mc) + " vs " + Fmt.num(ml) + " tps; per-round ratios "
                        + Fmt.ratio(Stats.min(paired)) + "–" + Fmt.ratio(Stats.max(paired)) + ")",
                ratio >= goal);

        Table diag = new Table(
                "round",
                "side",
                "transactions>",
                "CPU ms / txn: harness JVM>",
                "CPU ms / txn: PostgreSQL + pgbench>",
                "WAL syncs / txn>",
                "WAL sync mean ms>",
                "WAL write mean ms>",
                "WAL KiB / txn>",
                "pages read from the pageserver>",
                "GetPages calls>",
                "commits>",
                "pages / commit>",
                "server µs / commit>",
                "fsyncs>",
                "dirty-limit flushes>",
                "commits / synced write>",
                "page versions / txn>",
                "stored page bytes / txn>",
                "pageserver disk writes / txn>",
                "other page-service requests");
        for (Run r : runs) {
            long txns = r.result().transactions();
            String jvmPerTxn = Fmt.dec(r.cpu().jvmCpuMs() / txns, 3);
            String pgPerTxn = Fmt.dec(r.cpu().childrenCpuMs() / txns, 3);
            WalStats w = r.wal();
            String syncsPerTxn = Fmt.dec(w.syncs() / (double) txns, 2);
            String syncMs = w.syncs() == 0 ? "–" : Fmt.dec(w.syncMs() / w.syncs(), 3);
            String writeMs = w.writes() == 0 ? "–" : Fmt.dec(w.writeMs() / w.writes(), 3);
            String walKib = Fmt.dec(w.bytes() / 1024.0 / txns, 2);
            if (r.fs().isPresent()) {
                FsDelta f = r.fs().get();
                StoreDelta st = r.store().orElseThrow();
                PageserverOps ops = r.ops().orElseThrow();
                Map<String, long[]> others = new TreeMap<>(ops.byOp());
                others.remove("commit");
                diag.row(
                        r.round(),
                        "compute",
                        Fmt.count(txns),
                        jvmPerTxn,
                        pgPerTxn,
                        syncsPerTxn,
                        syncMs,
                        writeMs,
                        walKib,
                        Fmt.count(f.pagesRead()),
                        Fmt.count(f.getPagesCalls()),
                        Fmt.count(f.commits()),
                        Fmt.dec(f.pagesCommitted() / (double) Math.max(1, f.commits()), 2),
                        Fmt.num(ops.meanUs("commit")),
                        Fmt.count(f.fsyncs()),
                        Fmt.count(f.pressureFlushes()),
                        Fmt.dec(st.commits() / (double) Math.max(1, st.writes()), 2),
                        Fmt.dec(st.pageVersions() / (double) txns, 2),
                        Fmt.count(st.pageBytes() / txns),
                        Fmt.count(st.diskBytes() / txns),
                        new PageserverOps(others).summary());
            } else {
                diag.row(
                        r.round(),
                        "local",
                        Fmt.count(txns),
                        jvmPerTxn,
                        pgPerTxn,
                        syncsPerTxn,
                        syncMs,
                        writeMs,
                        walKib,
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "");
            }
        }
        report.section("#### " + title + "\n\n`" + command + "` against each server (TCP, SCRAM), " + s.rounds()
                + " round(s), each preceded by a `CHECKPOINT`. tps excludes the initial connection time (pgbench 15).\n\n"
                + rounds.render() + "\nCompute ÷ local: ratio of the medians " + Fmt.ratio(ratio)
                + "; median of the per-round ratios "
                + Fmt.ratio(Stats.median(paired))
                + ".\n\nWhat each run cost. CPU from `/proc`: the harness JVM's own threads (the"
                + " pageserver and the compute's FUSE filesystem; idle in the local runs) and its child processes (every"
                + " PostgreSQL process, both servers', and pgbench). WAL from `pg_stat_wal` (`track_wal_io_timing` on in"
                + " both): a WAL sync is PostgreSQL's `fdatasync` of its WAL, on the compute a FUSE fsync, i.e. a synced"
                + " commit through the pageserver. The compute's counters from its `PageFs`; server µs / commit and the"
                + " other requests from the page service's meters (arrival to answer); commits / synced write from"
                + " `PageStore.commitStats()`; page versions and stored page bytes (before RocksDB's compression) from"
                + " the timelines' counters; pageserver disk writes: `write_bytes` of the harness JVM's `/proc/self/io`"
                + " (RocksDB's WAL, flushes and compactions):\n\n" + diag.render());
    }

    private static List<Double> latencies(List<Run> runs, boolean onCompute) {
        return runs.stream()
                .filter(r -> r.onCompute() == onCompute)
                .map(r -> r.result().latencyMs())
                .toList();
    }

    private static Run find(List<Run> runs, int round, boolean onCompute) {
        return runs.stream()
                .filter(r -> r.round() == round && r.onCompute() == onCompute)
                .findFirst()
                .orElseThrow();
    }

    private static List<String> with(List<String> base, String... more) {
        List<String> l = new ArrayList<>(base);
        l.addAll(List.of(more));
        return l;
    }
}
