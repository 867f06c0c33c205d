package dev.sprout.bench.kit;

import java.util.Arrays;
import java.util.List;

/**
 * Order statistics of samples, the one place the harnesses take them: medians and nearest-rank percentiles (the
 * p-th percentile is the smallest sample that at least p% of the samples do not exceed: with 20 samples p99 is
 * the maximum).
 */
public final class Stats {
    private Stats() {}

    /** The median (the mean of the middle two for an even count); NaN when empty. */
    public static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] v = sorted(values);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** Nearest-rank percentile {@code p} (0-100); NaN when empty. */
    public static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] v = sorted(values);
        return v[rank(v.length, p / 100.0)];
    }

    /** Nearest-rank quantile {@code q} (0-1) of {@code sorted}, which must be sorted ascending and not empty. */
    public static long quantile(long[] sorted, double q) {
        return sorted[rank(sorted.length, q)];
    }

    public static double min(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    public static double max(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    /** The index of the nearest-rank {@code q} quantile among {@code n} sorted samples. */
    private static int rank(int n, double q) {
        return Math.max(0, Math.min(n - 1, (int) Math.ceil(q * n) - 1));
    }

    private static double[] sorted(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(v);
        return v;
    }
}
