package dev.sprout.bench.e2e;

import dev.sprout.bench.branch.UsableBranch;
import dev.sprout.bench.kit.Fmt;
import dev.sprout.bench.kit.Json;
import dev.sprout.bench.kit.Stats;
import dev.sprout.bench.kit.Table;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Everything a run measured, and its three renderings: the Markdown report, the charts, the JSON. Every ratio
 * divides two figures of this same run. Not thread-safe.
 */
final class Results {
    /** Goals from the issue (docs/benchmarks.md, "End to end"). */
    static final double CREATE_P99_MS = 10;

    static final double SIZE_RATIO = 1.2;
    static final double TEMPLATE_SPEEDUP = 1000;
    static final double FIRST_QUERY_P50_MS = 1000;
    static final double MANY_RATIO = 1.2;
    static final long MANY_BYTES_PER_1000 = 1L << 20;
    static final double TPCB_RATIO = 0.6;
    static final double SELECT_RATIO = 0.9;
    /** The size of "10 GiB" for the goals that name it: a dataset at least this big (pgbench scale 700: ~10.3 GiB). */
    static final long TEN_GIB_ISH = 9L << 30;

    static final String COPY_CHART = "e2e-copy-time.png";
    static final String BYTES_CHART = "e2e-copy-bytes.png";
    static final String MANY_CHART = "e2e-many-branches.png";

    private final E2eSettings s;
    private final Instant started;
    final List<Dataset.Ready> datasets = new ArrayList<>();
    final List<CopyStep.Result> copies = new ArrayList<>();
    ManyBranchesStep.Result many;
    WorkloadStep.Result workload;
    double seconds;
    double loadBefore;
    double loadAfter;
    private final List<String> failures = new ArrayList<>();
    private final List<String> charts = new ArrayList<>();

    Results(E2eSettings s, Instant started) {
        this.s = s;
        this.started = started;
    }

    void failure(String step, Throwable e) {
        dev.sprout.bench.support.BenchEnv.log("%s failed: %s", step, e);
        e.printStackTrace();
        failures.add(step + ": " + String.valueOf(e).replace("\n", " "));
    }

    boolean failed() {
        return !failures.isEmpty();
    }

    // ---- goals -----------------------------------------------------------------------------------------------

