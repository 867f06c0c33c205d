package dev.sprout.bench.e2e;

import dev.sprout.bench.kit.BenchOptions;
import dev.sprout.bench.kit.Cpu;
import dev.sprout.bench.kit.Harness;
import dev.sprout.bench.kit.Json;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.postgres.PostgresInstall;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The end-to-end benchmark: a Sprout branch against the ways people copy a PostgreSQL database today, on the same
 * datasets in one run, with a Markdown report, PNG charts and (with {@code --json}) every figure as JSON.
 *
 * <ol>
 *   <li>{@link Dataset}: pgbench databases at each scale, as a Sprout store and as a native cluster, cached under
 *       {@code <base>} between runs;</li>
 *   <li>{@link CopyStep} ({@code copy}): Sprout's branch create and time to first query against
 *       {@code CREATE DATABASE … TEMPLATE}, {@code pg_dump | pg_restore} and {@code pg_basebackup} + start, at
 *       every scale;</li>
 *   <li>{@link ManyBranchesStep} ({@code many}): many branches one after another, latency against count, storage;</li>
 *   <li>{@link WorkloadStep} ({@code workload}): pgbench on a branch against native, and through the proxy against
 *       direct.</li>
 * </ol>
 * Steps may be picked by name; none named: all. The JVM must run as root (FUSE mounts with {@code allow_other},
 * PostgreSQL as user {@code postgres}). Progress lines go to stderr; the report to {@code <docs>/e2e.md} and stdout
 * (the JSON instead, with {@code --json}, also written to {@code <docs>/e2e.json}); charts {@code <docs>/e2e-*.png};
 * logs to {@code <out>}.
 */
@Command(
        name = "E2eBench",
        mixinStandardHelpOptions = true,
        description = "A Sprout branch against the ways people copy a PostgreSQL database today, end to end.")
public final class E2eBench implements Callable<Integer> {
    @Mixin
    BenchOptions options;

    @Option(names = "--json", description = "also write <docs>/e2e.json and print it instead of the Markdown")
    boolean json;

    @Option(
            names = "--scales",
            paramLabel = "LIST",
            split = ",",
            converter = Scale.class,
            description = "pgbench scales of the copy step, comma-separated (default 7,70,700; 7,20 with --quick)")
    List<Integer> scales;

    @Option(names = "--docs", paramLabel = "DIR", description = "where the report, the charts and the JSON go")
    Path docs = Path.of("docs", "benchmarks");

