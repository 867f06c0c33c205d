package dev.sprout.storage.internal;

import dev.sprout.storage.timeline.TimelineId;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The engine's in-memory view of one timeline, mirrored by its record in the meta column family.
 *
 * <p>Concurrency: the immutable fields are safe everywhere. {@link #progress} changes only under the writer's
 * lock, after the RocksDB write that persists it; readers see one consistent snapshot through a volatile read.
 * {@link #files} only grows while the timeline lives, and an id is added after the keys it guards are written.
 */
public final class TimelineState {
    private static final byte FORMAT = 1;
    private static final int RECORD_BYTES = 1 + 1 + 16 + 8 * 7;

    /** What changes as a timeline lives; immutable, replaced as a whole. */
    record Progress(long lastLsn, long gcHorizon, long pageVersions, long pageBytes, long logicalBytes) {
        Progress committed(long lsn, long moreVersions, long moreBytes, long logicalDelta) {
            return new Progress(
                    lsn, gcHorizon, pageVersions + moreVersions, pageBytes + moreBytes, logicalBytes + logicalDelta);
        }

        Progress withHorizon(long horizon) {
            return new Progress(lastLsn, horizon, pageVersions, pageBytes, logicalBytes);
        }

        Progress collected(long versions, long bytes) {
            return new Progress(lastLsn, gcHorizon, pageVersions - versions, pageBytes - bytes, logicalBytes);
        }
    }

    final TimelineId id;
    final Optional<TimelineId> parentId;
    final long branchLsn;
    final long createdAtMicros;
    /** Set once at open or creation, never changed: a parent outlives its children. */
    volatile TimelineState parent;

    volatile Progress progress;

    /**
     * Every file id that has keys (pages, attributes or entries as a directory) on this timeline itself, with
     * the LSN of the first of them: a read at a lower LSN has nothing to find here. (GC may remove that first
     * version; the recorded LSN then only errs low, which costs a lookup, never a wrong answer.)
     */
    final Map<Long, Long> files = new ConcurrentHashMap<>();

    /** True when this timeline itself may hold a key of {@code file} at or below {@code lsn}. */
    boolean mayHold(long file, long lsn) {
        Long first = files.get(file);
        return first != null && first <= lsn;
    }

    TimelineState(
            TimelineId id, Optional<TimelineId> parentId, long branchLsn, long createdAtMicros, Progress progress) {
        this.id = id;
        this.parentId = parentId;
        this.branchLsn = branchLsn;
        this.createdAtMicros = createdAtMicros;
        this.progress = progress;
    }

    long lastLsn() {
        return progress.lastLsn();
    }

    long gcHorizon() {
        return progress.gcHorizon();
    }

    /** The record as it is with {@code p}, for a write that persists {@code p}. */
    byte[] encode(Progress p) {
        byte[] v = new byte[RECORD_BYTES];
        v[0] = FORMAT;
        v[1] = (byte) (parentId.isPresent() ? 1 : 0);
        parentId.ifPresent(pid -> Keys.putTimeline(v, 2, pid));
        Keys.putLong(v, 18, branchLsn);
        Keys.putLong(v, 26, createdAtMicros);
        Keys.putLong(v, 34, p.lastLsn());
        Keys.putLong(v, 42, p.gcHorizon());
        Keys.putLong(v, 50, p.pageVersions());
        Keys.putLong(v, 58, p.pageBytes());
        Keys.putLong(v, 66, p.logicalBytes());
        return v;
    }

    static TimelineState decode(TimelineId id, byte[] v) {
        if (v.length != RECORD_BYTES || v[0] != FORMAT) {
            throw new IllegalStateException("timeline record of " + id + " has an unknown format (length " + v.length
                    + ", version " + (v.length > 0 ? v[0] : -1) + ")");
        }
        Optional<TimelineId> parent = v[1] == 1 ? Optional.of(Keys.timelineAt(v, 2)) : Optional.empty();
        return new TimelineState(
                id,
                parent,
                Keys.getLong(v, 18),
                Keys.getLong(v, 26),
                new Progress(
                        Keys.getLong(v, 34),
                        Keys.getLong(v, 42),
                        Keys.getLong(v, 50),
                        Keys.getLong(v, 58),
                        Keys.getLong(v, 66)));
    }
}
