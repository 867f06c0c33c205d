package dev.sprout.bench.compute;

import dev.sprout.bench.kit.BenchOptions;
import dev.sprout.bench.kit.Fmt;
import dev.sprout.bench.kit.Harness;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.postgres.OsUser;
import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.config.PageserverConfig;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The compute benchmarks: PostgreSQL 15 on a compute (its data directory a FUSE mount of a pageserver timeline)
 * next to the same PostgreSQL binary on a local-disk data directory with the same settings, measured side by
 * side in one run, and a Markdown report with the ratios and the verdict on each goal.
 *
 * <ol>
 *   <li>{@link InitdbBench}: initdb through a mount of a new root timeline against initdb on local disk;</li>
 *   <li>{@link Project}: a project (compute on a root timeline, initdb through the agent) and its local twin,
 *       both loaded by {@code pgbench -i};</li>
 *   <li>{@link ThroughputBench}: pgbench TPC-B, then select-only ({@code -S}, after a warm-up run), compute and
 *       local disk alternating for several rounds;</li>
 *   <li>{@link ColdStartBench}: branches of the loaded project's timeline taken just now, each started cold,
 *       timed from {@code Compute.start} to the first {@code SELECT 1} through pgjdbc;</li>
 *   <li>{@link ScanBench}: cold and warm scans of the largest table on a new branch against local disk, and
 *       several new branches scanning it at once.</li>
 * </ol>
 *
 * Steps may be picked by name: {@code initdb} (1), {@code pgbench} (2 and 3), {@code coldstart} (2 and 4),
 * {@code scan} (2 and 5); none
 * named: all. The pageserver runs in this JVM ({@code Pageserver.start}, ephemeral ports, the defaults), as in the
 * compute's tests. The JVM must run as root (FUSE mounts with {@code allow_other}, PostgreSQL as user {@code postgres}).
 * Progress lines go to stderr, the report to stdout and to {@code <out>/report.md}, logs to {@code <out>/logs}.
 */
@Command(
        name = "ComputeBench",
        mixinStandardHelpOptions = true,
        description = "PostgreSQL on a compute next to the same binary on local disk: initdb, pgbench, cold starts.")
public final class ComputeBench implements Callable<Integer> {
    /** The steps one may ask for; none named: all of them. */
    static final List<String> STEPS = List.of("initdb", "pgbench", "coldstart", "scan");

    @Mixin
    BenchOptions options;

    @Mixin
    BenchOptions.Rounds rounds;

    @Option(
            names = "--keep-timelines",
            description = "keep each initdb round's timeline and each cold-started branch until the end")
    boolean keepTimelines;

    @Option(
            names = "--page-transport",
            description = "how computes reach the pageserver of this JVM: in-process (direct calls, as in `sprout up`;"
                    + " the default) or tcp (its page port, as a compute on another host)")
    String pageTransport = "in-process";

    @Option(
            names = "--scan-branches",
            description = "new branches that scan the largest table at once in the scan step (default 10; 3 with"
                    + " --quick; 0: none)")
    Integer scanBranches;

    @Override
    public Integer call() throws Exception {
        boolean quick = options.quick;
        if (!pageTransport.equals("in-process") && !pageTransport.equals("tcp")) {
            throw new picocli.CommandLine.ParameterException(
                    new picocli.CommandLine(this),
                    "--page-transport is in-process or tcp, not \"" + pageTransport + "\"");
        }
        boolean inProcessPages = pageTransport.equals("in-process");
        Settings settings = Settings.of(
                quick, rounds.rounds(quick, 1, 3), options.out("compute"), options.base("compute"), keepTimelines);
        Set<String> groups = options.steps(STEPS);
        Harness.Run run = Harness.Run.start("ComputeBench", settings.out(), settings.base());
        PostgresInstall install = run.install;
        BenchEnv.log(
                "compute benchmarks: %s; PostgreSQL %d at %s; pgbench scale %d, %d clients, -j %d, %s runs, %d round(s);"
                        + " %d cold starts; %d initdb round(s); steps %s;%s data under %s",
                quick ? "quick" : "full",
                install.majorVersion(),
                install.binDir(),
                settings.scale(),
                settings.clients(),
                settings.threads(),
                Fmt.seconds(settings.run()),
                settings.rounds(),
                settings.coldStarts(),
                settings.initdbRounds(),
                groups,
                keepTimelines ? " timelines kept;" : "",
                run.runDir);
        try (run) {
            Pageserver pageserver = Pageserver.start(
                    PageserverConfig.defaults(run.runDir.resolve("pages")).withEphemeralPorts());
            BenchEnv.log(
                    "pageserver started in this JVM: page port %d, store %s; computes reach it %s",
                    pageserver.pagePort(),
                    run.runDir.resolve("pages"),
                    inProcessPages ? "by direct calls" : "through the page port");
            Env env = new Env(
                    settings,
                    pageserver,
                    install,
                    OsUser.forPostgres(),
                    run.password,
                    run.runDir,
                    NativeCluster.pgSettings(install),
                    new Pgbench(install, run.password, settings.logs().resolve("pgbench")),
                    inProcessPages);
            try (pageserver) {
                if (groups.contains("initdb")) {
                    run.step("initdb", () -> new InitdbBench(env).run(run.report));
                }
                if (groups.contains("pgbench") || groups.contains("coldstart") || groups.contains("scan")) {
                    run.step("project set-up", () -> {
                        try (Project p = Project.setUp(env, run.report)) {
                            if (groups.contains("pgbench")) {
                                run.step("throughput", () -> new ThroughputBench(env, p).run(run.report));
                            }
                            if (groups.contains("coldstart")) {
                                run.step("cold start", () -> new ColdStartBench(env, p).run(run.report));
                            }
                            if (groups.contains("scan")) {
                                int many = scanBranches != null ? scanBranches : quick ? 3 : 10;
                                run.step("scan", () -> new ScanBench(env, p, many).run(run.report));
                            }
                        }
                    });
                }
            }
        }
        return run.finish(
                "Steps " + String.join(", ", groups) + "; pageserver in the harness's JVM, computes reaching it "
                        + (inProcessPages ? "by direct calls" : "through its page port (TCP)") + "; pgbench scale "
                        + settings.scale() + ", " + settings.clients() + " clients, -j " + settings.threads() + ", "
                        + Fmt.seconds(settings.run()) + " per measured run, " + settings.rounds()
                        + " round(s) of compute and local disk alternating"
                        + (quick ? " (quick mode: it proves that everything runs; the figures mean little)" : "")
                        + (keepTimelines
                                ? "; timelines kept until the end (--keep-timelines)"
                                : "; each initdb timeline and branch deleted when done"));
    }

    public static void main(String[] args) {
        Harness.main(new ComputeBench(), args);
    }
}
