package dev.sprout.bench.pageserver.measure;

/**
 * A latency distribution in nanoseconds: nearest-rank percentiles of a sorted sample (the p-th percentile is
 * the smallest sample that at least p% of the samples do not exceed).
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
        return new Latency(n, sum / n, rank(sorted, 0.50), rank(sorted, 0.90), rank(sorted, 0.99), rank(sorted, 0.999),
                sorted[n - 1]);
    }

    static long rank(long[] sorted, double q) {
        int index = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
