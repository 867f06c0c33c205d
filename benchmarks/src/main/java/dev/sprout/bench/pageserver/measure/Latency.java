package dev.sprout.bench.pageserver.measure;

import dev.sprout.bench.kit.Stats;

/**
 * A latency distribution in nanoseconds: {@link Stats}' nearest-rank percentiles of a sorted sample.
 */
public record Latency(int count, double mean, long p50, long p90, long p99, long p999, long max) {

    public static final Latency EMPTY = new Latency(0, Double.NaN, 0, 0, 0, 0, 0);

    /** Summarises {@code sorted}, which must be sorted ascending. */
    public static Latency of(long[] sorted) {
        int n = sorted.length;
        if (n == 0) {
            return EMPTY;
        }
        double sum = 0;
        for (long v : sorted) {
            sum += v;
        }
        return new Latency(
                n,
                sum / n,
                Stats.quantile(sorted, 0.50),
                Stats.quantile(sorted, 0.90),
                Stats.quantile(sorted, 0.99),
                Stats.quantile(sorted, 0.999),
                sorted[n - 1]);
    }
}
