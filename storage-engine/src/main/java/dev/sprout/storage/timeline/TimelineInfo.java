package dev.sprout.storage.timeline;

import java.time.Instant;
import java.util.Optional;

/**
 * What the store knows of one timeline, read at one moment.
 *
 * @param id              the timeline
 * @param parent          the timeline it branched from; empty for a root
 * @param branchLsn       the parent's LSN this timeline starts from (for a root: the LSN of its creation)
 * @param createdAt       wall-clock time of creation
 * @param lastLsn         the LSN of the newest commit on this timeline (its branch LSN until it commits)
 * @param gcHorizon       versions at or below this LSN may have been collected, except the newest of each key
 * @param logicalBytes    the total size of the timeline's files at its last LSN (what a full copy would hold)
 * @param ownPageVersions page versions (including truncation markers) stored on this timeline itself
 * @param ownPageBytes    bytes of page images stored on this timeline itself, before compression
 * @param physicalBytes   RocksDB's estimate of the bytes this timeline's own keys occupy (files and memtables)
 */
public record TimelineInfo(
        TimelineId id,
        Optional<TimelineId> parent,
        long branchLsn,
        Instant createdAt,
        long lastLsn,
        long gcHorizon,
        long logicalBytes,
        long ownPageVersions,
        long ownPageBytes,
        long physicalBytes) {

    /** The lowest LSN a read on this timeline may ask for. */
    public long minReadableLsn() {
        return Math.max(branchLsn, gcHorizon);
    }
}
