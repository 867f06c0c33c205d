package dev.sprout.storage.internal;

import dev.sprout.storage.error.InvalidArgumentException;
import dev.sprout.storage.gc.Lease;
import dev.sprout.storage.timeline.TimelineId;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** LSN leases, in memory. Thread-safe. Expired leases are ignored and dropped lazily. */
public final class Leases {
    /** A lease longer than this is refused: a forgotten reader must not pin history forever. */
    public static final Duration MAX_TTL = Duration.ofDays(1);

    private final InstantSource clock;
    private final Map<Long, Lease> leases = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();

    public Leases(InstantSource clock) {
        this.clock = clock;
    }

    Lease grant(TimelineId timeline, long lsn, Duration ttl) {
        Lease lease =
                new Lease(ids.incrementAndGet(), timeline, lsn, clock.instant().plus(checkTtl(ttl)));
        leases.put(lease.id(), lease);
        return lease;
    }

    public Lease renew(long id, Duration ttl) {
        Lease current = leases.get(id);
        Instant now = clock.instant();
        if (current == null || !current.expiresAt().isAfter(now)) {
            leases.remove(id);
            throw new InvalidArgumentException("lease " + id + " does not exist or has expired; take a new one");
        }
        Lease renewed = new Lease(id, current.timeline(), current.lsn(), now.plus(checkTtl(ttl)));
        leases.put(id, renewed);
        return renewed;
    }

    public void release(long id) {
        leases.remove(id);
    }

    /** The lowest LSN that a live lease on {@code timeline} holds. */
    OptionalLong minLive(TimelineId timeline) {
        Instant now = clock.instant();
        leases.values().removeIf(l -> !l.expiresAt().isAfter(now));
        return leases.values().stream()
                .filter(l -> l.timeline().equals(timeline))
                .mapToLong(Lease::lsn)
                .min();
    }

    void dropTimeline(TimelineId timeline) {
        leases.values().removeIf(l -> l.timeline().equals(timeline));
    }

    private static Duration checkTtl(Duration ttl) {
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
            throw new InvalidArgumentException(
                    "lease duration " + ttl + " is out of range (expected: > 0 and <= " + MAX_TTL + ")");
        }
        return ttl;
    }
}
