package dev.sprout.bench.imports;

import dev.sprout.bench.compute.NativeCluster;
import dev.sprout.bench.compute.Pgbench;
import dev.sprout.bench.kit.BenchOptions;
import dev.sprout.bench.kit.Fmt;
import dev.sprout.bench.kit.Harness;
import dev.sprout.bench.kit.Json;
import dev.sprout.bench.kit.Progress;
import dev.sprout.bench.kit.Stats;
import dev.sprout.bench.kit.Table;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.testkit.Sql;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The physical import benchmark: {@code sprout import} of a running PostgreSQL 15 next to {@code pg_basebackup} of
 * the same source to local disk, measured side by side in one run (the goal: import throughput at least 0.7× the
 * baseline's, at 1 GiB and 10 GiB).
 *
 * <p>Per scale: a source PostgreSQL on local disk ({@link NativeCluster}, as user postgres) loaded by
 * {@code pgbench -i -s N} and checkpointed; one untimed pg_basebackup to {@code /dev/null} so that every measured
 * run reads the source from the page cache alike; then {@code --runs} rounds, each timing, in an order rotated from
 * round to round, pg_basebackup {@code -Ft} and {@code -Fp} to local disk ({@link PgBasebackup}; the faster median
 * of the two is the baseline), pg_basebackup to {@code /dev/null} (what the source gives without a disk, for
 * reference) and {@code sprout import} into a new branch of a fresh Sprout node ({@link SproutImport}). Before each
 * measured run the kernel's dirty pages are written out ({@code sync}, untimed). With {@code --jfr} the first Sprout
 * import of each scale is profiled (the CLI's JVM and the node's, this one) and the report says where the samples
 * fall ({@link JfrTop}).
 *
 * <p>The report goes to stdout and {@code <out>/report.md}, every sample to {@code <out>/import.json}, logs (each
 * command's output, the JSON summaries, the computes' logs, JFR recordings) to {@code <out>/logs}. The JVM must run
 * as root (computes mount FUSE filesystems for user postgres; PostgreSQL runs as that user).
 */
@Command(
        name = "ImportBench",
        mixinStandardHelpOptions = true,
        description = "sprout import of a running PostgreSQL next to pg_basebackup of it to local disk.")
public final class ImportBench implements Callable<Integer> {
    /** The goal: the import's throughput at least this share of pg_basebackup's to local disk. */
    static final double GOAL = 0.7;

    @Mixin
    BenchOptions options;

    @Option(
            names = "--scales",
            split = ",",
            paramLabel = "LIST",
            description = "pgbench scales of the source (68 ≈ 1 GiB, 680 ≈ 10 GiB; default 68,680; --quick: 10)")
    List<Integer> scales;

    @Option(
            names = "--runs",
            paramLabel = "K",
            converter = BenchOptions.Positive.class,
            description = "measured rounds per scale (default 3; --quick: 1)")
    Integer runs;

    @Option(
            names = "--sprout-jar",
            paramLabel = "JAR",
            description = "the sprout command's jar (default: cli/target/sprout.jar)")
    Path sproutJar = Path.of("cli", "target", "sprout.jar");

    @Option(names = "--jfr", description = "profile the first Sprout import of each scale with JFR")
    boolean jfr;

    public static void main(String[] args) {
        Harness.main(new ImportBench(), args);
    }

    @Override
    public Integer call() throws Exception {
        options.steps(List.of());
        boolean quick = options.quick;
        List<Integer> sc = scales != null ? scales : quick ? List.of(10) : List.of(68, 680);
        int k = runs != null ? runs : quick ? 1 : 3;
        Path jar = sproutJar.toAbsolutePath().normalize();
        if (!Files.isRegularFile(jar)) {
            System.err.println("ImportBench: no " + jar + " (build it: mvn -DskipTests package -pl cli -am)");
            return 2;
        }
        Path out = options.out("import");
        Harness.Run run = Harness.Run.start("ImportBench", out, options.base("import"));
        BenchEnv.log(
                "import benchmark: %s; PostgreSQL %d at %s; scales %s, %d round(s) each%s; data under %s",
                quick ? "quick" : "full",
                run.install.majorVersion(),
                run.install.binDir(),
                sc,
                k,
                jfr ? ", first Sprout import of each scale profiled (JFR)" : "",
                run.runDir);
        List<Map<String, Object>> json = new ArrayList<>();
        Children children = new Children(run.runDir);
        try (run) {
            for (int scale : sc) {
                run.step("scale " + scale, () -> {
                    Scale s = new Scale(run, children, jar, scale, k);
                    s.measure();
                    run.report.section(s.render());
                    run.report.goal(
                            "import ≥ " + GOAL + "× pg_basebackup to local disk, scale " + scale + " ("
                                    + Fmt.f("%.2f GB", s.sourceBytes / 1e9) + ")",
                            Fmt.ratio(s.ratio()) + " (streaming alone " + Fmt.ratio(s.streamingRatio()) + ")",
                            s.ratio() >= GOAL);
                    json.add(s.json());
                });
            }
        } finally {
            children.close();
        }
        Files.writeString(
                out.resolve("import.json"),
                Json.write(Json.object("scales", sc, "runs", k, "quick", quick, "results", json)));
        return run.finish("Source: PostgreSQL " + run.install.majorVersion() + " on local disk loaded by `pgbench -i`;"
                + " pg_basebackup (-Ft and -Fp, its own fsync at the end) to a directory on the same disk against"
                + " `sprout import` (child JVM, `java -jar cli/target/sprout.jar`, as `./sprout` runs it) into a fresh"
                + " Sprout node in the harness's JVM whose store is on the same disk; " + k
                + " round(s) per scale, the order rotated, `sync` before each run (untimed)"
                + (quick ? " (quick mode: it proves that everything runs; the figures mean little)" : ""));
    }

    /** One scale: the source, its runs, its section of the report. */
    private final class Scale {
        private final Harness.Run run;
        private final Children children;
        private final Path jar;
        private final int scale;
        private final int rounds;
        private final Path dir;
        private final List<Sample> samples = new ArrayList<>();
        private final ThreadCpu threads = new ThreadCpu();
        long sourceBytes;
        long dataDirBytes;
        Duration load = Duration.ZERO;

        Scale(Harness.Run run, Children children, Path jar, int scale, int rounds) {
            this.run = run;
            this.children = children;
            this.jar = jar;
            this.scale = scale;
            this.rounds = rounds;
            this.dir = Harness.traversableDir(run.runDir.resolve("s" + scale));
        }

        void measure() throws Exception {
            NativeCluster source = new NativeCluster(run.install, dir.resolve("source"), run.password);
            children.add(source);
            try {
                source.initAndStart();
                Pgbench pgbench = new Pgbench(run.install, run.password, run.logs);
                String label = "pgbench-init-s" + scale;
                BenchEnv.log("scale %d: loading the source (pgbench -i -s %d)", scale, scale);
                load = Progress.during(
                        "pgbench -i -s " + scale,
                        run.logs.resolve(label + ".txt"),
                        () -> pgbench.init(label, source.port(), scale));
                try (Connection c = source.connect()) {
                    Sql.exec(c, "CHECKPOINT");
                    sourceBytes = Sql.queryLong(
                            c, "SELECT coalesce(sum(pg_database_size(oid)), 0) FROM pg_database WHERE datallowconn");
                }
                dataDirBytes = BenchEnv.treeBytes(source.dataDir());
                BenchEnv.log(
                        "scale %d: loaded in %s; databases %s, data directory %s",
                        scale, Fmt.seconds(load), Fmt.mib(sourceBytes), Fmt.mib(dataDirBytes));
                PgBasebackup basebackup = new PgBasebackup(run.install, source.port(), run.password, run.logs);
                SproutImport sprout = new SproutImport(jar, source.port(), run.password, run.logs);
                BenchEnv.log("scale %d: warm-up (pg_basebackup to /dev/null, not counted)", scale);
                basebackup.run(Sample.Way.DEVNULL, 0, null, children);
                List<Sample.Way> order =
                        List.of(Sample.Way.TAR, Sample.Way.SPROUT, Sample.Way.PLAIN, Sample.Way.DEVNULL);
                boolean profiled = false;
                for (int r = 1; r <= rounds; r++) {
                    for (int i = 0; i < order.size(); i++) {
                        Sample.Way way = order.get((i + r - 1) % order.size());
                        BenchEnv.settleDisk();
                        int round = r;
                        boolean profile = jfr && !profiled && way == Sample.Way.SPROUT;
                        profiled |= profile;
                        Sample s = Progress.during(
                                Fmt.f("scale %d round %d: %s", scale, r, way.label),
                                null,
                                () -> way == Sample.Way.SPROUT
                                        ? sprout.run(
                                                "s" + scale,
                                                round,
                                                dir.resolve("sprout-" + round),
                                                children,
                                                profile,
                                                threads)
                                        : basebackup.run(way, round, dir.resolve("backup-" + round), children));
                        samples.add(s);
                        BenchEnv.log(
                                "scale %d round %d: %s: %s s%s",
                                scale,
                                r,
                                way.label,
                                Fmt.dec(s.wallMs() / 1e3, 1),
                                way == Sample.Way.SPROUT
                                        ? Fmt.f(
                                                " (streaming %.1f s, first start %.1f s)",
                                                s.importMs() / 1e3, s.firstStartMs() / 1e3)
                                        : "");
                    }
                }
            } finally {
                BenchEnv.keepLog(source.logFile(), run.logs.resolve("source-s" + scale + ".log"));
                source.close();
                children.remove(source);
                BenchEnv.deleteOrLog(dir);
            }
        }

        List<Double> of(Sample.Way way, java.util.function.ToDoubleFunction<Sample> f) {
            return samples.stream()
                    .filter(s -> s.way() == way)
                    .map(s -> f.applyAsDouble(s))
                    .toList();
        }

        double median(Sample.Way way, java.util.function.ToDoubleFunction<Sample> f) {
            return Stats.median(of(way, f));
        }

        /** The baseline: the faster median of pg_basebackup -Ft and -Fp. */
        Sample.Way baseline() {
            return median(Sample.Way.TAR, Sample::wallMs) <= median(Sample.Way.PLAIN, Sample::wallMs)
                    ? Sample.Way.TAR
                    : Sample.Way.PLAIN;
        }

        /** pg_basebackup's median time ÷ the import's (the whole command): 1 is as fast, ≥ 0.7 the goal. */
        double ratio() {
            return median(baseline(), Sample::wallMs) / median(Sample.Way.SPROUT, Sample::wallMs);
        }

        /** The same with the import's streaming part alone (its {@code import_ms}). */
        double streamingRatio() {
            return median(baseline(), Sample::wallMs) / median(Sample.Way.SPROUT, Sample::importMs);
        }

        String render() {
            StringBuilder s = new StringBuilder();
            s.append(Fmt.f(
                    "### Scale %d: %.2f GB of databases (%s data directory)%n%n",
                    scale, sourceBytes / 1e9, Fmt.mib(dataDirBytes)));
            s.append("Source loaded by `pgbench -i -s ")
                    .append(scale)
                    .append("` in ")
                    .append(Fmt.seconds(Duration.ofSeconds(load.toSeconds())))
                    .append("; ")
                    .append(rounds)
                    .append(" round(s). Baseline: ")
                    .append(baseline().label)
                    .append(" (the faster median). **Ratio (pg_basebackup ÷ sprout import, goal ≥ ")
                    .append(GOAL)
                    .append("): ")
                    .append(Fmt.ratio(ratio()))
                    .append("**; with the import's streaming part alone ")
                    .append(Fmt.ratio(streamingRatio()))
                    .append(".\n\n");
            Table t = new Table(
                    "way",
                    "median s>",
                    "min–max s>",
                    "MB/s (median)>",
                    "CPU s, all processes (median)>",
                    "others' CPU share (median)>");
            Map<Sample.Way, Double> mbps = new EnumMap<>(Sample.Way.class);
            for (Sample.Way way : Sample.Way.values()) {
                List<Double> wall = of(way, Sample::wallMs);
                if (wall.isEmpty()) {
                    continue;
                }
                double bytes =
                        way == Sample.Way.DEVNULL ? median(Sample.Way.TAR, Sample::bytes) : median(way, Sample::bytes);
                mbps.put(way, bytes / 1e6 / (Stats.median(wall) / 1e3));
                t.row(
                        "`" + PgBasebackup.commandLine(way) + "`",
                        Fmt.dec(Stats.median(wall) / 1e3, 1),
                        Fmt.dec(Stats.min(wall) / 1e3, 1) + "–" + Fmt.dec(Stats.max(wall) / 1e3, 1),
                        Fmt.num(mbps.get(way)),
                        Fmt.dec(median(way, x -> x.cpu().ownCpuMs()) / 1e3, 1),
                        Fmt.percent(median(way, x -> x.cpu().others())));
            }
            s.append(t.render()).append('\n');
            double importMs = median(Sample.Way.SPROUT, Sample::importMs);
            double firstMs = median(Sample.Way.SPROUT, Sample::firstStartMs);
            double wallMs = median(Sample.Way.SPROUT, Sample::wallMs);
            Table parts = new Table("sprout import, its parts", "median s>", "share>", "MB/s>");
            double archive = median(Sample.Way.SPROUT, Sample::bytes);
            parts.row(
                    "streaming (`import_ms`: pg_basebackup's archive into the store)",
                    Fmt.dec(importMs / 1e3, 1),
                    Fmt.percent(importMs / wallMs),
                    Fmt.num(archive / 1e6 / (importMs / 1e3)));
            parts.row(
                    "first start (`first_start_ms`: backup recovery)",
                    Fmt.dec(firstMs / 1e3, 1),
                    Fmt.percent(firstMs / wallMs),
                    Fmt.NONE);
            parts.row(
                    "the rest (JVM start, the source's checks, begin and finish)",
                    Fmt.dec((wallMs - importMs - firstMs) / 1e3, 1),
                    Fmt.percent((wallMs - importMs - firstMs) / wallMs),
                    Fmt.NONE);
            parts.row(
                    "CPU s of the node's JVM (pageserver, RocksDB) in the whole command",
                    Fmt.dec(median(Sample.Way.SPROUT, x -> x.cpu().jvmCpuMs()) / 1e3, 1),
                    Fmt.NONE,
                    Fmt.NONE);
            s.append(parts.render()).append('\n');
            s.append("Where the CPU time of a `sprout import` goes, per process and per thread (`/proc`, every 500 ms;"
                            + " native threads included), averaged over its ")
                    .append(threads.windows())
                    .append(" run(s)")
                    .append(jfr ? " (the first one under JFR)" : "")
                    .append(":\n\n")
                    .append(threads.render(15))
                    .append('\n');
            Table raw = new Table("round", "way", "s>", "MB>", "MB/s>", "CPU s>", "others>");
            for (Sample x : samples) {
                raw.row(
                        x.run(),
                        x.way().name().toLowerCase(java.util.Locale.ROOT)
                                + (x.way() == Sample.Way.SPROUT
                                        ? Fmt.f(
                                                " (streaming %.1f s, first start %.1f s)",
                                                x.importMs() / 1e3, x.firstStartMs() / 1e3)
                                        : ""),
                        Fmt.dec(x.wallMs() / 1e3, 1),
                        x.bytes() < 0 ? Fmt.NONE : Fmt.count(Math.round(x.bytes() / 1e6)),
                        x.bytes() < 0 ? Fmt.NONE : Fmt.num(x.mbPerSecond()),
                        Fmt.dec(x.cpu().ownCpuMs() / 1e3, 1),
                        Fmt.percent(x.cpu().others()));
            }
            s.append("<details><summary>every run</summary>\n\n")
                    .append(raw.render())
                    .append("\n</details>\n\n");
            if (jfr) {
                s.append("#### Profile of the first Sprout import (JFR)\n\n");
                for (String side : List.of("cli", "node")) {
                    Path f = run.logs.resolve("jfr-s" + scale + "-" + side + ".jfr");
                    try {
                        s.append("**").append(side.equals("cli") ? "the CLI's JVM" : "the node's JVM (this one)");
                        s.append("**: ").append(JfrTop.summary(f, 12)).append('\n');
                    } catch (java.io.IOException | RuntimeException e) {
                        s.append("(cannot read ")
                                .append(f)
                                .append(": ")
                                .append(e.getMessage())
                                .append(")\n\n");
                    }
                }
            }
            return s.toString();
        }

        Map<String, Object> json() {
            List<Map<String, Object>> raw = new ArrayList<>();
            for (Sample x : samples) {
                raw.add(Json.object(
                        "round", x.run(),
                        "way", x.way().name().toLowerCase(java.util.Locale.ROOT),
                        "wall_ms", x.wallMs(),
                        "bytes", x.bytes(),
                        "import_ms", x.importMs(),
                        "first_start_ms", x.firstStartMs(),
                        "cpu_ms", x.cpu().ownCpuMs(),
                        "jvm_cpu_ms", x.cpu().jvmCpuMs(),
                        "others_share", x.cpu().others()));
            }
            return Json.object(
                    "scale",
                    scale,
                    "database_bytes",
                    sourceBytes,
                    "data_dir_bytes",
                    dataDirBytes,
                    "load_ms",
                    load.toMillis(),
                    "baseline",
                    baseline().name().toLowerCase(java.util.Locale.ROOT),
                    "ratio",
                    ratio(),
                    "streaming_ratio",
                    streamingRatio(),
                    "samples",
                    raw);
        }
    }
}