    Goals goals() {
        Goals g = new Goals();
        if (copies.isEmpty()) {
            g.notMeasured("branch creation p99 <= 10 ms through the API at every size", "step `copy` not run");
        }
        for (CopyStep.Result c : copies) {
            g.judge(
                    "branch create p99 <= " + Fmt.ms(CREATE_P99_MS)
                            + " ms through the API (curl, a new connection each), "
                            + mib(c.dataset().dbBytes()),
                    "p99 " + Fmt.dec(c.createP99(), 2) + " ms (p50 " + Fmt.dec(c.createP50(), 2) + " ms, "
                            + c.createMs().size() + " creates)",
                    c.createP99() <= CREATE_P99_MS,
                    c.createP99(),
                    CREATE_P99_MS);
            g.judge(
                    "the same, one connection kept for all creates (a harness's or service's client), "
                            + mib(c.dataset().dbBytes()),
                    "p99 " + Fmt.dec(c.keptP99(), 2) + " ms (p50 " + Fmt.dec(c.keptP50(), 2) + " ms, "
                            + c.keptMs().size() + " creates)",
                    c.keptP99() <= CREATE_P99_MS,
                    c.keptP99(),
                    CREATE_P99_MS);
        }
        if (copies.size() >= 2) {
            CopyStep.Result small = copies.getFirst();
            CopyStep.Result big = copies.getLast();
            double r = big.createP50() / small.createP50();
            g.judge(
                    "branch create p50 at 10 GiB ÷ at 100 MiB <= " + SIZE_RATIO + tenGib(big, small),
                    Fmt.ratio(r) + " (" + Fmt.dec(big.createP50(), 2) + " ms ÷ " + Fmt.dec(small.createP50(), 2)
                            + " ms)",
                    r <= SIZE_RATIO,
                    r,
                    SIZE_RATIO,
                    big.dataset().dbBytes() < TEN_GIB_ISH);
        } else {
            g.notMeasured(
                    "branch create p50 at 10 GiB ÷ at 100 MiB <= " + SIZE_RATIO, "needs two sizes in step `copy`");
        }
        if (!copies.isEmpty()) {
            CopyStep.Result big = copies.getLast();
            double t = big.median(NativeCopies.Method.TEMPLATE, false);
            double r = t / big.createP50();
            g.judge(
                    ">= " + Fmt.count((long) TEMPLATE_SPEEDUP) + "× faster than `CREATE DATABASE … TEMPLATE` at 10 GiB"
                            + tenGib(big, null),
                    Fmt.f("%,.0f×", r) + " (" + Fmt.ms(t) + " ms ÷ " + Fmt.dec(big.createP50(), 2) + " ms, create p50)",
                    r >= TEMPLATE_SPEEDUP,
                    r,
                    TEMPLATE_SPEEDUP,
                    big.dataset().dbBytes() < TEN_GIB_ISH);
        }
        for (CopyStep.Result c : copies) {
            List<Double> f = c.firstQueryMs();
            double p50 = Stats.percentile(f, 50);
            g.judge(
                    "time to first query on a new branch p50 <= " + Fmt.ms(FIRST_QUERY_P50_MS) + " ms, "
                            + mib(c.dataset().dbBytes()),
                    "p50 " + Fmt.ms(p50) + " ms, p99 " + Fmt.ms(Stats.percentile(f, 99)) + " ms (" + f.size()
                            + " branches)",
                    p50 <= FIRST_QUERY_P50_MS,
                    p50,
                    FIRST_QUERY_P50_MS);
        }
        if (many != null) {
            int n = many.createMs().size();
            g.judge(
                    "branches one after another: p50 of the last 100 ÷ the first 100 <= " + MANY_RATIO + " ("
                            + Fmt.count(n) + " branches of "
                            + mib(many.dataset().dbBytes()) + (n < 1000 ? "; the goal says 1,000" : "") + ")",
                    Fmt.ratio(many.ratio()) + " (" + Fmt.dec(many.lastP50(), 2) + " ms ÷ " + Fmt.dec(many.firstP50(), 2)
                            + " ms)",
                    many.ratio() <= MANY_RATIO,
                    many.ratio(),
                    MANY_RATIO,
                    n < 1000);
            double per1000 = many.storeBytesAdded() * 1000.0 / n;
            g.judge(
                    "<= 1 MiB of storage for 1,000 idle branches"
                            + (n != 1000 ? " (" + Fmt.count(n) + " made; scaled to 1,000)" : ""),
                    Fmt.count(Math.round(per1000)) + " bytes per 1,000 (" + Fmt.count(many.storeBytesAdded())
                            + " bytes for " + Fmt.count(n) + ", store directory, settled)",
                    per1000 <= MANY_BYTES_PER_1000,
                    per1000,
                    MANY_BYTES_PER_1000,
                    n < 1000);
        } else {
            g.notMeasured(
                    "1,000 branches: last 100 ÷ first 100 <= 1.2; <= 1 MiB for 1,000 idle branches",
                    "step `many` not run");
        }
        if (workload != null) {
            for (WorkloadStep.Comparison c : workload.comparisons()) {
                double goal = switch (c.name()) {
                    case "TPC-B" -> TPCB_RATIO;
                    case "select-only" -> SELECT_RATIO;
                    default -> Double.NaN;
                };
                if (!Double.isNaN(goal)) {
                    g.judge(
                            "pgbench " + c.name() + " on a branch >= " + goal + "× native (tps, medians)",
                            Fmt.ratio(c.ratio()) + " (" + Fmt.num(Stats.median(c.aTps())) + " vs "
                                    + Fmt.num(Stats.median(c.bTps())) + " tps)",
                            c.ratio() >= goal,
                            c.ratio(),
                            goal);
                }
            }
        } else {
            g.notMeasured(
                    "pgbench on a branch >= 0.6× native (TPC-B), >= 0.9× (select-only)", "step `workload` not run");
        }
        return g;
    }

