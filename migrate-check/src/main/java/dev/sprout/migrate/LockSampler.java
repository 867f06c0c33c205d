package dev.sprout.migrate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Watches another backend's relation locks from a connection of its own, every few milliseconds, while one statement
 * runs there outside a transaction block ({@code VACUUM FULL}, {@code CREATE INDEX CONCURRENTLY}): such a statement
 * releases its locks before it returns, so they cannot be read afterwards from its own session. What is seen is
 * sampled: a lock held for less than the interval may be missed, and a hold is measured from the first sample that
 * saw it to the last.
 */
final class LockSampler implements AutoCloseable {
    static final long INTERVAL_MILLIS = 2;

    private final Thread thread;
    private final Map<String, long[]> seen = new LinkedHashMap<>(); // oid:mode -> {first nanos, last nanos}
    private final Map<String, Catalog.Held> held = new LinkedHashMap<>();
    private volatile boolean stop;

    LockSampler(Connection monitor, int pid) {
        thread = Thread.ofPlatform().name("sprout-lock-sampler").daemon().start(() -> sample(monitor, pid));
    }

    private void sample(Connection monitor, int pid) {
        try (PreparedStatement ps = monitor.prepareStatement("SELECT relation::bigint, relation::regclass::text, mode"
                + " FROM pg_locks WHERE pid = ? AND locktype = 'relation' AND granted AND relation >= "
                + Catalog.FIRST_NORMAL_OID)) {
            ps.setInt(1, pid);
            while (!stop) {
                long now = System.nanoTime();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Catalog.Held h = new Catalog.Held(rs.getLong(1), rs.getString(2), rs.getString(3));
                        String key = h.relation() + ":" + h.mode();
                        synchronized (this) {
                            seen.computeIfAbsent(key, k -> new long[] {now, now})[1] = now;
                            held.putIfAbsent(key, h);
                        }
                    }
                }
                Thread.sleep(INTERVAL_MILLIS);
            }
        } catch (SQLException | InterruptedException e) {
            // the sampling ends; what was seen stays
        }
    }

    /** Stops sampling and returns what was seen: lock to {first seen, last seen} in nanos. */
    synchronized Map<Catalog.Held, long[]> stop() {
        stop = true;
        return Map.copyOf(held.entrySet().stream()
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getValue, e -> seen.get(e.getKey()))));
    }

    @Override
    public void close() {
        stop = true;
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
