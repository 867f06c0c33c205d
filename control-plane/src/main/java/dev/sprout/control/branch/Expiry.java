package dev.sprout.control.branch;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * When the control plane deletes a branch by itself: never, at a fixed time ({@code --expires-at}), or at a time
 * that a renew (and a reset) moves to "now plus a duration": a TTL ({@code --ttl 3d}) or a lease ({@code --lease
 * 10m}, the same rule, meant to be short and renewed by a CI job while it works, so that a job that dies leaves
 * nothing behind).
 */
public sealed interface Expiry {
    /** Lives until deleted. */
    record Never() implements Expiry {}

    /** Deleted at {@code at}; a renew needs a new TTL. */
    record At(Instant at) implements Expiry {}

    /** Deleted at {@code at}; a renew or a reset moves {@code at} to now + {@code ttl}. */
    record Ttl(Duration ttl, Instant at) implements Expiry {
        public Ttl {
            requirePositive(ttl);
        }
    }

    /** As {@link Ttl}, named for what it is for: a branch that lives while its owner renews it. */
    record Lease(Duration lease, Instant at) implements Expiry {
        public Lease {
            requirePositive(lease);
        }
    }

    /** When the branch is deleted; empty: never. */
    default Optional<Instant> deadline() {
        return switch (this) {
            case Never _ -> Optional.empty();
            case At(Instant at) -> Optional.of(at);
            case Ttl(Duration _, Instant at) -> Optional.of(at);
            case Lease(Duration _, Instant at) -> Optional.of(at);
        };
    }

    /** How far a renew moves the deadline from now; empty when a renew needs a duration given. */
    default Optional<Duration> renewBy() {
        return switch (this) {
            case Never _, At _ -> Optional.empty();
            case Ttl(Duration ttl, Instant _) -> Optional.of(ttl);
            case Lease(Duration lease, Instant _) -> Optional.of(lease);
        };
    }

    /** The same policy renewed at {@code now}: a TTL's or a lease's deadline moves; the others stay as they are. */
    default Expiry renewedAt(Instant now) {
        return switch (this) {
            case Never n -> n;
            case At a -> a;
            case Ttl(Duration ttl, Instant _) -> new Ttl(ttl, now.plus(ttl));
            case Lease(Duration lease, Instant _) -> new Lease(lease, now.plus(lease));
        };
    }

    /** Whether the deadline is at or before {@code now}. */
    default boolean expiredAt(Instant now) {
        return deadline().filter(d -> !d.isAfter(now)).isPresent();
    }

    /** The API's name of the policy: "ttl", "lease", "fixed", or "" for never. */
    default String kind() {
        return switch (this) {
            case Never _ -> "";
            case At _ -> "fixed";
            case Ttl _ -> "ttl";
            case Lease _ -> "lease";
        };
    }

    private static void requirePositive(Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("a branch's lifetime must be positive, not " + d);
        }
    }
}
