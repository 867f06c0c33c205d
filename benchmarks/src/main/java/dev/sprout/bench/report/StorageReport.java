package dev.sprout.bench.report;

import dev.sprout.bench.kit.Harness;
import dev.sprout.bench.report.JmhCsv.Result;
import dev.sprout.bench.storage.dataset.Dataset;
import dev.sprout.bench.storage.dataset.DatasetStore;
import dev.sprout.bench.storage.dataset.PreparedDataset;
import dev.sprout.storage.page.Pages;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * Turns one run of the storage benchmarks (JMH {@code -rf csv}, {@code Mode.SampleTime}, microseconds) into
 * the Markdown tables of docs/benchmarks.md, with every ratio computed from numbers of that same run and each
 * goal marked met or not. Benchmarks missing from the CSV are left out.
 *
 * <pre>java -cp benchmarks.jar dev.sprout.bench.report.StorageReport results.csv [more.csv...]</pre>
 */
@Command(
        name = "StorageReport",
        mixinStandardHelpOptions = true,
        description = "The storage benchmarks' Markdown report from JMH CSV files.")
public final class StorageReport implements Callable<Integer> {
    private static final double BRANCH_P99_GOAL_US = 5_000;
    private static final double BRANCH_FLATNESS_GOAL = 1.2;
    private static final double ANCESTRY_GOAL = 2.0;
    private static final double BULK_SHARE_GOAL = 0.5;

    @Parameters(arity = "1..*", paramLabel = "CSV", description = "JMH results (-rf csv)")
    List<Path> csv;

    private JmhCsv run;
    private final StringBuilder out = new StringBuilder();
    private final List<String> goals = new ArrayList<>();

    public static void main(String[] args) {
        Harness.main(new StorageReport(), args);
    }

    @Override
    public Integer call() throws IOException {
        run = JmhCsv.read(csv);
        branches();
        getPage();
        bulkLoad();
        System.out.print(render());
        return 0;
    }

    private String render() {
        StringBuilder s = new StringBuilder();
        if (!goals.isEmpty()) {
            s.append("### Goals\n\n| goal | measured | met? |\n| --- | --- | --- |\n");
            goals.forEach(g -> s.append(g).append('\n'));
            s.append('\n');
        }
        return s.append(out).toString();
    }

    // ---- branch creation --------------------------------------------------------------------------------------

