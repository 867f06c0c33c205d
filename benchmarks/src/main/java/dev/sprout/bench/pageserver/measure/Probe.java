package dev.sprout.bench.pageserver.measure;

import java.util.Map;

/**
 * Counters read at the start and at the end of a measured window (WAL syncs, bytes read from the disk, cache
 * hits); a {@link Measured} carries their differences. Called on the measuring thread, never on an I/O thread.
 */
@FunctionalInterface
public interface Probe {
    Probe NONE = Map::of;

    Map<String, Long> read();

    /** This probe's counters and {@code other}'s (which win on a name clash). */
    default Probe and(Probe other) {
        return () -> {
            Map<String, Long> m = new java.util.HashMap<>(read());
            m.putAll(other.read());
            return m;
        };
    }
}
