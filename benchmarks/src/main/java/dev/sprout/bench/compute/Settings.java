package dev.sprout.bench.compute;

import java.nio.file.Path;
import java.time.Duration;

/**
 * One run's parameters.
 *
 * @param scale        pgbench scale factor (100,000 accounts each)
 * @param clients      pgbench clients ({@code -c})
 * @param threads      pgbench threads ({@code -j})
 * @param run          each measured pgbench run ({@code -T})
 * @param warmup       the select-only warm-up run before each measured one (not counted)
 * @param rounds       rounds of compute and local disk, alternating, per workload
 * @param coldStarts   branches started cold
 * @param initdbRounds rounds of each initdb variant
 * @param out          where the report and the logs go
 * @param base         where the pageserver's store, the computes' directories and the local data directories go
 * @param keepTimelines keep the timelines of the initdb rounds and the cold-started branches until the end, instead
 *                     of deleting each as soon as it is done with (deleted timelines slow the store's later
 *                     namespace lookups: see docs/benchmarks.md)
 */
record Settings(
        boolean quick,
        int scale,
        int clients,
        int threads,
        Duration run,
        Duration warmup,
        int rounds,
        int coldStarts,
        int initdbRounds,
        Path out,
        Path base,
        boolean keepTimelines) {

    static Settings of(boolean quick, int rounds, Path out, Path base, boolean keepTimelines) {
        return quick
                ? new Settings(
                        true,
                        2,
                        4,
                        2,
                        Duration.ofSeconds(10),
                        Duration.ofSeconds(5),
                        rounds,
                        5,
                        1,
                        out,
                        base,
                        keepTimelines)
                : new Settings(
                        false,
                        10,
                        4,
                        2,
                        Duration.ofSeconds(60),
                        Duration.ofSeconds(10),
                        rounds,
                        20,
                        5,
                        out,
                        base,
                        keepTimelines);
    }

    Path logs() {
        return out.resolve("logs");
    }
}
