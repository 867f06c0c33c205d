package dev.sprout.bench.branch;

import dev.sprout.bench.compute.Pgbench;
import dev.sprout.bench.kit.BenchOptions;
import dev.sprout.bench.kit.Fmt;
import dev.sprout.bench.kit.Harness;
import dev.sprout.bench.kit.Progress;
import dev.sprout.bench.kit.Report;
import dev.sprout.bench.kit.Stats;
import dev.sprout.bench.kit.Table;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.Compute;
import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.http.client.ApiClient;
import dev.sprout.protocol.BranchName;
import dev.sprout.storage.timeline.TimelineInfo;
import dev.sprout.testkit.Sql;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Time to a usable branch as a user sees it: {@code sprout branch create} (its HTTP request) and the first
 * {@code SELECT 1} through the proxy on the new branch, over a run of branches of one loaded database, and a
 * Markdown report with p50/p99 and the verdict on the goal (p50 at most 1 s).
 *
 * <ol>
 *   <li>{@link BranchStack}: pageserver, control plane (its API on the pageserver's HTTP port) and proxy in this
 *       JVM, as {@code sprout up} runs them; main's compute started with initdb, loaded with {@code pgbench -i}
 *       through its own port, checkpointed;</li>
 *   <li>warm-up: connections through the proxy to main, and one branch made usable as below, not counted;</li>
 *   <li>{@link UsableBranch} for each measured branch, one after the other, each compute stopped afterwards.</li>
 * </ol>
 *
 * Nothing is cached between runs: each builds its store anew. The JVM must run as root (the computes' FUSE mounts
 * with {@code allow_other}, PostgreSQL as user {@code postgres}). Progress lines go to stderr, the report to stdout
 * and to {@code <out>/report.md}, logs to {@code <out>/logs}.
 */
@Command(
        name = "BranchBench",
        mixinStandardHelpOptions = true,
        description = "Time to a usable branch: `sprout branch create` plus the first SELECT 1 through the proxy.")
public final class BranchBench implements Callable<Integer> {
    /** The goal, from the control-plane issue: a branch is usable within a second, at the median. */
    static final double GOAL_P50_MS = 1_000;
    /** How often the load's progress is reported. */
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(10);

    private static final int WARMUP_CONNECTIONS = 10;

    @Mixin
    BenchOptions options;

    @Option(
            names = "--scale",
            paramLabel = "N",
            converter = BenchOptions.Positive.class,
            description = "pgbench scale of main's data (default 70; 7 with --quick)")
    Integer scaleOption;

    @Option(
            names = "--branches",
            paramLabel = "N",
            converter = BenchOptions.Positive.class,
            description = "measured branches (default 20; 5 with --quick)")
    Integer branchesOption;

    private int scale;
    private int branches;
    private Path logs;

    public static void main(String[] args) {
        Harness.main(new BranchBench(), args);
    }

    @Override
    public Integer call() throws Exception {
        options.steps(List.of()); // it has none
        boolean quick = options.quick;
        scale = scaleOption != null ? scaleOption : quick ? 7 : 70;
        branches = branchesOption != null ? branchesOption : quick ? 5 : 20;
        Harness.Run run = Harness.Run.start("BranchBench", options.out("branch"), options.base("branch"));
        logs = run.logs;
        BenchEnv.log(
                "branch benchmark: %s; PostgreSQL %d at %s; pgbench scale %d; %d branches; data under %s",
                quick ? "quick" : "full",
                run.install.majorVersion(),
                run.install.binDir(),
                scale,
                branches,
                run.runDir);
        try (run) {
            BranchStack stack = BranchStack.start(run.runDir, run.password);
            try {
                run(stack, run.install, run.password, run.report);
            } finally {
                keepLogs(run.runDir.resolve("computes"), logs);
                stack.close();
            }
        } catch (Exception e) {
            BenchEnv.log("failed: %s", e);
            e.printStackTrace();
            run.report.failure("branch benchmark", e);
        }
        return run.finish(
                "Pageserver, control plane, computes' FUSE filesystems and proxy in the harness's JVM; pgbench scale "
                        + scale + "; " + branches + " measured branches"
                        + (quick ? " (quick mode: it proves that everything runs; the figures mean little)" : ""));
    }

    private void run(BranchStack stack, PostgresInstall install, String password, Report report) throws SQLException {
        Table setup = new Table("what", "value");
        BenchEnv.log("starting main's compute with initdb (the control plane's wake)");
        long t = System.nanoTime();
        stack.control.wake(BranchName.MAIN);
        Duration initdb = Duration.ofNanos(System.nanoTime() - t);
        Compute main = stack.control.compute(BranchName.MAIN).orElseThrow();
        BenchEnv.log("main up in %d ms on port %d", initdb.toMillis(), main.port());
        setup.row("main's compute start with initdb (`ControlPlane.wake(\"main\")`)", Fmt.tenths(initdb));

        Path pgbenchLogs = logs.resolve("pgbench");
        Pgbench pgbench = new Pgbench(install, password, pgbenchLogs);
        BenchEnv.log("pgbench -i -s %d on main (its own port); progress every %d s", scale, PROGRESS_EVERY.toSeconds());
        Duration load = Progress.during(
                "load",
                pgbenchLogs.resolve("load.txt"),
                PROGRESS_EVERY,
                () -> pgbench.init("load", main.port(), scale));
        BenchEnv.log("loaded in %s", Fmt.tenths(load));
        setup.row("`pgbench -i -s " + scale + "` through main's own port", Fmt.tenths(load));

        long dbBytes;
        Duration checkpoint;
        try (Connection c = main.connect()) {
            dbBytes = Long.parseLong(Sql.queryString(c, "SELECT pg_database_size(current_database())"));
            t = System.nanoTime();
            Sql.exec(c, "CHECKPOINT");
            checkpoint = Duration.ofNanos(System.nanoTime() - t);
        }
        TimelineInfo mainTimeline = stack.control.get(BranchName.MAIN).timeline();
        long storeBefore = BenchEnv.treeBytes(stack.pageserver.config().dataDirectory());
        BenchEnv.log(
                "database size %s; CHECKPOINT %d ms; store %s on disk",
                Fmt.mib(dbBytes), checkpoint.toMillis(), Fmt.mib(storeBefore));
        setup.row("database size (`pg_database_size`)", Fmt.mib(dbBytes) + " (" + Fmt.count(dbBytes) + " bytes)");
        setup.row(
                "main's timeline",
                "logical " + Fmt.mib(mainTimeline.logicalBytes()) + ", own bytes in the store (`physicalBytes`) "
                        + Fmt.mib(mainTimeline.physicalBytes()));
        setup.row(
                "`CHECKPOINT` on main after the load (so the first branch does not pay for the load's dirty pages)",
                Fmt.ms(checkpoint) + " ms");

        UsableBranch usable = new UsableBranch(stack, password, scale);
        BenchEnv.log(
                "warm-up: %d connections through the proxy to main, one GET /v1/branches, one branch",
                WARMUP_CONNECTIONS);
        for (int i = 0; i < WARMUP_CONNECTIONS; i++) {
            try (Connection c = usable.connect(BranchName.MAIN)) {
                Sql.queryString(c, "SELECT 1");
            }
        }
        try (ApiClient api = UsableBranch.api(stack)) {
            api.get("/v1/branches"); // a refusal throws, with its sentence
        }
        UsableBranch.Sample warm = usable.measure("warm-up");

        BenchEnv.log("measuring %d branches", branches);
        List<UsableBranch.Sample> samples = new ArrayList<>();
        long loopStarted = System.nanoTime();
        for (int i = 1; i <= branches; i++) {
            samples.add(usable.measure("b-" + i));
        }
        long loopSeconds = Math.round((System.nanoTime() - loopStarted) / 1e9);
        long storeAfter = BenchEnv.treeBytes(stack.pageserver.config().dataDirectory());
        boolean mainStillRuns = stack.control.compute(BranchName.MAIN).isPresent();

        List<Double> create = values(samples, UsableBranch.Sample::createMs);
        List<Double> first = values(samples, UsableBranch.Sample::firstQueryMs);
        List<Double> total = values(samples, UsableBranch.Sample::totalMs);
        List<Double> wake = values(samples, UsableBranch.Sample::wakeMs);
        List<Double> rest = values(samples, x -> x.firstQueryMs() - x.wakeMs());
        double p50 = Stats.percentile(total, 50);
        double p99 = Stats.percentile(total, 99);
        boolean met = p50 <= GOAL_P50_MS;
        long ran = samples.stream().filter(UsableBranch.Sample::running).count();
        report.goal(
                "time to a usable branch (`POST /v1/branches` + first `SELECT 1` through the proxy) p50 <= "
                        + Fmt.ms(GOAL_P50_MS) + " ms, " + branches + " branches of a " + Fmt.mib(dbBytes) + " database",
                "p50 " + Fmt.ms(p50) + " ms, p99 " + Fmt.ms(p99) + " ms (create p50 "
                        + Fmt.ms(Stats.percentile(create, 50)) + " ms, first query p50 "
                        + Fmt.ms(Stats.percentile(first, 50)) + " ms)",
                met);

        setup.row(
                "set-up",
                "pageserver (ephemeral ports, defaults), control plane (`ControlPlane.open`, API mounted at `"
                        + "/v1/branches` on the pageserver's HTTP port), wire proxy (`ProxyConfig.defaults`, self-signed TLS offered,"
                        + " clients use `sslmode=disable`), all in the harness's JVM, wired as `LocalStack` (`sprout up`) does;"
                        + " computes with `LocalStack`'s template (`ComputeSpec.of` defaults) but idle suspend off");
        setup.row(
                "warm-up (not counted)",
                WARMUP_CONNECTIONS + " connections through the proxy to main, one `GET /v1/branches`,"
                        + " one branch `warm-up`: create " + Fmt.ms(warm.createMs()) + " ms, first query "
                        + Fmt.ms(warm.firstQueryMs())
                        + " ms, total " + Fmt.ms(warm.totalMs()) + " ms");
        setup.row(
                "store on disk (the pageserver's data directory)",
                Fmt.mib(storeBefore) + " before the warm-up, "
                        + Fmt.mib(storeAfter) + " after the last branch ("
                        + Fmt.count((storeAfter - storeBefore) / (branches + 1))
                        + " bytes per branch, the branches' compute starts and stops included)");
        report.section("#### Set-up\n\n" + setup.render());

        Table summary = new Table("what", "p50 ms>", "p99 ms>", "min ms>", "max ms>");
        summary.row(
                "create: `POST /v1/branches` → 201",
                Fmt.ms(Stats.percentile(create, 50)),
                Fmt.ms(Stats.percentile(create, 99)),
                Fmt.ms(Stats.min(create)),
                Fmt.ms(Stats.max(create)));
        summary.row(
                "first query: connect through the proxy (wake-up, compute start) + `SELECT 1`",
                Fmt.ms(Stats.percentile(first, 50)),
                Fmt.ms(Stats.percentile(first, 99)),
                Fmt.ms(Stats.min(first)),
                Fmt.ms(Stats.max(first)));
        summary.row(
                "— of which the wake-up (the control plane starts the branch's compute)",
                Fmt.ms(Stats.percentile(wake, 50)),
                Fmt.ms(Stats.percentile(wake, 99)),
                Fmt.ms(Stats.min(wake)),
                Fmt.ms(Stats.max(wake)));
        summary.row(
                "— the rest (TCP, startup, SCRAM relayed, `SELECT 1`)",
                Fmt.ms(Stats.percentile(rest, 50)),
                Fmt.ms(Stats.percentile(rest, 99)),
                Fmt.ms(Stats.min(rest)),
                Fmt.ms(Stats.max(rest)));
        summary.row(
                "**total: time to a usable branch**",
                "**" + Fmt.ms(p50) + "**",
                Fmt.ms(p99),
                Fmt.ms(Stats.min(total)),
                Fmt.ms(Stats.max(total)));
        Table each = new Table(
                "branch",
                "create ms>",
                "first query ms>",
                "of which wake-up ms>",
                "total ms>",
                "bytes added at create>",
                "bytes added after compute stop>",
                "compute ran?");
        for (UsableBranch.Sample x : samples) {
            each.row(
                    x.name(),
                    Fmt.ms(x.createMs()),
                    Fmt.ms(x.firstQueryMs()),
                    Fmt.ms(x.wakeMs()),
                    Fmt.ms(x.totalMs()),
                    Fmt.count(x.addedBytes()),
                    Fmt.count(x.addedBytesAfter()),
                    x.running() ? "yes" : "**no**");
        }
        report.section("#### Time to a usable branch\n\n" + branches + " branches `b-1`…`b-" + branches + "` of main"
                + " at its head, one after the other (" + loopSeconds + " s in all); main's compute ran throughout"
                + (mainStillRuns ? "" : " (**it was not running at the end**)") + ", so each create checkpoints it"
                + " (`Compute.checkpointForBranch`) before branching. For each: a new `ApiClient` (the CLI's: the JDK's"
                + " HttpClient, HTTP/1.1, the admin token), clock, `POST /v1/branches {\"name\":\"b-i\"}` to the pageserver's HTTP port → 201,"
                + " clock, pgjdbc `DriverManager.getConnection` to the proxy with `options=branch=b-i`, `sslmode=disable`,"
                + " SCRAM, `SELECT 1`, clock; untimed: `SELECT count(*) FROM pgbench_branches` = " + scale
                + " (main's data is there), the compute's state, `ControlPlane.stop`. The CLI's JVM start is not included."
                + " Nearest-rank percentiles: with " + branches + " samples p99 is the maximum. Bytes added = the new"
                + " timeline's `TimelineInfo.physicalBytes` (RocksDB's estimate of its own keys): at create, what the"
                + " branch itself costs the store; after the compute's stop, that plus what the compute wrote while it"
                + " started, answered and stopped. Compute running after the"
                + " query: " + ran + " of " + branches
                + ". The wake-up is timed in the harness's adapter between the proxy"
                + " and `ControlPlane.wake` (percentiles of each row taken separately, so the rows need not add up).\n\n"
                + summary.render() + "\n" + each.render());
        report.section("#### Verdict\n\nTime to a usable branch p50 <= " + Fmt.ms(GOAL_P50_MS) + " ms: **"
                + (met ? "MET" : "MISSED") + "**, p50 " + Fmt.ms(p50) + " ms, p99 " + Fmt.ms(p99) + " ms over "
                + branches
                + " branches of a " + Fmt.mib(dbBytes) + " database (create p50 " + Fmt.ms(Stats.percentile(create, 50))
                + " ms, first query p50 " + Fmt.ms(Stats.percentile(first, 50))
                + " ms, of which the compute's wake-up p50 "
                + Fmt.ms(Stats.percentile(wake, 50)) + " ms).\n");
        if (ran != branches) {
            report.failure(
                    "compute state",
                    new IllegalStateException(
                            (branches - ran) + " branch compute(s) were not" + " running after their first query"));
        }
    }

    private static List<Double> values(List<UsableBranch.Sample> samples, ToDoubleFunction<UsableBranch.Sample> f) {
        return samples.stream().map(x -> f.applyAsDouble(x)).toList();
    }

    /** Keeps each compute's PostgreSQL log ({@code computes/NAME/postgres.log}) as {@code postgres-NAME.log}. */
    private static void keepLogs(Path computes, Path logs) {
        try (var dirs = Files.list(computes)) {
            for (Path dir : dirs.toList()) {
                BenchEnv.keepLog(dir.resolve("postgres.log"), logs.resolve("postgres-" + dir.getFileName() + ".log"));
            }
        } catch (IOException | RuntimeException e) {
            BenchEnv.log("could not keep the computes' logs from %s: %s", computes, e.getMessage());
        }
    }
}