    /** Says which sizes a "10 GiB" goal was judged on, when this run had no 10 GiB dataset. */
    private static String tenGib(CopyStep.Result big, CopyStep.Result small) {
        if (big.dataset().dbBytes() >= TEN_GIB_ISH) {
            return "";
        }
        return " — **this run had no 10 GiB dataset: judged at "
                + mib(big.dataset().dbBytes())
                + (small != null ? " ÷ " + mib(small.dataset().dbBytes()) : "") + "**";
    }

    // ---- charts ----------------------------------------------------------------------------------------------

    void charts(Path docs) {
        if (!copies.isEmpty()) {
            List<Charts.Series> time = new ArrayList<>();
            time.add(series("Sprout: branch create (API, new connection), p50", c -> c.createP50()));
            time.add(series("Sprout: branch create (API, kept connection), p50", c -> c.keptP50()));
            time.add(series(
                    "Sprout: create + compute start + SELECT 1 via proxy, p50",
                    c -> Stats.percentile(c.firstQueryMs(), 50)));
            for (NativeCopies.Method m : NativeCopies.Method.values()) {
                time.add(series(m.label + ", to first query", c -> c.median(m, true)));
            }
            Charts.timeVsSize(
                    docs.resolve(COPY_CHART),
                    "Time to copy a database and query the copy" + (s.quick() ? " (--quick run)" : ""),
                    time);
            charts.add(COPY_CHART);
            List<Charts.Series> bytes = new ArrayList<>();
            bytes.add(series(
                    "Sprout: branch create (store bytes per branch)",
                    c -> (double) c.storeBytesAdded() / c.createMs().size()));
            for (NativeCopies.Method m : NativeCopies.Method.values()) {
                bytes.add(series(m.label, c -> c.medianBytes(m)));
            }
            Charts.bytesVsSize(
                    docs.resolve(BYTES_CHART),
                    "Storage added by one copy" + (s.quick() ? " (--quick run)" : ""),
                    bytes);
            charts.add(BYTES_CHART);
        }
        if (many != null) {
            Charts.latencyVsCount(
                    docs.resolve(MANY_CHART),
                    Fmt.count(many.createMs().size()) + " branches of a "
                            + mib(many.dataset().dbBytes()) + " database, one after another"
                            + (s.quick() ? " (--quick run)" : ""),
                    many.createMs());
            charts.add(MANY_CHART);
        }
    }

    private interface Figure {
        double of(CopyStep.Result c);
    }

    private Charts.Series series(String name, Figure f) {
        List<double[]> points = new ArrayList<>();
        for (CopyStep.Result c : copies) {
            double y = f.of(c);
            if (!Double.isNaN(y)) {
                points.add(new double[] {c.dataset().dbBytes() / 1048576.0, y});
            }
        }
        return new Charts.Series(name, points);
    }

    // ---- Markdown --------------------------------------------------------------------------------------------

    String markdown(String machine) {
        StringBuilder m = new StringBuilder(
                "# End-to-end benchmark: Sprout branches against the ways people copy a database\n\n");
        if (s.quick()) {
            m.append("> **This is the output of a `--quick` run** (`scripts/bench-e2e --quick`): small datasets, ")
                    .append(s.creates())
                    .append(" creates and ")
                    .append(s.firstQueries())
                    .append(" usable branches per size, short pgbench runs. It proves that the suite runs end to end; ")
                    .append(
                            "its figures mean little. The full run (`scripts/bench-e2e`) measures 100 MiB, 1 GiB and 10 GiB.\n\n");
        }
        m.append("Generated by `scripts/bench-e2e")
                .append(s.quick() ? " --quick" : "")
                .append("` (harness `dev.sprout.bench.e2e.E2eBench`) on ")
                .append(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")
                        .withZone(ZoneOffset.UTC)
                        .format(started))
                .append("; the run took ")
                .append(Math.round(seconds))
                .append(" s; 1-minute load average ")
                .append(Fmt.dec(loadBefore, 2))
                .append(" before, ")
                .append(Fmt.dec(loadAfter, 2))
                .append(" after. Method and")
                .append(" caveats: docs/benchmarks.md, section \"End to end\".\n\n");
        if (!machine.isBlank()) {
            m.append("## Machine\n\n").append(machine.strip()).append("\n\n");
        }
        if (!failures.isEmpty()) {
            m.append("## Failures\n\n");
            failures.forEach(f -> m.append("- **").append(f.replace("`", "'")).append("**\n"));
            m.append('\n');
        }
        m.append("## Goals\n\n").append(goals().render()).append('\n');
        if (!copies.isEmpty()) {
            m.append(copySection());
        }
        if (many != null) {
            m.append(manySection());
        }
        if (workload != null) {
            m.append(workloadSection());
        }
        m.append(datasetSection());
        return m.toString();
    }

