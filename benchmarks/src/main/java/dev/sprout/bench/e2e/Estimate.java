package dev.sprout.bench.e2e;

import java.nio.file.Files;
import java.time.Duration;

/**
 * How long a run will take, said up front. Rates measured on the development machine (2 vCPUs, a virtio disk):
 * {@code pgbench -i} about 0.45 s per scale unit through a compute and 0.2 s natively; {@code pg_dump | pg_restore}
 * about 0.7 s, {@code CREATE DATABASE … TEMPLATE} about 0.1 s and {@code pg_basebackup} plus start about 0.3 s per
 * unit; a branch create some 50 ms, a time to first query some 0.6 s. An estimate, not a promise: the disk is shared.
 */
final class Estimate {
    private Estimate() {}

    static Duration of(E2eSettings s) {
        double sec = 20; // JVM, pageserver and proxy starts
        for (int scale : s.datasets()) {
            if (!cached(s, scale)) {
                sec += 10 + scale * (0.45 + 0.2);
            }
        }
        if (s.runs("copy")) {
            for (int scale : s.scales()) {
                sec += 5 + (2 * s.creates() + 50) * 0.05 + (s.firstQueries() + 1) * 0.6;
                sec += s.baselineSamples(scale) * (6 + scale * (0.1 + 0.7 + 0.3));
            }
        }
        if (s.runs("many")) {
            sec += 5 + s.manyBranches() * 0.05;
        }
        if (s.runs("workload")) {
            long run = s.run().toSeconds() + 2;
            long warm = s.warmup().toSeconds() + 1;
            sec += 10 + 6L * s.rounds() * (run + warm); // three comparisons, two sides, each run after a warm-up
        }
        return Duration.ofSeconds(Math.round(sec));
    }

    static String describe(E2eSettings s) {
        StringBuilder b = new StringBuilder();
        for (int scale : s.datasets()) {
            b.append(b.isEmpty() ? "" : ", ")
                    .append("scale ")
                    .append(scale)
                    .append(cached(s, scale) ? " cached" : " to build");
        }
        return "datasets: " + b;
    }

    private static boolean cached(E2eSettings s, int scale) {
        return Files.exists(s.base().resolve("s" + scale).resolve(Dataset.MARKER));
    }
}