    private void branches() {
        Optional<Result> floor = run.find("DiskBaselineBenchmark.syncedRecord", Map.of());
        List<Result> rows = new ArrayList<>();
        for (String commits : List.of("synced", "unsynced")) {
            for (String size : List.of("10MiB", "10GiB")) {
                run.find("BranchCreationBenchmark.branch", Map.of("commits", commits, "parentSize", size))
                        .ifPresent(rows::add);
            }
        }
        if (rows.isEmpty()) {
            return;
        }
        out.append(
                "### Branch creation\n\n`store.branch(TimelineId.random(), parent, head LSN)`, one thread. `synced` is the ");
        out.append(
                "default (the commit record is synced); `unsynced` (`withSyncCommits(false)`) is the engine's own cost ");
        out.append("without the WAL sync.\n\n");
        out.append(
                "| commits | parent | page images | on disk | samples | mean µs | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs |\n");
        out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (Result r : rows) {
            Dataset d = r.param("parentSize").equals("10GiB") ? Dataset.BRANCH_10GIB : Dataset.BRANCH_10MIB;
            Optional<PreparedDataset> p = DatasetStore.find(d);
            out.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %s | %,d | %s | %s | %s | %s | %s | %s |\n",
                    r.param("commits"),
                    r.param("parentSize"),
                    p.map(x -> gib(x.shape().imageBytes())).orElse("?"),
                    p.map(x -> gib(x.storeBytes())).orElse("?"),
                    r.samples(),
                    us(r.mean()),
                    us(r.p("0.50")),
                    us(r.p("0.90")),
                    us(r.p("0.99")),
                    us(r.p("0.999")),
                    us(r.p("1.00"))));
        }
        floor.ifPresent(r -> out.append(String.format(
                Locale.ROOT,
                "| baseline: 64 B append + `fdatasync`, same disk | | | | %,d | %s | %s | %s | %s | %s | %s |\n",
                r.samples(),
                us(r.mean()),
                us(r.p("0.50")),
                us(r.p("0.90")),
                us(r.p("0.99")),
                us(r.p("0.999")),
                us(r.p("1.00")))));
        out.append('\n');
        for (String commits : List.of("synced", "unsynced")) {
            Optional<Result> small =
                    run.find("BranchCreationBenchmark.branch", Map.of("commits", commits, "parentSize", "10MiB"));
            Optional<Result> large =
                    run.find("BranchCreationBenchmark.branch", Map.of("commits", commits, "parentSize", "10GiB"));
            if (commits.equals("synced")) {
                for (Result r :
                        List.of(small, large).stream().flatMap(Optional::stream).toList()) {
                    goal(
                            "branch p99 <= 5 ms, parent " + r.param("parentSize"),
                            us(r.p("0.99")) + " µs",
                            r.p("0.99") <= BRANCH_P99_GOAL_US);
                }
            }
            if (small.isEmpty() || large.isEmpty()) {
                continue;
            }
            double mean = large.get().mean() / small.get().mean();
            double p50 = large.get().p("0.50") / small.get().p("0.50");
            double p99 = large.get().p("0.99") / small.get().p("0.99");
            out.append(String.format(
                    Locale.ROOT, "%s, 10 GiB / 10 MiB: mean %s, p50 %s, p99 %s.", commits, x(mean), x(p50), x(p99)));
            if (commits.equals("synced")) {
                floor.ifPresent(f -> out.append(String.format(
                        Locale.ROOT,
                        " Branch / bare synced append, p50: %s (10 MiB), %s (10 GiB).",
                        x(small.get().p("0.50") / f.p("0.50")),
                        x(large.get().p("0.50") / f.p("0.50")))));
                goal(
                        "branch 10 GiB / 10 MiB <= 1.2, synced (p99)",
                        x(p99) + " (p50 " + x(p50) + ", mean " + x(mean) + ")",
                        p99 <= BRANCH_FLATNESS_GOAL);
            }
            out.append("\n\n");
        }
    }

    // ---- GetPage@LSN ------------------------------------------------------------------------------------------

    private void getPage() {
        List<Result> reads = run.all().stream()
                .filter(r -> r.benchmark().startsWith("GetPageBenchmark."))
                .toList();
        if (reads.isEmpty()) {
            return;
        }
        out.append(
                "### GetPage@LSN\n\n`store.readPage(timeline, its head LSN, file, random block)`; pages/s = threads / mean latency.\n\n");
        out.append("| cache | versions | threads | via | samples | pages/s | mean µs | p50 µs | p99 µs | p99.9 µs |\n");
        out.append("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        List<String[]> ratios = new ArrayList<>();
        List<String> caches = new ArrayList<>(List.of("warm", "cold"));
        reads.stream()
                .map(r -> r.param("cache"))
                .distinct()
                .filter(c -> !caches.contains(c))
                .sorted()
                .forEach(caches::add);
        for (String cache : caches) {
            for (String versions : List.of("1", "10")) {
                for (String method : List.of("oneThread", "twoThreads")) {
                    Map<String, Result> byPath = new LinkedHashMap<>();
                    for (String via : List.of("direct", "5-levels", "5-levels-rewritten")) {
                        run.find("GetPageBenchmark." + method, Map.of("versions", versions, "cache", cache, "via", via))
                                .ifPresent(r -> byPath.put(via, r));
                    }
                    for (var e : byPath.entrySet()) {
                        Result r = e.getValue();
                        out.append(String.format(
                                Locale.ROOT,
                                "| %s | %s | %d | %s | %,d | %,.0f | %s | %s | %s | %s |\n",
                                cache,
                                versions,
                                r.threads(),
                                e.getKey(),
                                r.samples(),
                                r.threads() * 1e6 / r.mean(),
                                us(r.mean()),
                                us(r.p("0.50")),
                                us(r.p("0.99")),
                                us(r.p("0.999"))));
                    }
                    Result direct = byPath.get("direct");
                    Result chain = byPath.get("5-levels");
                    Result rewritten = byPath.get("5-levels-rewritten");
                    if (direct == null || (chain == null && rewritten == null)) {
                        continue;
                    }
                    List<String> row = new ArrayList<>(List.of(cache, versions, Integer.toString(direct.threads())));
                    for (Result r : Arrays.asList(chain, rewritten)) {
                        if (r == null) {
                            row.addAll(List.of("–", "–", "–", "–"));
                            continue;
                        }
                        double mean = r.mean() / direct.mean();
                        row.addAll(List.of(
                                x(mean),
                                x(r.p("0.50") / direct.p("0.50")),
                                x(r.p("0.99") / direct.p("0.99")),
                                mean <= ANCESTRY_GOAL ? "yes" : "**no**"));
                        if (cache.equals("warm") || cache.equals("cold")) { // others are diagnostics
                            goal(
                                    String.format(
                                            Locale.ROOT,
                                            "%s / direct <= 2x (mean): %s, %s version(s), %d thread(s)",
                                            r.param("via"),
                                            cache,
                                            versions,
                                            direct.threads()),
                                    x(mean) + " (p99 " + x(r.p("0.99") / direct.p("0.99")) + ")",
                                    mean <= ANCESTRY_GOAL);
                        }
                    }
                    ratios.add(row.toArray(String[]::new));
                }
            }
        }
        if (!ratios.isEmpty()) {
            out.append(
                    "\nThrough 5 ancestor levels / direct, same cache, versions and threads (`5-levels`: the levels wrote ");
            out.append(
                    "other blocks; `rewritten`: four levels rewrote every block after the next branch, a RocksDB miss each):\n\n");
            out.append(
                    "| cache | versions | threads | 5-levels mean | p50 | p99 | <= 2x? | rewritten mean | p50 | p99 | <= 2x? |\n");
            out.append("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |\n");
            for (String[] r : ratios) {
                out.append("| ").append(String.join(" | ", r)).append(" |\n");
            }
        }
        out.append('\n');
    }

    // ---- bulk load --------------------------------------------------------------------------------------------

    private void bulkLoad() {
        List<Result> loads = run.all().stream()
                .filter(r -> r.benchmark().equals("BulkLoadBenchmark.commitBatch"))
                .toList();
        if (loads.isEmpty()) {
            return;
        }
        out.append(
                "### Bulk load\n\nOne thread commits batches of new 8 KiB pages, each commit synced; the disk baseline appends the ");
        out.append("same bytes per batch in 1 MiB writes, then `fdatasync`. MB/s = 10^6 bytes/s of page images.\n\n");
        out.append(
                "| batch | bulk MB/s | commit p50 ms | commit p99 ms | disk MB/s | disk p50 ms | disk p99 ms | bulk / disk | >= 50%? |\n");
        out.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
        for (Result r : loads) {
            String batch = r.param("batchPages");
            double bytes = Integer.parseInt(batch) * (double) Pages.PAGE_SIZE;
            double mbps = bytes / r.mean();
            Optional<Result> disk = run.find("DiskBaselineBenchmark.sequentialWrite", Map.of("batchPages", batch));
            double diskMbps = disk.map(d -> bytes / d.mean()).orElse(Double.NaN);
            double share = mbps / diskMbps;
            out.append(String.format(
                    Locale.ROOT,
                    "| %s pages (%s KiB) | %.1f | %s | %s | %s | %s | %s | %s | %s |\n",
                    batch,
                    (int) (bytes / 1024),
                    mbps,
                    ms(r.p("0.50")),
                    ms(r.p("0.99")),
                    disk.isPresent() ? String.format(Locale.ROOT, "%.1f", diskMbps) : "–",
                    disk.map(d -> ms(d.p("0.50"))).orElse("–"),
                    disk.map(d -> ms(d.p("0.99"))).orElse("–"),
                    disk.isPresent() ? String.format(Locale.ROOT, "%.0f%%", 100 * share) : "–",
                    disk.isPresent() ? (share >= BULK_SHARE_GOAL ? "yes" : "**no**") : "–"));
            if (disk.isPresent()) {
                goal(
                        "bulk load >= 50% of disk, batches of " + batch,
                        String.format(Locale.ROOT, "%.0f%% (%.1f of %.1f MB/s)", 100 * share, mbps, diskMbps),
                        share >= BULK_SHARE_GOAL);
            }
        }
        out.append('\n');
    }

    // ---- formatting -------------------------------------------------------------------------------------------

    private void goal(String what, String measured, boolean met) {
        goals.add("| " + what + " | " + measured + " | " + (met ? "yes" : "**no**") + " |");
    }

    private static String us(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String ms(double microseconds) {
        return String.format(Locale.ROOT, "%.2f", microseconds / 1000);
    }

    private static String x(double ratio) {
        return String.format(Locale.ROOT, "%.2f×", ratio);
    }

    private static String gib(long bytes) {
        return bytes >= 1L << 30
                ? String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }
}
