package dev.sprout.control;

import dev.sprout.compute.load.PhysicalImport;
import dev.sprout.compute.postgres.WalReader;
import dev.sprout.protocol.WalLsn;
import dev.sprout.protocol.v1.Code;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.error.ErrorCode;
import dev.sprout.storage.error.StorageException;
import dev.sprout.storage.namespace.DirEntry;
import dev.sprout.storage.page.PageRead;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.storage.timeline.TimelineInfo;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Maps a PostgreSQL WAL position on a branch to a Sprout LSN: the first commit of the branch's timeline at which the
 * store held PostgreSQL's WAL durably through that position ({@link WalReader#durableThrough}). Every WAL fsync of a
 * compute is a commit of the store, so that commit is exactly the one that made the position durable: a branch made
 * there has every transaction whose commit record ends at or before the position, and nothing PostgreSQL wrote after
 * that fsync.
 *
 * <p>How: the WAL files as the store holds them at an LSN are read back (a few pages per look), and the commit is
 * found by bisection between the timeline's first readable LSN and its head. When the position's segment is no longer
 * at the head (PostgreSQL recycled it after a checkpoint), the search first steps back from the head, doubling the
 * step, to a commit where it still was.
 *
 * <p>Reads the store only; thread-safe as the store is.
 */
final class WalPoints {
    private static final String PG_WAL = PhysicalImport.DATA_ROOT + "/pg_wal";
    /** Steps back from the head, doubling: 2^40 commits covers any store. */
    private static final int MAX_STEPS = 40;

    private final PageStore store;

    WalPoints(PageStore store) {
        this.store = store;
    }

    /**
     * The first LSN of {@code timeline} (branch {@code branch}, for sentences) at which its WAL was durable through
     * {@code wal}.
     *
     * @throws ControlException {@link Code#INVALID_ARGUMENT} when the position is past the branch's durable WAL, was
     *     already durable when the branch started (it is in the parent's history), or its WAL is no longer anywhere
     *     in the branch's history; {@link Code#LSN_OUT_OF_RANGE} when only history below the GC horizon could hold it
     */
    long lsnOf(String branch, TimelineId timeline, WalLsn wal) {
        TimelineInfo t = store.timeline(timeline);
        long lo = t.minReadableLsn();
        long hi = t.lastLsn();
        long segmentSize = segmentSize(timeline, hi)
                .orElseThrow(() -> new ControlException(
                        Code.INVALID_ARGUMENT,
                        "branch \"" + branch + "\" has no PostgreSQL WAL at its head to find " + wal + " in"));
        long found = hi;
        if (!durable(timeline, found, segmentSize, wal)) {
            // not there yet, or recycled since: step back to a commit where it was
            boolean seen = false;
            long step = 1;
            for (int i = 0; i < MAX_STEPS && found > lo; i++, step *= 2) {
                found = Math.max(lo, hi - step);
                if (durable(timeline, found, segmentSize, wal)) {
                    seen = true;
                    break;
                }
            }
            if (!seen) {
                throw new ControlException(
                        Code.INVALID_ARGUMENT,
                        "PostgreSQL WAL position " + wal + " is not in branch \"" + branch + "\"'s history: it is past"
                                + " the WAL its compute has made durable, or older than the WAL it still keeps (then"
                                + " name the point by its time)");
            }
        }
        if (found == lo || durable(timeline, lo, segmentSize, wal)) {
            if (lo > t.branchLsn()) {
                throw new ControlException(
                        Code.LSN_OUT_OF_RANGE,
                        "PostgreSQL WAL position " + wal + " of branch \"" + branch + "\" was made durable at or below"
                                + " its GC horizon (LSN " + t.gcHorizon() + "): history before it was collected");
            }
            if (t.parent().isPresent()) {
                throw new ControlException(
                        Code.INVALID_ARGUMENT,
                        "PostgreSQL WAL position " + wal + " was durable before branch \"" + branch + "\" started (LSN "
                                + t.branchLsn() + "): it is in the history of the branch it was made from");
            }
            return lo;
        }
        // durable at found, not at lo: the first durable commit lies in (lo, found]
        long low = lo;
        long high = found;
        while (high - low > 1) {
            long mid = low + (high - low) / 2;
            if (durable(timeline, mid, segmentSize, wal)) {
                high = mid;
            } else {
                low = mid;
            }
        }
        return high;
    }

    private boolean durable(TimelineId timeline, long lsn, long segmentSize, WalLsn wal) {
        Map<Long, Long> files = segments(timeline, lsn, segmentSize);
        return WalReader.durableThrough(
                (segno, block) ->
                        Optional.ofNullable(files.get(segno)).flatMap(fileId -> page(timeline, lsn, fileId, block)),
                segmentSize,
                wal.value());
    }

    /** Segment number → file id of {@code pg_wal} at {@code lsn} (the newest PostgreSQL timeline of each). */
    private Map<Long, Long> segments(TimelineId timeline, long lsn, long segmentSize) {
        Map<Long, Long> files = new HashMap<>();
        Map<Long, String> names = new HashMap<>();
        for (DirEntry e : walFiles(timeline, lsn)) {
            Optional<Long> segno = WalReader.segmentNumber(e.name(), segmentSize);
            if (segno.isPresent() && e.name().compareTo(names.getOrDefault(segno.get(), "")) > 0) {
                names.put(segno.get(), e.name());
                files.put(segno.get(), e.fileId());
            }
        }
        return files;
    }

    /** The size of the WAL segment files at {@code lsn} (PostgreSQL makes each whole when it creates it). */
    private Optional<Long> segmentSize(TimelineId timeline, long lsn) {
        for (DirEntry e : walFiles(timeline, lsn)) {
            if (WalReader.segmentNumber(e.name(), 16L << 20).isPresent()) {
                long size = ControlPlane.storage(() -> store.getAttr(timeline, lsn, e.fileId()))
                        .size();
                if (size >= WalReader.PAGE && Long.bitCount(size) == 1) {
                    return Optional.of(size);
                }
            }
        }
        return Optional.empty();
    }

    /** What {@code pg_wal} holds at {@code lsn}; nothing before PostgreSQL made it. */
    private java.util.List<DirEntry> walFiles(TimelineId timeline, long lsn) {
        try {
            return ControlPlane.storage(() -> store.readdir(timeline, lsn, PG_WAL));
        } catch (StorageException e) {
            if (e.code() == ErrorCode.NO_SUCH_FILE) {
                return java.util.List.of();
            }
            throw e;
        }
    }

    private Optional<byte[]> page(TimelineId timeline, long lsn, long fileId, int block) {
        return switch (ControlPlane.storage(() -> store.readPage(timeline, lsn, fileId, block))) {
            case PageRead.Found(byte[] bytes, long _) -> Optional.of(bytes);
            case PageRead.Absent _ -> Optional.empty();
        };
    }
}
