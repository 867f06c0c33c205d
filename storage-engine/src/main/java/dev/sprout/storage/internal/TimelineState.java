package dev.sprout.storage.internal;

import dev.sprout.storage.timeline.TimelineId;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The engine's in-memory view of one timeline, mirrored by its record in the meta column family.
 *
 * <p>Concurrency: the immutable fields are safe everywhere. The mutable ones change only under the writer's
 * lock, together with the RocksDB write that persists them; readers see them through volatile reads.
 * {@link #files} only grows while the timeline lives, and an id is added after the keys it guards are written.
 */
public final class TimelineState {
    private static final byte FORMAT = 1;
    private static final int RECORD_BYTES = 1 + 1 + 16 + 8 * 7;

    final TimelineId id;
    final Optional<TimelineId> parentId;
    final long branchLsn;
    final long createdAtMicros;
    /** Set once at open or creation, never changed: a parent outlives its children. */
    volatile TimelineState parent;

    volatile long lastLsn;
    volatile long gcHorizon;
    volatile long pageVersions;
    volatile long pageBytes;

    /** Every file id that has keys (pages, attributes or entries as a directory) on this timeline itself. */
    final Set<Long> files = ConcurrentHashMap.newKeySet();

    TimelineState(TimelineId id, Optional<TimelineId> parentId, long branchLsn, long createdAtMicros,
            long lastLsn, long gcHorizon, long pageVersions, long pageBytes) {
        this.id = id;
        this.parentId = parentId;
        this.branchLsn = branchLsn;
        this.createdAtMicros = createdAtMicros;
        this.lastLsn = lastLsn;
        this.gcHorizon = gcHorizon;
        this.pageVersions = pageVersions;
        this.pageBytes = pageBytes;
    }

    long minReadableLsn() {
        return Math.max(branchLsn, gcHorizon);
    }

    /** The record as it would be with the given counters, for a write that changes them atomically. */
    byte[] encode(long newLastLsn, long newHorizon, long newPageVersions, long newPageBytes) {
        byte[] v = new byte[RECORD_BYTES];
        v[0] = FORMAT;
        v[1] = (byte) (parentId.isPresent() ? 1 : 0);
        parentId.ifPresent(p -> Keys.putTimeline(v, 2, p));
        Keys.putLong(v, 18, branchLsn);
        Keys.putLong(v, 26, createdAtMicros);
        Keys.putLong(v, 34, newLastLsn);
        Keys.putLong(v, 42, newHorizon);
        Keys.putLong(v, 50, newPageVersions);
        Keys.putLong(v, 58, newPageBytes);
        return v;
    }

    byte[] encode() {
        return encode(lastLsn, gcHorizon, pageVersions, pageBytes);
    }

    static TimelineState decode(TimelineId id, byte[] v) {
        if (v.length != RECORD_BYTES || v[0] != FORMAT) {
            throw new IllegalStateException("timeline record of " + id + " has an unknown format (length "
                    + v.length + ", version " + (v.length > 0 ? v[0] : -1) + ")");
        }
        Optional<TimelineId> parent = v[1] == 1 ? Optional.of(Keys.timelineAt(v, 2)) : Optional.empty();
        return new TimelineState(id, parent, Keys.getLong(v, 18), Keys.getLong(v, 26), Keys.getLong(v, 34),
                Keys.getLong(v, 42), Keys.getLong(v, 50), Keys.getLong(v, 58));
    }
}
