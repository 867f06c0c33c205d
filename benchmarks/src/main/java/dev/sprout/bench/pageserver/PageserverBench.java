package dev.sprout.bench.pageserver;

import dev.sprout.bench.pageserver.server.ServerUnderTest;
import dev.sprout.bench.support.BenchEnv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The pageserver benchmarks: a harness (not JMH: pipelined, asynchronous requests and servers that live across
 * many measurements do not fit JMH's model) that measures each pageserver figure next to its baseline in the
 * same run and prints a Markdown report with the ratios and the verdict on each goal.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar dev.sprout.bench.pageserver.PageserverBench \
 *     [--quick] [--server in-process|child] [--out DIR] [getpages] [commit] [branch]
 * </pre>
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
public final class PageserverBench {
    private PageserverBench() {}

    public static void main(String[] args) throws IOException {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "pageserver-bench-logback.xml"); // before any logger exists
        }
        boolean quick = false;
        // In this JVM by default, for simplicity: runs with the server in a child JVM gave the same figures within
        // this machine's run-to-run noise (docs/benchmarks.md); --server child is there to check again.
        ServerUnderTest.Mode mode = ServerUnderTest.Mode.IN_PROCESS;
        Path out = Path.of("benchmarks", "target", "bench-pageserver");
        Set<String> groups = new LinkedHashSet<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--server" -> mode = ServerUnderTest.Mode.parse(value(args, ++i, "--server"));
                case "--out" -> out = Path.of(value(args, ++i, "--out"));
                case "-h", "--help" -> {
                    usage();
                    return;
                }
                default -> {
                    if (!Settings.ALL_GROUPS.contains(args[i])) {
                        System.err.println("PageserverBench: unknown argument '" + args[i] + "'");
                        usage();
                        System.exit(2);
                    }
                    groups.add(args[i]);
                }
            }
        }
        if (groups.isEmpty()) {
            groups.addAll(List.of("getpages", "commit", "branch"));
        }
        if (quick) {
            System.setProperty("sprout.bench.smoke", "true"); // the small datasets, under <base>/smoke
        }
        Files.createDirectories(out);
        Settings settings = Settings.of(quick, mode, out, groups);
        BenchEnv.log("pageserver benchmarks: %s, server %s, rows of %s warm-up + %s measured, groups %s", quick ? "quick" : "full",
                mode.label(), seconds(settings.row().warmup()), seconds(settings.row().measure()), groups);

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
        String text = "Server " + mode.label() + "; every row: " + seconds(settings.row().warmup()) + " warm-up, "
                + seconds(settings.row().measure()) + " measured" + (quick ? " (quick mode: small datasets, the figures mean little)" : "")
                + ". Run took " + Math.round((System.nanoTime() - started) / 1e9) + " s.\n\n" + report.render();
        Files.writeString(out.resolve("report.md"), text);
        System.out.print(text);
        System.out.flush();
        BenchEnv.log("report in %s", out.resolve("report.md"));
        System.exit(0); // client and server threads are daemons, but the JDK HttpClient's selector may linger
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1e3);
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            System.err.println("PageserverBench: " + flag + " needs a value");
            System.exit(2);
        }
        return args[i];
    }

    private static void usage() {
        System.err.println("usage: PageserverBench [--quick] [--server in-process|child] [--out DIR] [getpages] [commit] [branch]");
    }
}
