package dev.sprout.storage.gc;

import dev.sprout.storage.timeline.TimelineId;
import java.time.Instant;

/**
 * A reader's promise from the store: until {@code expiresAt}, GC keeps every version that a read of
 * {@code timeline} at {@code lsn} needs. Leases live in memory: after a restart, readers lease again.
 */
public record Lease(long id, TimelineId timeline, long lsn, Instant expiresAt) {}