    private String copySection() {
        StringBuilder m =
                new StringBuilder("## Copying a database: branch, template, dump and restore, base backup\n\n");
        m.append("![time to copy a database and query the copy, by size](")
                .append(COPY_CHART)
                .append(")\n\n");
        Table t = new Table(
                "database",
                "method",
                "copy ms>",
                "to first query ms>",
                "bytes added per copy>",
                "copy ÷ Sprout create p50>",
                "to first query ÷ Sprout's>");
        for (CopyStep.Result c : copies) {
            String db = mib(c.dataset().dbBytes()) + " (scale " + c.dataset().scale() + ")";
            double create = c.createP50();
            double first = Stats.percentile(c.firstQueryMs(), 50);
            long perBranch = c.storeBytesAdded() / Math.max(1, c.createMs().size());
            t.row(
                    db,
                    "**Sprout branch** (p50; p99 " + Fmt.dec(c.createP99(), 2) + " ms, "
                            + Fmt.ms(Stats.percentile(c.firstQueryMs(), 99)) + " ms)",
                    Fmt.dec(create, 2),
                    Fmt.ms(first),
                    Fmt.count(perBranch) + " (timeline "
                            + Fmt.count(c.timelineBytesAdded()
                                    / Math.max(1, c.createMs().size())) + ")",
                    "1×",
                    "1×");
            for (NativeCopies.Method meth : NativeCopies.Method.values()) {
                double copy = c.median(meth, false);
                double fq = c.median(meth, true);
                t.row(
                        db,
                        meth.md() + " (median of "
                                + c.copies().getOrDefault(meth, List.of()).size() + ")",
                        Fmt.ms(copy),
                        Fmt.ms(fq),
                        Fmt.count(Math.round(c.medianBytes(meth))),
                        Fmt.f("%,.0f×", copy / create),
                        Fmt.ratio(fq / first));
            }
        }
        m.append(t.render()).append('\n');
        Table d = new Table(
                "database",
                "creates",
                "new connection: create p50 ms>",
                "p99 ms>",
                "min ms>",
                "max ms>",
                "one kept connection p50 / p99 ms>",
                "in-process `ControlPlane.create` p50 / p99 ms>",
                "usable branches",
                "time to first query p50 ms>",
                "p99 ms>",
                "of which the compute's wake-up p50 ms>");
        for (CopyStep.Result c : copies) {
            List<Double> wake =
                    c.firstQueries().stream().map(UsableBranch.Sample::wakeMs).toList();
            d.row(
                    mib(c.dataset().dbBytes()),
                    c.createMs().size(),
                    Fmt.dec(c.createP50(), 2),
                    Fmt.dec(c.createP99(), 2),
                    Fmt.dec(Stats.min(c.createMs()), 2),
                    Fmt.dec(Stats.max(c.createMs()), 2),
                    Fmt.dec(c.keptP50(), 2) + " / " + Fmt.dec(c.keptP99(), 2),
                    Fmt.dec(Stats.percentile(c.inProcessMs(), 50), 2) + " / "
                            + Fmt.dec(Stats.percentile(c.inProcessMs(), 99), 2),
                    c.firstQueries().size(),
                    Fmt.ms(Stats.percentile(c.firstQueryMs(), 50)),
                    Fmt.ms(Stats.percentile(c.firstQueryMs(), 99)),
                    Fmt.ms(Stats.percentile(wake, 50)));
        }
        m.append("Sprout in detail (nearest-rank percentiles: with ")
                .append(s.creates())
                .append(" creates p99 is the ")
                .append(s.creates() >= 100 ? "99th value" : "maximum")
                .append("):\n\n")
                .append(d.render())
                .append('\n');
        m.append("![storage added by one copy, by size](").append(BYTES_CHART).append(")\n\n");
        m.append(
                        "Sprout: a branch of main at its head through `POST /v1/branches` (main's compute not running), driven")
                .append(
                        " by curl as a script drives the API and timed by curl itself (`%{time_total}`, from the start of the")
                .append(" request to the end of the 201), each create by a new curl process and so a new connection;")
                .append(
                        " bytes = the store directory once settled (flushed, no compaction running or owed) minus before, over those creates,")
                .append(" per branch (timeline = the new timelines' own `physicalBytes`). One kept connection: as many")
                .append(" creates by one curl on one connection (its first request makes it), as a")
                .append(" harness or service scripting the API would. In-process: as many creates by")
                .append(" `ControlPlane.create` called in the harness's JVM, no HTTP: the store's and catalog's share.")
                .append(" Time to first query = that create")
                .append(
                        " plus pgjdbc through the proxy naming the branch (the wake-up starts its compute) and `SELECT 1`.")
                .append(" Natively, on the same data in a PostgreSQL cluster on local disk: copy ms is the copy alone")
                .append(
                        " (`CREATE DATABASE`; `CREATE DATABASE` + `pg_dump -Fc | pg_restore`; `pg_basebackup -c fast`),")
                .append(
                        " to first query adds a connection to the copy and `SELECT 1` (for the base backup: starting a server")
                .append(
                        " on it until it answers). Bytes = the data directory (WAL included) after minus before; for the base")
                .append(" backup the new directory.\n\n");
        return m.toString();
    }

