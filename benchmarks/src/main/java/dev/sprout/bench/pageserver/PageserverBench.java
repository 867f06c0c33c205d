package dev.sprout.bench.pageserver;

import dev.sprout.bench.kit.BenchOptions;
import dev.sprout.bench.kit.Fmt;
import dev.sprout.bench.kit.Harness;
import dev.sprout.bench.kit.Report;
import dev.sprout.bench.pageserver.server.ServerUnderTest;
import dev.sprout.bench.support.BenchEnv;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The pageserver benchmarks: a harness (not JMH: pipelined, asynchronous requests and servers that live across
 * many measurements do not fit JMH's model) that measures each pageserver figure next to its baseline in the
 * same run and prints a Markdown report with the ratios and the verdict on each goal.
 *
 * <ul>
 *   <li>{@code getpages}: {@link GetPagesBench}: GetPages at pipeline depth 1/16/64 and batched, page cache off
 *       and on, next to {@code PageStore.readPage} with 1 and 2 threads;</li>
 *   <li>{@code commit}: {@link CommitBench}: synced commits of 1 and 8 pages by 1, 4 and 16 committers, next to
 *       {@code PageStore.commit} and the disk's own {@code fdatasync};</li>
 *   <li>{@code branch}: {@link BranchBench}: 1,000 branch creations through the management API on a 10 GiB
 *       parent, next to {@code PageStore.branch}.</li>
 * </ul>
 *
 * {@code --quick} uses the small smoke datasets, 1 s rows and 100 branches: it proves that everything runs.
 * Progress lines go to stderr, the report to stdout and to {@code <out>/report.md}.
 */
@Command(
        name = "PageserverBench",
        mixinStandardHelpOptions = true,
        description = "GetPages, synced commits and branch creation on the pageserver, each next to its baseline.")
public final class PageserverBench implements Callable<Integer> {
    @Mixin
    BenchOptions options;
    // In this JVM by default, for simplicity: runs with the server in a child JVM gave the same figures within
    // this machine's run-to-run noise (docs/benchmarks.md); --server child is there to check again.
    @Option(
            names = "--server",
            paramLabel = "in-process|child",
            converter = ModeConverter.class,
            description = "where the pageserver runs: in-process (default) or child (its own JVM)")
    ServerUnderTest.Mode mode = ServerUnderTest.Mode.IN_PROCESS;

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "pageserver-bench-logback.xml"); // before any logger exists
        }
        Harness.main(new PageserverBench(), args);
    }

    @Override
    public Integer call() throws Exception {
        Set<String> groups = options.steps(List.of("getpages", "commit", "branch"));
        boolean quick = options.quick;
        if (quick) {
            System.setProperty("sprout.bench.smoke", "true"); // the small datasets, under <base>/smoke
        }
        if (options.baseGiven()) {
            System.setProperty("sprout.bench.dir", options.base("pageserver").toString()); // the datasets' base
        }
        Path out = options.out("pageserver");
        Files.createDirectories(out);
        Settings settings = Settings.of(quick, mode, out, groups);
        BenchEnv.log(
                "pageserver benchmarks: %s, server %s, rows of %s warm-up + %s measured, groups %s",
                quick ? "quick" : "full",
                mode.label(),
                Fmt.seconds(settings.row().warmup()),
                Fmt.seconds(settings.row().measure()),
                groups);

        long started = System.nanoTime();
        Report report = new Report();
        for (String group : groups) {
            long t = System.nanoTime();
            switch (group) {
                case "getpages" -> new GetPagesBench(settings).run(report);
                case "commit" -> new CommitBench(settings).run(report);
                case "branch" -> new BranchBench(settings).run(report);
                default -> throw new IllegalStateException(group);
            }
            BenchEnv.log("%s done in %.0f s", group, (System.nanoTime() - t) / 1e9);
        }
        Harness.publish(
                out,
                "Server " + mode.label() + "; every row: "
                        + Fmt.seconds(settings.row().warmup()) + " warm-up, "
                        + Fmt.seconds(settings.row().measure()) + " measured"
                        + (quick ? " (quick mode: small datasets, the figures mean little)" : "")
                        + ". Run took " + Math.round((System.nanoTime() - started) / 1e9) + " s.\n\n"
                        + report.render());
        return 0; // main exits: client and server threads are daemons, but the JDK HttpClient's selector may linger
    }

    static final class ModeConverter implements ITypeConverter<ServerUnderTest.Mode> {
        @Override
        public ServerUnderTest.Mode convert(String value) {
            return ServerUnderTest.Mode.parse(value);
        }
    }
}
