package dev.sprout.bench.pageserver.measure;

import java.util.Arrays;

/**
 * Latencies in nanoseconds ({@code System.nanoTime()} deltas), kept as a growing {@code long[]} so that
 * percentiles are exact (HdrHistogram is not a dependency of the build).
 *
 * <p>Not thread-safe: one recorder per thread or per chain of operations, merged with {@link #addAll} once
 * their writers have finished (after a happens-before edge such as a latch).
 */
public final class Recorder {
    private long[] values = new long[1 << 12];
    private int size;

    public void add(long nanos) {
        if (size == values.length) {
            values = Arrays.copyOf(values, values.length * 2);
        }
        values[size++] = nanos;
    }

    public void addAll(Recorder other) {
        if (size + other.size > values.length) {
            values = Arrays.copyOf(values, Math.max(values.length * 2, size + other.size));
        }
        System.arraycopy(other.values, 0, values, size, other.size);
        size += other.size;
    }

    public int size() {
        return size;
    }

    /** Sorts a copy and summarises it. */
    public Latency summary() {
        long[] sorted = Arrays.copyOf(values, size);
        Arrays.sort(sorted);
        return Latency.of(sorted);
    }
}
