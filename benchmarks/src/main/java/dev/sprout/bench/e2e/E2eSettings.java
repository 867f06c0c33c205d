package dev.sprout.bench.e2e;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * One run's parameters. Quick mode shrinks every step so that the whole run, datasets included, takes a few
 * minutes: it proves that everything runs end to end, and its figures mean little.
 *
 * @param scales         pgbench scale factors of the datasets compared side by side (7 is about 100 MiB, 70 about
 *                       1 GiB, 700 about 10 GiB: 100,000 accounts, about 15 MiB, per unit)
 * @param creates        branches created through the API per dataset for the create latency (p50/p99)
 * @param firstQueries   branches made usable (create, compute start, {@code SELECT 1} through the proxy) per dataset
 * @param manyBranches   branches created one after another for the "many branches" step
 * @param manyScale      the dataset those branches are taken of
 * @param workloadScale  the dataset of the workload step
 * @param run            each measured pgbench run ({@code -T})
 * @param warmup         the select-only warm-up run before each measured one (not counted)
 * @param rounds         rounds of each pgbench comparison, the order of the two sides alternating
 * @param steps          the steps to run: {@code copy}, {@code many}, {@code workload}
 * @param json           whether to write the figures as JSON too (and print it instead of the Markdown)
 * @param docs           where the report, the charts and the JSON go ({@code docs/benchmarks})
 * @param logs           where the logs go
 * @param base           where the cached datasets and the runs' scratch directories go
 */
record E2eSettings(
        boolean quick,
        List<Integer> scales,
        int creates,
        int firstQueries,
        int manyBranches,
        int manyScale,
        int workloadScale,
        Duration run,
        Duration warmup,
        int rounds,
        int clients,
        int threads,
        Set<String> steps,
        boolean json,
        Path docs,
        Path logs,
        Path base) {

    static final List<String> STEPS = List.of("copy", "many", "workload");

    static E2eSettings of(
            boolean quick, List<Integer> scales, Set<String> steps, boolean json, Path docs, Path logs, Path base) {
        List<Integer> s = scales != null ? scales : quick ? List.of(7, 20) : List.of(7, 70, 700);
        Set<String> st = steps.isEmpty() ? Set.copyOf(STEPS) : Set.copyOf(steps);
        return quick
                ? new E2eSettings(
                        true,
                        s,
                        20,
                        3,
                        200,
                        s.getFirst(),
                        s.getFirst(),
                        Duration.ofSeconds(6),
                        Duration.ofSeconds(4),
                        1,
                        4,
                        2,
                        st,
                        json,
                        docs,
                        logs,
                        base)
                : new E2eSettings(
                        false,
                        s,
                        100,
                        10,
                        1000,
                        s.contains(70) ? 70 : s.getLast(),
                        s.contains(70) ? 70 : s.getLast(),
                        Duration.ofSeconds(60),
                        Duration.ofSeconds(10),
                        3,
                        4,
                        2,
                        st,
                        json,
                        docs,
                        logs,
                        base);
    }

    /** Copies made by each baseline per dataset: one of a 10 GiB database takes minutes. */
    int baselineSamples(int scale) {
        return quick || scale >= 300 ? 1 : 3;
    }

    boolean runs(String step) {
        return steps.contains(step);
    }

    /** The datasets this run needs, smallest first. */
    List<Integer> datasets() {
        java.util.TreeSet<Integer> all = new java.util.TreeSet<>();
        if (runs("copy")) {
            all.addAll(scales);
        }
        if (runs("many")) {
            all.add(manyScale);
        }
        if (runs("workload")) {
            all.add(workloadScale);
        }
        return List.copyOf(all);
    }
}