    @Option(
            names = "--machine",
            paramLabel = "FILE",
            description = "the machine's description (Markdown) for the report")
    Path machine;

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        Harness.main(new E2eBench(), args);
    }

    @Override
    public Integer call() throws Exception {
        E2eSettings s = E2eSettings.of(
                options.quick,
                scales == null ? null : scales.stream().distinct().sorted().toList(),
                options.steps(E2eSettings.STEPS),
                json,
                docs.toAbsolutePath().normalize(),
                options.out("e2e"),
                options.base("e2e"));
        Harness.configureLogging(s.logs());
        Files.createDirectories(s.docs());
        Harness.requireRoot("E2eBench");
        Harness.traversableDir(s.base());
        Path work = s.base().resolve("work");
        if (Files.isDirectory(work)) {
            try (var left = Files.list(work)) {
                if (left.findAny().isPresent()) {
                    BenchEnv.log("deleting %s: clones and copies left behind by an earlier run", work);
                    BenchEnv.deleteTree(work);
                }
            }
        }
        Harness.traversableDir(work);
        PostgresInstall install = PostgresInstall.locate();

        Duration estimate = Estimate.of(s);
        BenchEnv.log(
                "end-to-end benchmark, %s mode: steps %s; scales %s; PostgreSQL %d at %s; datasets under %s",
                s.quick() ? "quick" : "full",
                E2eSettings.STEPS.stream().filter(s::runs).toList(),
                s.scales(),
                install.majorVersion(),
                install.binDir(),
                s.base());
        BenchEnv.log(
                "this run will take about %d minutes (%s)",
                Math.max(1, Math.round(estimate.toSeconds() / 60.0)), Estimate.describe(s));

        Instant started = Instant.now();
        long t0 = System.nanoTime();
        double loadBefore = Cpu.load1();
        Results results = new Results(s, started);
        Map<Integer, Dataset.Ready> datasets = new TreeMap<>();
        List<Integer> needed = s.datasets();
        int stepNo = 0;
        int stepCount = needed.size()
                + (s.runs("copy") ? s.scales().size() : 0)
                + (s.runs("many") ? 1 : 0)
                + (s.runs("workload") ? 1 : 0);
        for (int scale : needed) {
            progress(++stepNo, stepCount, t0, "dataset, pgbench scale " + scale);
            try {
                datasets.put(scale, Dataset.prepare(scale, s.base(), install, s.logs()));
            } catch (Exception e) {
                results.failure("dataset scale " + scale, e);
            }
        }
        if (s.runs("copy")) {
            CopyStep copy = new CopyStep(s, install, work);
            for (int scale : s.scales()) {
                progress(++stepNo, stepCount, t0, "copy, scale " + scale + ": Sprout branches, then the native copies");
                Dataset.Ready d = datasets.get(scale);
                if (d == null) {
                    continue;
                }
                try {
                    results.copies.add(copy.run(d));
                } catch (Exception e) {
                    results.failure("copy, scale " + scale, e);
                }
            }
        }
        if (s.runs("many")) {
            progress(++stepNo, stepCount, t0, s.manyBranches() + " branches one after another, scale " + s.manyScale());
            Dataset.Ready d = datasets.get(s.manyScale());
            if (d != null) {
                try {
                    results.many = new ManyBranchesStep(s, work).run(d);
                } catch (Exception e) {
                    results.failure("many branches", e);
                }
            }
        }
        if (s.runs("workload")) {
            progress(++stepNo, stepCount, t0, "workload on a branch, scale " + s.workloadScale());
            Dataset.Ready d = datasets.get(s.workloadScale());
            if (d != null) {
                try {
                    results.workload = new WorkloadStep(s, install, work).run(d);
                } catch (Exception e) {
                    results.failure("workload", e);
                }
            }
        }
        results.datasets.addAll(datasets.values());
        results.seconds = (System.nanoTime() - t0) / 1e9;
        results.loadBefore = loadBefore;
        results.loadAfter = Cpu.load1();

        try {
            results.charts(s.docs());
        } catch (RuntimeException | Error e) {
            results.failure("charts", e);
        }
        String machineMd = machine != null && Files.exists(machine) ? Files.readString(machine) : "";
        String md = results.markdown(machineMd);
        Files.writeString(s.docs().resolve("e2e.md"), md);
        String jsonText = null;
        if (s.json()) {
            jsonText = Json.write(results.json());
            Files.writeString(s.docs().resolve("e2e.json"), jsonText);
        }
        System.out.print(s.json() ? jsonText : md);
        System.out.flush();
        BenchEnv.log(
                "took %d s; report %s%s; charts %s",
                Math.round(results.seconds),
                s.docs().resolve("e2e.md"),
                s.json() ? ", JSON " + s.docs().resolve("e2e.json") : "",
                s.docs().resolve("e2e-*.png"));
        return results.failed() ? 1 : 0;
    }

    private static void progress(int n, int of, long t0, String what) {
        BenchEnv.log("[%d/%d, %d s] %s", n, of, Math.round((System.nanoTime() - t0) / 1e9), what);
    }

    /** A pgbench scale, 1 to 10,000. */
    static final class Scale implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            try {
                int n = Integer.parseInt(value.strip());
                if (n >= 1 && n <= 10_000) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // refused below
            }
            throw new TypeConversionException(value + " (expected: pgbench scales 1..10000, comma-separated)");
        }
    }
}
