package dev.sprout.bench.compute;

import dev.sprout.bench.kit.Fmt;
import dev.sprout.bench.kit.Report;
import dev.sprout.bench.kit.Stats;
import dev.sprout.bench.kit.Table;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.Compute;
import dev.sprout.compute.ComputeSpec;
import dev.sprout.compute.fs.FsStats;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.testkit.Sql;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cold starts of branches: each time, a one-row change on the project's compute, {@code checkpointForBranch()},
 * a branch of the project's timeline at the LSN it returns ({@code PageStore.branch}), then a new compute on
 * the branch, timed from {@code Compute.start(spec, false)} until a new pgjdbc connection has answered
 * {@code SELECT 1}. The branch must hold the change (checked, not timed); the compute is closed and the branch
 * deleted (unless {@code --keep-timelines}) before the next one. The phases come from this JVM's clock and PostgreSQL's log timestamps.
 *
 * <p>Baseline, after the branches: the project's local-disk server, after the same one-row change and a
 * {@code CHECKPOINT}, killed (SIGKILL: crash-consistent like a branch) and started again with the same code
 * ({@code PostgresServer.start} and {@code awaitReady}), timed the same way. Its files stay in the OS page cache:
 * this is PostgreSQL's own crash-restart floor, not a cold local start.
 */
record ColdStartBench(Env env, Project project) {
    private static final Logger log = LoggerFactory.getLogger(ColdStartBench.class);

    /** One start, in milliseconds; NaN where the log did not say. */
    private record Start(
            int index,
            double startMs,
            double selectMs,
            double beforePostgresMs,
            double postgresStartupMs,
            double afterReadyMs,
            boolean recovery,
            double redoMs,
            long redoBytes,
            double endOfRecoveryCheckpointMs,
            double checkpointMs,
            double branchMs,
            double closeMs,
            long pagesReadByReady,
            long getPagesByReady,
            long pagesReadBySelect,
            long storeWrites,
            PageserverOps ops) {
        double totalMs() {
            return startMs + selectMs;
        }
    }