    private String manySection() {
        StringBuilder m = new StringBuilder("## Many branches\n\n");
        int n = many.createMs().size();
        m.append("![create latency against branch count](").append(MANY_CHART).append(")\n\n");
        Table t = new Table("what", "value");
        t.row(
                "branches",
                Fmt.count(n) + " of main of a " + mib(many.dataset().dbBytes()) + " database (scale "
                        + many.dataset().scale()
                        + "), one after another through the API on one kept HTTP connection, none ever started, in "
                        + Fmt.dec(many.seconds(), 1)
                        + " s, after " + ManyBranchesStep.WARMUP
                        + " creates not counted (the JIT's warm-up; they stay in the store)");
        t.row("create p50, first 100", Fmt.dec(many.firstP50(), 2) + " ms");
        t.row("create p50, last 100", Fmt.dec(many.lastP50(), 2) + " ms");
        t.row("last 100 ÷ first 100", Fmt.ratio(many.ratio()));
        t.row(
                "create p50 / p99 over all",
                Fmt.dec(Stats.percentile(many.createMs(), 50), 2) + " / "
                        + Fmt.dec(Stats.percentile(many.createMs(), 99), 2) + " ms (max "
                        + Fmt.dec(Stats.max(many.createMs()), 2) + " ms)");
        t.row(
                "store before (settled: flushed, no compaction running or owed)",
                Fmt.count(many.storeBytesBefore()) + " bytes");
        t.row(
                "store bytes added by the " + Fmt.count(n) + " idle branches (settled)",
                Fmt.count(many.storeBytesAdded()) + " bytes (" + Fmt.count(many.storeBytesAdded() / n)
                        + " per branch)");
        t.row("their timelines' own bytes (`physicalBytes`, summed)", Fmt.count(many.timelineBytesAdded()) + " bytes");
        m.append(t.render()).append('\n');
        m.append("For comparison, ZFS clones slow down as they accumulate: 1,000 took 90 s and 4,000 took 1,332 s in")
                .append(" openzfs/zfs#6372.\n\n");
        return m.toString();
    }

