package dev.sprout.bench.compute;

import dev.sprout.bench.kit.Fmt;
import dev.sprout.bench.kit.Report;
import dev.sprout.bench.kit.Stats;
import dev.sprout.bench.kit.Table;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.Compute;
import dev.sprout.compute.fs.FsStats;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.testkit.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Reads of data a branch has never touched: a sequential scan of {@code pgbench_accounts} (the project's largest
 * table, 128 MiB at scale 10) on a new branch of the project, after dropping the kernel's caches (so the pageserver's store is read from
 * the disk too), then again (warm: the kernel's page cache of the mount, since PostgreSQL scans a table larger than
 * a quarter of {@code shared_buffers} through a small ring); next to the local-disk server restarted after a
 * {@code CHECKPOINT} and the same cache drop, then warm. Then {@code branches} new branches of the project scan the
 * table at once, each on its own compute, against one branch's cold scan: branches of one parent share its pages,
 * so the store should not serve them ten times over.
 *
 * <p>Rounds alternate which side scans first. Needs root (dropping the kernel's caches).
 */
final class ScanBench {
    /**
     * A sequential scan of the whole table: {@code abalance} is in no index, so neither side can answer from the
     * primary key's index (a plain {@code count(*)} is an index-only scan of 21 MB after pgbench's VACUUM).
     */
    private static final String COUNT = "SELECT count(*), sum(abalance) FROM pgbench_accounts";

    private final Env env;
    private final Project project;
    private final int branches;

    ScanBench(Env env, Project project, int branches) {
        this.env = env;
        this.project = project;
        this.branches = branches;
    }

    private record Scan(double coldMs, double warmMs, long pagesRead, long getPagesCalls) {}

    void run(Report report) throws Exception {
        int rounds = env.settings().rounds();
        List<Scan> branch = new ArrayList<>();
        List<Scan> local = new ArrayList<>();
        for (int r = 1; r <= rounds; r++) {
            boolean branchFirst = r % 2 == 1;
            for (boolean onBranch : branchFirst ? new boolean[] {true, false} : new boolean[] {false, true}) {
                Scan s = onBranch ? branchScan("scan-" + r) : localScan();
                (onBranch ? branch : local).add(s);
                BenchEnv.log(
                        "scan round %d/%d, %s: cold %s ms, warm %s ms",
                        r, rounds, onBranch ? "new branch" : "local disk", Fmt.ms(s.coldMs()), Fmt.ms(s.warmMs()));
            }
        }
        double coldBranch = Stats.median(branch.stream().map(Scan::coldMs).toList());
        double coldLocal = Stats.median(local.stream().map(Scan::coldMs).toList());
        double warmBranch = Stats.median(branch.stream().map(Scan::warmMs).toList());
        double warmLocal = Stats.median(local.stream().map(Scan::warmMs).toList());
        report.goal(
                "cold sequential scan of pgbench_accounts on a new branch <= 2× local disk (both after dropping the kernel's"
                        + " caches; medians)",
                Fmt.ratio(coldBranch / coldLocal) + " (" + Fmt.ms(coldBranch) + " vs " + Fmt.ms(coldLocal) + " ms)",
                coldBranch <= 2 * coldLocal);
        report.goal(
                "the same scan again (warm) <= 1.2× local disk warm",
                Fmt.ratio(warmBranch / warmLocal) + " (" + Fmt.ms(warmBranch) + " vs " + Fmt.ms(warmLocal) + " ms)",
                warmBranch <= 1.2 * warmLocal);

        double together = branches > 0 ? concurrentScans() : Double.NaN;
        if (branches > 0) {
            report.goal(
                    branches + " new branches of one parent scanning at once <= 3× one branch's cold scan",
                    Fmt.ratio(together / coldBranch) + " (" + Fmt.ms(together) + " ms for all, one alone "
                            + Fmt.ms(coldBranch) + " ms)",
                    together <= 3 * coldBranch);
        }

        Table t = new Table(
                "round", "side", "cold ms>", "warm ms>", "pages read from the pageserver>", "GetPages calls>");
        for (int i = 0; i < rounds; i++) {
            Scan b = branch.get(i);
            Scan l = local.get(i);
            t.row(i + 1, "new branch", Fmt.ms(b.coldMs()), Fmt.ms(b.warmMs()), b.pagesRead(), b.getPagesCalls());
            t.row(i + 1, "local disk", Fmt.ms(l.coldMs()), Fmt.ms(l.warmMs()), "", "");
        }
        report.section("#### Scans of data a branch has not read\n\n`" + COUNT + "` (pgbench scale "
                + env.settings().scale() + "), cold after `sync` and `echo 3 > /proc/sys/vm/drop_caches`, then warm on"
                + " the same connection; a new branch of the project (made after `checkpointForBranch()`, its compute"
                + " started before the drop) against the local-disk server restarted after a `CHECKPOINT` (SIGKILL"
                + " and start, then the drop). Connection time not included. "
                + (branches > 0
                        ? branches + " branches at once: each on its own compute, all started before the drop, the"
                                + " scans started together and timed until the last one answered: "
                                + Fmt.ms(together) + " ms.\n\n"
                        : "\n\n")
                + t.render());
    }

    private long branchPoint() throws SQLException {
        return project.compute.checkpointForBranch();
    }

    private Scan branchScan(String name) throws Exception {
        TimelineId child = TimelineId.random();
        env.pageserver().store().branch(child, project.timeline, branchPoint());
        Compute compute = Compute.start(env.computeSpec(child.toString(), name), false);
        try (Connection c = Sql.connect(compute.port(), env.password())) {
            Sql.queryString(c, "SELECT 1");
            dropCaches();
            FsStats before = compute.fs().stats();
            long pages0 = before.pagesRead();
            long calls0 = before.getPagesCalls();
            double cold = timed(c);
            FsStats after = compute.fs().stats();
            long pages = after.pagesRead() - pages0;
            long calls = after.getPagesCalls() - calls0;
            double warm = timed(c);
            return new Scan(cold, warm, pages, calls);
        } finally {
            compute.close();
            env.pageserver().store().deleteTimeline(child);
        }
    }

    private Scan localScan() throws Exception {
        try (Connection c = project.local.connect()) {
            Sql.exec(c, "CHECKPOINT");
        }
        project.local.kill();
        project.local.start();
        try (Connection c = project.local.connect()) {
            Sql.queryString(c, "SELECT 1");
            dropCaches();
            double cold = timed(c);
            double warm = timed(c);
            return new Scan(cold, warm, 0, 0);
        }
    }

    /** All branches' computes started, caches dropped, then every scan at once; ms until the last answers. */
    private double concurrentScans() throws Exception {
        long lsn = branchPoint();
        List<TimelineId> children = new ArrayList<>();
        List<Compute> computes = new ArrayList<>();
        List<Connection> connections = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(branches);
        try {
            for (int i = 0; i < branches; i++) {
                TimelineId child = TimelineId.random();
                env.pageserver().store().branch(child, project.timeline, lsn);
                children.add(child);
                Compute compute = Compute.start(env.computeSpec(child.toString(), "scan-many-" + i), false);
                computes.add(compute);
                Connection c = Sql.connect(compute.port(), env.password());
                connections.add(c);
                Sql.queryString(c, "SELECT 1");
            }
            BenchEnv.log("scan: %d branches started; dropping caches and scanning on all at once", branches);
            dropCaches();
            long t0 = System.nanoTime();
            List<Future<Double>> scans = new ArrayList<>();
            for (Connection c : connections) {
                scans.add(pool.submit(() -> timed(c)));
            }
            for (Future<Double> f : scans) {
                f.get();
            }
            double ms = (System.nanoTime() - t0) / 1e6;
            BenchEnv.log("scan: %d branches scanned at once in %s ms", branches, Fmt.ms(ms));
            return ms;
        } finally {
            pool.shutdownNow();
            for (Connection c : connections) {
                c.close();
            }
            for (Compute c : computes) {
                c.close();
            }
            for (TimelineId child : children) {
                env.pageserver().store().deleteTimeline(child);
            }
        }
    }

    private static double timed(Connection c) throws SQLException {
        long t = System.nanoTime();
        String n = Sql.queryString(c, COUNT);
        double ms = (System.nanoTime() - t) / 1e6;
        if (Long.parseLong(n) <= 0) {
            throw new IllegalStateException("pgbench_accounts is empty on this side: " + n + " rows");
        }
        return ms;
    }

    private static void dropCaches() {
        if (!BenchEnv.dropOsCaches()) {
            throw new IllegalStateException(
                    "cannot drop the kernel's caches (writing /proc/sys/vm/drop_caches needs root)");
        }
    }
}