    void run(Report report) throws SQLException {
        int n = env.settings().coldStarts();
        List<Start> branches = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            branches.add(branch(i, n));
        }
        List<Start> local = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            local.add(localRestart(i, n));
        }
        report(report, branches, local);
    }

    private Start branch(int i, int n) throws SQLException {
        long expected;
        try (Connection c = project.compute.connect()) {
            expected = Long.parseLong(Sql.queryString(
                    c, "UPDATE pgbench_branches SET bbalance = bbalance + 1 WHERE bid = 1 RETURNING bbalance"));
        }
        long t = System.nanoTime();
        long lsn = project.compute.checkpointForBranch();
        double checkpointMs = ms(System.nanoTime() - t);
        TimelineId child = TimelineId.random();
        t = System.nanoTime();
        env.pageserver().store().branch(child, project.timeline, lsn);
        double branchMs = ms(System.nanoTime() - t);
        ComputeSpec spec = env.computeSpec(child.toString(), "cold-" + i);

        log.info("cold start {}: Compute.start on branch {} of {} at LSN {}", i, child, project.timeline, lsn);
        long writesBefore = env.pageserver().store().commitStats().writes();
        PageserverOps opsBefore = PageserverOps.read(env.pageserver());
        Instant wall0 = Instant.now();
        long t0 = System.nanoTime();
        Compute compute = Compute.start(spec, false);
        long t1 = System.nanoTime();
        try {
            FsStats atReady = compute.fs().stats();
            long pagesReadByReady = atReady.pagesRead();
            long getPagesByReady = atReady.getPagesCalls();
            try (Connection c = Sql.connect(compute.port(), env.password())) {
                Sql.queryString(c, "SELECT 1");
            }
            long t2 = System.nanoTime();
            long writes = env.pageserver().store().commitStats().writes() - writesBefore;
            PageserverOps ops = PageserverOps.read(env.pageserver()).minus(opsBefore);
            long pagesReadBySelect = compute.fs().stats().pagesRead();
            log.info("cold start {}: first SELECT 1 answered", i);
            long seen;
            try (Connection c = Sql.connect(compute.port(), env.password())) {
                seen = Long.parseLong(Sql.queryString(c, "SELECT bbalance FROM pgbench_branches WHERE bid = 1"));
            }
            if (seen != expected) {
                throw new IllegalStateException("branch " + child + " at LSN " + lsn + " has bbalance " + seen
                        + " for branch 1, expected " + expected + " (the change made just before the checkpoint)");
            }
            long c0 = System.nanoTime();
            compute.close();
            double closeMs = ms(System.nanoTime() - c0);
            Start st = phases(
                    i,
                    spec.logFile(),
                    wall0,
                    t0,
                    t1,
                    t2,
                    checkpointMs,
                    branchMs,
                    closeMs,
                    pagesReadByReady,
                    getPagesByReady,
                    pagesReadBySelect,
                    writes,
                    ops);
            BenchEnv.log(
                    "cold start %d/%d: %s ms to the first SELECT 1 (Compute.start %s ms: before postgres %s,"
                            + " postgres startup %s, after ready %s; SELECT 1 %s ms; %d pages read); checkpoint %s ms,"
                            + " branch %s ms, close %s ms",
                    i,
                    n,
                    Fmt.ms(st.totalMs()),
                    Fmt.ms(st.startMs()),
                    Fmt.ms(st.beforePostgresMs()),
                    Fmt.ms(st.postgresStartupMs()),
                    Fmt.ms(st.afterReadyMs()),
                    Fmt.ms(st.selectMs()),
                    pagesReadBySelect,
                    Fmt.ms(checkpointMs),
                    Fmt.ms(branchMs),
                    Fmt.ms(closeMs));
            return st;
        } finally {
            compute.close();
            env.keepLog(spec.logFile(), "postgres-cold-" + i + ".log");
            if (!env.settings().keepTimelines()) {
                try {
                    env.pageserver().store().deleteTimeline(child);
                } catch (RuntimeException e) {
                    BenchEnv.log("could not delete branch %s: %s", child, e.getMessage());
                }
            }
            BenchEnv.deleteOrLog(spec.workDir());
        }
    }

    private Start localRestart(int i, int n) throws SQLException {
        try (Connection c = project.local.connect()) {
            Sql.queryString(c, "UPDATE pgbench_branches SET bbalance = bbalance + 1 WHERE bid = 1 RETURNING bbalance");
            long t = System.nanoTime();
            Sql.exec(c, "CHECKPOINT");
            double checkpointMs = ms(System.nanoTime() - t);
            project.local.kill();
            Instant wall0 = Instant.now();
            long t0 = System.nanoTime();
            project.local.start();
            long t1 = System.nanoTime();
            try (Connection c2 = Sql.connect(project.local.port(), env.password())) {
                Sql.queryString(c2, "SELECT 1");
            }
            long t2 = System.nanoTime();
            Start st = phases(
                    i,
                    project.local.logFile(),
                    wall0,
                    t0,
                    t1,
                    t2,
                    checkpointMs,
                    Double.NaN,
                    Double.NaN,
                    -1,
                    -1,
                    -1,
                    -1,
                    new PageserverOps(java.util.Map.of()));
            BenchEnv.log(
                    "local restart after SIGKILL %d/%d: %s ms to the first SELECT 1 (start %s ms: before postgres %s,"
                            + " postgres startup %s, after ready %s; SELECT 1 %s ms)",
                    i,
                    n,
                    Fmt.ms(st.totalMs()),
                    Fmt.ms(st.startMs()),
                    Fmt.ms(st.beforePostgresMs()),
                    Fmt.ms(st.postgresStartupMs()),
                    Fmt.ms(st.afterReadyMs()),
                    Fmt.ms(st.selectMs()));
            return st;
        }
    }

    private static Start phases(
            int i,
            Path logFile,
            Instant wall0,
            long t0,
            long t1,
            long t2,
            double checkpointMs,
            double branchMs,
            double closeMs,
            long pagesReadByReady,
            long getPagesByReady,
            long pagesReadBySelect,
            long storeWrites,
            PageserverOps ops) {
        PgLog pg = PgLog.read(logFile);
        Instant wall1 = wall0.plusNanos(t1 - t0);
        double before =
                pg.starting().map(s -> ms(Duration.between(wall0, s).toNanos())).orElse(Double.NaN);
        double startup = pg.starting()
                .flatMap(s -> pg.ready().map(r -> ms(Duration.between(s, r).toNanos())))
                .orElse(Double.NaN);
        double after =
                pg.ready().map(r -> ms(Duration.between(r, wall1).toNanos())).orElse(Double.NaN);
        return new Start(
                i,
                ms(t1 - t0),
                ms(t2 - t1),
                before,
                startup,
                after,
                pg.crashRecovery(),
                pg.redoSeconds().map(x -> x * 1000).orElse(Double.NaN),
                pg.redoBytes().orElse(-1L),
                pg.endOfRecoveryCheckpointSeconds().map(x -> x * 1000).orElse(Double.NaN),
                checkpointMs,
                branchMs,
                closeMs,
                pagesReadByReady,
                getPagesByReady,
                pagesReadBySelect,
                storeWrites,
                ops);
    }

    private void report(Report report, List<Start> starts, List<Start> local) {
        List<Double> total = col(starts, Start::totalMs);
        List<Double> localTotal = col(local, Start::totalMs);
        double p50 = Stats.percentile(total, 50);
        report.goal(
                "cold start of a branch taken just now (`Compute.start` to the first `SELECT 1`) p50 <= 1 s",
                Fmt.ms(p50) + " ms (p99 " + Fmt.ms(Stats.percentile(total, 99)) + ", min " + Fmt.ms(Stats.min(total))
                        + ", max "
                        + Fmt.ms(Stats.max(total)) + " ms; " + starts.size()
                        + " starts; local-disk restart after SIGKILL p50 "
                        + Fmt.ms(Stats.percentile(localTotal, 50)) + " ms)",
                p50 <= 1000);

        Table summary = new Table(
                "phase",
                "branch p50 ms>",
                "p90 ms>",
                "p99 ms>",
                "min ms>",
                "max ms>",
                "local restart p50 ms>",
                "local max ms>");
        addRow(summary, starts, local, "**start to the first `SELECT 1`**", Start::totalMs);
        addRow(
                summary,
                starts,
                local,
                "`Compute.start(spec, false)` (local: `PostgresServer.start` + `awaitReady`)",
                Start::startMs);
        addRow(
                summary,
                starts,
                local,
                "… until PostgreSQL logs \"starting PostgreSQL\" (compute: attach, mount, spawn)",
                Start::beforePostgresMs);
        addRow(
                summary,
                starts,
                local,
                "… PostgreSQL: \"starting\" to \"ready to accept connections\" (crash recovery)",
                Start::postgresStartupMs);
        addRow(summary, starts, local, "… … of which redo (\"redo done … elapsed\", 10 ms resolution)", Start::redoMs);
        addRow(
                summary,
                starts,
                local,
                "… … of which the end-of-recovery checkpoint (\"checkpoint complete … total\")",
                Start::endOfRecoveryCheckpointMs);
        addRow(
                summary,
                starts,
                local,
                "… \"ready\" until the start returns (the readiness probe's first session)",
                Start::afterReadyMs);
        addRow(summary, starts, local, "first pgjdbc connection + `SELECT 1`", Start::selectMs);
        addRow(summary, starts, local, "not timed: `checkpointForBranch()` (local: `CHECKPOINT`)", Start::checkpointMs);
        addRow(summary, starts, local, "not timed: `PageStore.branch`", Start::branchMs);
        addRow(summary, starts, local, "not timed: `Compute.close()` of the branch", Start::closeMs);

        Table each = new Table(
                "#",
                "to first SELECT 1 ms>",
                "Compute.start ms>",
                "before postgres ms>",
                "postgres startup ms>",
                "redo KiB>",
                "redo ms>",
                "end-of-recovery checkpoint ms>",
                "after ready ms>",
                "SELECT 1 ms>",
                "pages read by ready>",
                "GetPages calls by ready>",
                "pages read by SELECT 1>",
                "page-service requests>",
                "their server time ms>",
                "pageserver synced writes>",
                "crash recovery?");
        for (Start s : starts) {
            each.row(
                    s.index(),
                    Fmt.ms(s.totalMs()),
                    Fmt.ms(s.startMs()),
                    Fmt.ms(s.beforePostgresMs()),
                    Fmt.ms(s.postgresStartupMs()),
                    s.redoBytes() < 0 ? "–" : Fmt.num(s.redoBytes() / 1024.0),
                    Fmt.ms(s.redoMs()),
                    Fmt.ms(s.endOfRecoveryCheckpointMs()),
                    Fmt.ms(s.afterReadyMs()),
                    Fmt.ms(s.selectMs()),
                    Fmt.count(s.pagesReadByReady()),
                    Fmt.count(s.getPagesByReady()),
                    Fmt.count(s.pagesReadBySelect()),
                    Fmt.count(s.ops().total()),
                    Fmt.ms(s.ops().serverMs()),
                    Fmt.count(s.storeWrites()),
                    s.recovery() ? "yes" : "no");
        }
        Start median = starts.stream()
                .sorted(java.util.Comparator.comparingDouble(Start::totalMs))
                .toList()
                .get((starts.size() - 1) / 2);
        report.section("#### Cold start of a branch\n\n" + starts.size()
                + " branches of the loaded project's timeline ("
                + (env.settings().keepTimelines() ? "kept until the end" : "each deleted after its start") + "), each"
                + " taken just after a one-row UPDATE and `checkpointForBranch()` on the running project compute, then"
                + " started on a new compute (its own mount and empty page cache; the pageserver's cache is warm). Timed"
                + " from `Compute.start(spec, false)` to the answer of `SELECT 1` on a new pgjdbc connection."
                + " Nearest-rank percentiles: with 20 starts p99 is the maximum. PostgreSQL's phases come from its log's"
                + " millisecond timestamps against this JVM's clock. Baseline: the local-disk server after the same change"
                + " and a `CHECKPOINT`, killed with SIGKILL and started again by the same `PostgresServer` code, "
                + local.size() + " times (its files stay in the OS page cache).\n\n" + summary.render()
                + "\nEach branch start (pages read: from the pageserver by the branch's `PageFs`, cumulative; synced writes:"
                + " the pageserver store's, from `Compute.start` to the answer; requests: every page-service request in that"
                + " window, with the sum of their times in the server):\n\n" + each.render()
                + "\nThe page-service requests of the median start (#" + median.index()
                + "), by operation (count, mean time in"
                + " the server): " + median.ops().summary() + ".\n");
    }

    private static void addRow(
            Table table, List<Start> starts, List<Start> local, String name, ToDoubleFunction<Start> f) {
        List<Double> v = col(starts, f);
        List<Double> l = col(local, f);
        table.row(
                name,
                ms(v, 50),
                ms(v, 90),
                ms(v, 99),
                Fmt.ms(Stats.min(v)),
                Fmt.ms(Stats.max(v)),
                ms(l, 50),
                Fmt.ms(Stats.max(l)));
    }

    private static String ms(List<Double> v, double p) {
        return Fmt.ms(Stats.percentile(v, p));
    }

    private static List<Double> col(List<Start> starts, ToDoubleFunction<Start> f) {
        return starts.stream()
                .mapToDouble(f)
                .filter(d -> !Double.isNaN(d))
                .boxed()
                .toList();
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