    private String workloadSection() {
        StringBuilder m = new StringBuilder("## Workload on a branch\n\n");
        Table t = new Table(
                "workload",
                "command",
                "side A",
                "A tps (per round)",
                "side B",
                "B tps (per round)",
                "A ÷ B (medians)>");
        for (WorkloadStep.Comparison c : workload.comparisons()) {
            t.row(
                    c.name(),
                    "`" + c.command() + "`",
                    c.a(),
                    perRound(c.aTps()),
                    c.b(),
                    perRound(c.bTps()),
                    "**" + Fmt.ratio(c.ratio()) + "**");
        }
        m.append("Branch `wl` of a ")
                .append(mib(workload.dataset().dbBytes()))
                .append(" database (scale ")
                .append(workload.dataset().scale())
                .append(") against `CREATE DATABASE e2e_wl TEMPLATE postgres` on the native")
                .append(" cluster; ")
                .append(s.rounds())
                .append(" round(s), the sides alternating first; a `CHECKPOINT` before each")
                .append(" measured run, each after a ")
                .append(Fmt.seconds(s.warmup()))
                .append(" warm-up run of the same workload (not counted).")
                .append(
                        " The proxy row goes through the wire proxy (`PGOPTIONS=branch=wl`, no TLS) against straight to the")
                .append(" same compute (no goal in this issue; the proxy's own benchmark has one).\n\n")
                .append(t.render())
                .append('\n');
        return m.toString();
    }

