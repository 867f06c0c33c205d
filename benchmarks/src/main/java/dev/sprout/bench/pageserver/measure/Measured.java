package dev.sprout.bench.pageserver.measure;

import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * What one timed measurement saw: the latency of each operation, how many operations and units (pages,
 * commits) completed inside the window, the window's length, and the change of the probe's counters over it.
 */
public record Measured(Latency latency, long operations, long units, double seconds, Map<String, Long> counters) {

    /** Units (pages, commits) per second of the measured window. */
    public double unitsPerSecond() {
        return units / seconds;
    }

    public double operationsPerSecond() {
        return operations / seconds;
    }

    public OptionalLong counter(String name) {
        Long v = counters.get(name);
        return v == null ? OptionalLong.empty() : OptionalLong.of(v);
    }

    static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> d = new HashMap<>();
        after.forEach((k, v) -> {
            Long b = before.get(k);
            if (b != null) {
                d.put(k, v - b);
            }
        });
        return Map.copyOf(d);
    }
}