    private String datasetSection() {
        StringBuilder m = new StringBuilder("## Datasets\n\n");
        Table t = new Table(
                "scale", "database size", "this run", "pgbench -i through the compute", "pgbench -i native", "built");
        for (Dataset.Ready d : datasets) {
            t.row(
                    d.scale(),
                    mib(d.dbBytes()),
                    d.reused() ? "reused" : "built",
                    Fmt.dec(d.sproutLoad().toMillis() / 1e3, 1) + " s",
                    Fmt.dec(d.nativeLoad().toMillis() / 1e3, 1) + " s",
                    d.built().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
        }
        m.append("Cached under `")
                .append(s.base())
                .append("/s<scale>` (a Sprout store with main loaded, and a native")
                .append(
                        " cluster), reused while their marker matches (layout, scale, PostgreSQL major, storage engine).\n\n")
                .append(t.render());
        return m.toString();
    }

    private static String perRound(List<Double> tps) {
        return String.join(", ", tps.stream().map(Fmt::num).toList());
    }

    static String mib(long bytes) {
        return bytes >= (1L << 30)
                ? Fmt.f("%,.2f GiB", bytes / (double) (1L << 30))
                : Fmt.f("%,.0f MiB", bytes / 1048576.0);
    }

    // ---- JSON ------------------------------------------------------------------------------------------------

    Map<String, Object> json() {
        Map<String, Object> o = Json.object(
                "schema",
                "sprout-bench-e2e/1",
                "quick",
                s.quick(),
                "started",
                started.toString(),
                "seconds",
                seconds,
                "loadAverageBefore",
                loadBefore,
                "loadAverageAfter",
                loadAfter,
                "steps",
                E2eSettings.STEPS.stream().filter(s::runs).toList(),
                "failures",
                List.copyOf(failures),
                "goals",
                goals().json());
        o.put(
                "datasets",
                datasets.stream()
                        .map(d -> Json.object(
                                "scale",
                                d.scale(),
                                "databaseBytes",
                                d.dbBytes(),
                                "reused",
                                d.reused(),
                                "sproutLoadSeconds",
                                d.sproutLoad().toMillis() / 1e3,
                                "nativeLoadSeconds",
                                d.nativeLoad().toMillis() / 1e3))
                        .toList());
        List<Object> cs = new ArrayList<>();
        for (CopyStep.Result c : copies) {
            Map<String, Object> x = Json.object(
                    "scale", c.dataset().scale(), "databaseBytes", c.dataset().dbBytes());
            x.put(
                    "sprout",
                    Json.object(
                            "createP50Ms",
                            c.createP50(),
                            "createP99Ms",
                            c.createP99(),
                            "createMs",
                            Json.millis(c.createMs()),
                            "keptConnectionCreateP50Ms",
                            c.keptP50(),
                            "keptConnectionCreateP99Ms",
                            c.keptP99(),
                            "keptConnectionCreateMs",
                            Json.millis(c.keptMs()),
                            "inProcessCreateP50Ms",
                            Stats.percentile(c.inProcessMs(), 50),
                            "inProcessCreateP99Ms",
                            Stats.percentile(c.inProcessMs(), 99),
                            "inProcessCreateMs",
                            Json.millis(c.inProcessMs()),
                            "storeBytesAdded",
                            c.storeBytesAdded(),
                            "storeBytesPerBranch",
                            c.storeBytesAdded()
                                    / (double) Math.max(1, c.createMs().size()),
                            "timelineBytesAdded",
                            c.timelineBytesAdded(),
                            "firstQueryP50Ms",
                            Stats.percentile(c.firstQueryMs(), 50),
                            "firstQueryP99Ms",
                            Stats.percentile(c.firstQueryMs(), 99),
                            "firstQueries",
                            c.firstQueries().stream()
                                    .map(q -> Json.object(
                                            "branch",
                                            q.name(),
                                            "createMs",
                                            q.createMs(),
                                            "firstQueryMs",
                                            q.firstQueryMs(),
                                            "wakeMs",
                                            q.wakeMs(),
                                            "totalMs",
                                            q.totalMs()))
                                    .toList()));
            for (NativeCopies.Method m : NativeCopies.Method.values()) {
                x.put(
                        switch (m) {
                            case TEMPLATE -> "createDatabaseTemplate";
                            case DUMP_RESTORE -> "pgDumpRestore";
                            case BASEBACKUP -> "pgBasebackup";
                        },
                        Json.object(
                                "method",
                                m.label,
                                "copyMedianMs",
                                c.median(m, false),
                                "firstQueryMedianMs",
                                c.median(m, true),
                                "bytesAddedMedian",
                                c.medianBytes(m),
                                "copyOverSproutCreate",
                                c.median(m, false) / c.createP50(),
                                "firstQueryOverSprout",
                                c.median(m, true) / Stats.percentile(c.firstQueryMs(), 50),
                                "samples",
                                c.copies().getOrDefault(m, List.of()).stream()
                                        .map(k -> Json.object(
                                                "copyMs",
                                                k.copyMs(),
                                                "firstQueryMs",
                                                k.firstQueryMs(),
                                                "bytesAdded",
                                                k.bytesAdded()))
                                        .toList()));
            }
            cs.add(x);
        }
        o.put("copy", cs);
        if (many != null) {
            o.put(
                    "manyBranches",
                    Json.object(
                            "scale",
                            many.dataset().scale(),
                            "databaseBytes",
                            many.dataset().dbBytes(),
                            "branches",
                            many.createMs().size(),
                            "seconds",
                            many.seconds(),
                            "first100P50Ms",
                            many.firstP50(),
                            "last100P50Ms",
                            many.lastP50(),
                            "lastOverFirst",
                            many.ratio(),
                            "storeBytesBefore",
                            many.storeBytesBefore(),
                            "storeBytesAdded",
                            many.storeBytesAdded(),
                            "timelineBytesAdded",
                            many.timelineBytesAdded(),
                            "createMs",
                            Json.millis(many.createMs())));
        }
        if (workload != null) {
            o.put(
                    "workload",
                    Json.object(
                            "scale",
                            workload.dataset().scale(),
                            "comparisons",
                            workload.comparisons().stream()
                                    .map(c -> Json.object(
                                            "workload",
                                            c.name(),
                                            "command",
                                            c.command(),
                                            "a",
                                            c.a(),
                                            "aTps",
                                            c.aTps(),
                                            "b",
                                            c.b(),
                                            "bTps",
                                            c.bTps(),
                                            "ratio",
                                            c.ratio()))
                                    .toList()));
        }
        o.put("charts", List.copyOf(charts));
        return o;
    }
}
