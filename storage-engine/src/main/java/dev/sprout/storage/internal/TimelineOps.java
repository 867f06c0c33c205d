package dev.sprout.storage.internal;

import dev.sprout.storage.error.LsnOutOfRangeException;
import dev.sprout.storage.error.StorageIoException;
import dev.sprout.storage.error.TimelineExistsException;
import dev.sprout.storage.error.TimelineHasChildrenException;
import dev.sprout.storage.namespace.FileAttr;
import dev.sprout.storage.namespace.FileType;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.storage.timeline.TimelineInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.CompactRangeOptions;
import org.rocksdb.Range;
import org.rocksdb.RocksDBException;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creating, branching, describing and deleting timelines. A branch is one synced timeline record: no page is
 * read, copied or rewritten, so its cost does not depend on the size of the parent.
 */
public final class TimelineOps {
    /** {@link #branch}'s "no other records in the write", recognised by identity. */
    @SuppressWarnings("UnnecessaryLambda")
    private static final BiConsumer<TimelineInfo, WriteBatch> NOTHING_ELSE = (info, wb) -> {};

    private static final Logger log = LoggerFactory.getLogger(TimelineOps.class);
    private final RocksHandles rocks;
    private final Registry registry;
    private final Writer writer;
    private final TimeIndex timeIndex;
    private final Leases leases;
    private final BlockMaps blockMaps;
    /** Compacts deleted timelines' ranges after {@link #delete} returned, one at a time. */
    private final ExecutorService compactions = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("sprout-compact-deleted").daemon().factory());
    /** The compactions' options: {@link #close} cancels the one under way through them. */
    private final CompactRangeOptions compactOptions = new CompactRangeOptions();

    TimelineOps(
            RocksHandles rocks,
            Registry registry,
            Writer writer,
            TimeIndex timeIndex,
            Leases leases,
            BlockMaps blockMaps) {
        this.rocks = rocks;
        this.registry = registry;
        this.writer = writer;
        this.timeIndex = timeIndex;
        this.leases = leases;
        this.blockMaps = blockMaps;
    }

    /**
     * Creates a root timeline holding an empty root directory (mode 0700, owned by uid/gid), at a new LSN.
     * Idempotent: a root with this id returns its current description.
     */
    public TimelineInfo createRoot(TimelineId id, int uid, int gid) {
        Optional<TimelineInfo> existing =
                writer.exclusive(() -> registry.find(id).map(t -> {
                    if (t.parentId.isPresent()) {
                        throw new TimelineExistsException(
                                "timeline " + id + " already exists as a branch of " + t.parentId.get());
                    }
                    return info(t);
                }));
        if (existing.isPresent()) {
            return existing.get();
        }
        TimelineState created;
        try {
            created = writer.write(txn -> {
                if (registry.find(id).isPresent()) {
                    throw new TimelineExistsException("timeline " + id + " was created concurrently");
                }
                TimelineState t = new TimelineState(
                        id, Optional.empty(), txn.lsn, txn.timeMicros, new TimelineState.Progress(txn.lsn, 0, 0, 0, 0));
                FileAttr root = new FileAttr(
                        NamespaceOps.ROOT_DIR, FileType.DIRECTORY, 0, 0700, uid, gid, txn.timeMicros, txn.lsn);
                txn.put(rocks.attrs, Keys.attr(id, NamespaceOps.ROOT_DIR, txn.lsn), Values.attr(root));
                txn.put(rocks.meta, Keys.metaLogicalSize(id, txn.lsn), Writer.longBytes(0));
                txn.touch(t, NamespaceOps.ROOT_DIR);
                txn.changes(t);
                txn.afterCommit(() -> registry.add(t));
                return t;
            });
        } catch (TimelineExistsException raced) {
            return createRoot(id, uid, gid); // another caller created it first: answer as for a retry
        }
        return info(created);
    }

    /**
     * Creates timeline {@code id} as a branch of {@code parentId} at {@code lsn}. Idempotent on
     * (id, parent, LSN); the same id with another parent or LSN is refused.
     */
    public TimelineInfo branch(TimelineId id, TimelineId parentId, long lsn) {
        return branch(id, parentId, lsn, NOTHING_ELSE);
    }

    /**
     * As {@link #branch(TimelineId, TimelineId, long)}, and {@code alsoWrite} adds records to the same synced,
     * atomic write, given the new timeline as it will be: a restart finds both or neither. Not called when the
     * timeline already exists as asked (a retry).
     */
    public TimelineInfo branch(
            TimelineId id, TimelineId parentId, long lsn, BiConsumer<TimelineInfo, WriteBatch> alsoWrite) {
        return writer.exclusive(() -> {
            TimelineState parent = registry.require(parentId);
            Optional<TimelineState> existing = registry.find(id);
            if (existing.isPresent()) {
                TimelineState t = existing.get();
                if (t.parent == parent && t.branchLsn == lsn) {
                    return info(t);
                }
                throw new TimelineExistsException("timeline " + id + " already exists with parent "
                        + t.parentId.map(TimelineId::toString).orElse("(none: it is a root)") + " at LSN " + t.branchLsn
                        + " (asked: parent " + parentId + " at LSN " + lsn + ")");
            }
            checkBranchPoint(parent, lsn);
            long logical = logicalSizeAt(parent, lsn);
            TimelineState t = new TimelineState(
                    id,
                    Optional.of(parentId),
                    lsn,
                    writer.nowMicros(),
                    new TimelineState.Progress(lsn, 0, 0, 0, logical));
            t.parent = parent;
            writer.writeDurably(wb -> {
                put(wb, rocks.meta, Keys.metaTimeline(id), t.encode(t.progress));
                put(wb, rocks.meta, Keys.metaLogicalSize(id, lsn), Writer.longBytes(logical));
                if (!isNothingElse(alsoWrite)) {
                    alsoWrite.accept(info(t), wb);
                }
            });
            registry.add(t);
            return info(t);
        });
    }

    /** Branches at the state {@code parentId} had at wall-clock time {@code time} (exact, by the commit-time index). */
    public TimelineInfo branchAt(TimelineId id, TimelineId parentId, Instant time) {
        return branch(id, parentId, lsnAt(parentId, time));
    }

    /** The LSN that holds {@code timeline}'s state as of {@code time}: its newest commit at or before then. */
    public long lsnAt(TimelineId timeline, Instant time) {
        TimelineState t = registry.require(timeline);
        long micros = Writer.toMicros(time);
        if (micros > writer.nowMicros()) {
            throw new LsnOutOfRangeException("time " + time + " is in the future (now: "
                    + Instant.EPOCH.plusNanos(writer.nowMicros() * 1000) + ")");
        }
        if (micros < t.createdAtMicros) {
            throw new LsnOutOfRangeException("time " + time + " is before timeline " + timeline + " was created ("
                    + Instant.EPOCH.plusNanos(t.createdAtMicros * 1000) + ")");
        }
        long lsn = Math.max(
                t.branchLsn, Math.min(t.lastLsn(), timeIndex.lsnAt(micros).orElse(0)));
        if (lsn < t.gcHorizon()) {
            throw new LsnOutOfRangeException("time " + time + " (LSN " + lsn + ") is below the GC horizon of timeline "
                    + timeline + " (LSN " + t.gcHorizon() + "): history before it has been collected");
        }
        return lsn;
    }

    /** Wall-clock time of the newest commit at or below {@code lsn}. */
    public OptionalLong timeOf(long lsn) {
        return timeIndex.timeOf(lsn);
    }

    /** The total size of the timeline's files at {@code lsn}: every timeline has an entry at its start. */
    private long logicalSizeAt(TimelineState t, long lsn) {
        byte[] prefix = Keys.metaLogicalSizePrefix(t.id);
        try (org.rocksdb.RocksIterator it = rocks.db.newIterator(rocks.meta, rocks.plainRead)) {
            it.seekForPrev(Keys.metaLogicalSize(t.id, lsn));
            VersionedReader.check(it);
            if (!it.isValid() || !Keys.startsWith(it.key(), prefix)) {
                throw new IllegalStateException("timeline " + t.id + " has no logical size at or below LSN " + lsn);
            }
            return Keys.getLong(it.value(), 0);
        }
    }

    private static void checkBranchPoint(TimelineState parent, long lsn) {
        if (lsn > parent.lastLsn()) {
            throw new LsnOutOfRangeException("LSN " + lsn + " is beyond the head of timeline " + parent.id
                    + " (last LSN " + parent.lastLsn() + ")");
        }
        if (lsn < parent.branchLsn) {
            throw new LsnOutOfRangeException(
                    "LSN " + lsn + " is before timeline " + parent.id + " begins (LSN " + parent.branchLsn + ")");
        }
        if (lsn < parent.gcHorizon()) {
            throw new LsnOutOfRangeException("LSN " + lsn + " is below the GC horizon of timeline " + parent.id
                    + " (LSN " + parent.gcHorizon() + "): history before it has been collected");
        }
    }

    /**
     * Deletes a timeline and, in the same atomic write, every key it owns (RocksDB range deletions); those ranges
     * are compacted in the background right after (see {@link #compactDeleted}: seconds for a timeline that wrote a
     * few hundred MB, which the caller does not wait for). Refused while children read through it.
     */
    public void delete(TimelineId id) {
        writer.exclusive(() -> {
            TimelineState t = registry.require(id);
            List<TimelineState> children = registry.children(t);
            if (!children.isEmpty()) {
                throw new TimelineHasChildrenException(
                        "timeline " + id + " has " + children.size() + " child timeline(s) that read through it, e.g. "
                                + children.getFirst().id + "; delete them first");
            }
            byte[] prefix = Keys.timelinePrefix(id);
            byte[] filePrefix = Keys.metaFilePrefix(id);
            writer.writeDurably(wb -> {
                for (ColumnFamilyHandle cf : rocks.dataFamilies()) {
                    deleteRange(wb, cf, prefix, Keys.rangeEnd(prefix));
                }
                deleteRange(wb, rocks.meta, filePrefix, Keys.rangeEnd(filePrefix));
                byte[] sizePrefix = Keys.metaLogicalSizePrefix(id);
                deleteRange(wb, rocks.meta, sizePrefix, Keys.rangeEnd(sizePrefix));
                byte[] changePrefix = Keys.metaChangePrefix(id);
                deleteRange(wb, rocks.meta, changePrefix, Keys.rangeEnd(changePrefix));
                try {
                    wb.delete(rocks.meta, Keys.metaTimeline(id));
                    wb.delete(rocks.meta, Keys.metaWriter(id));
                } catch (RocksDBException e) {
                    throw new IllegalStateException(e);
                }
                put(wb, rocks.meta, Keys.metaReclaim(id), new byte[0]);
            });
            registry.remove(t);
            leases.dropTimeline(id);
            blockMaps.forget(t);
            return null;
        });
        try {
            compactions.execute(() -> compactDeleted(id));
        } catch (RejectedExecutionException e) {
            // closing: the reclaim marker written above leaves the work to the next GC pass
        }
    }

    /** Stops compacting: a compaction under way is cancelled (GC's pass finishes it) and awaited. */
    void close() {
        compactOptions.setCanceled(true);
        compactions.shutdownNow();
        try {
            if (compactions.awaitTermination(30, TimeUnit.SECONDS)) {
                compactOptions.close();
            } else {
                log.warn("a deleted timeline's compaction did not stop within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Compacts a deleted timeline's ranges now, outside the writer lock (writes go on meanwhile), rather than at
     * the next GC pass: until then every namespace lookup of <em>other</em> timelines that lands near the deleted
     * keys pays for them (measured: lookups from 0.1-0.3 ms to 4 ms, initdb through a mount from 3.4 s to 9.5 s,
     * after a few deletions). The reclaim marker stays; GC's pass then finds nothing left and drops it. A failure
     * here only leaves the work to GC.
     */
    private void compactDeleted(TimelineId id) {
        long started = System.nanoTime();
        byte[] prefix = Keys.timelinePrefix(id);
        try {
            for (ColumnFamilyHandle cf : rocks.dataFamilies()) {
                rocks.db.compactRange(cf, prefix, Keys.rangeEnd(prefix), compactOptions);
            }
            log.info("deleted timeline {}'s keys compacted in {} ms", id, (System.nanoTime() - started) / 1_000_000);
        } catch (RocksDBException e) {
            if (compactOptions.canceled()) {
                log.info(
                        "the compaction of deleted timeline {}'s keys stopped with the store; GC's pass will finish it",
                        id);
            } else {
                log.warn(
                        "compacting a deleted timeline's keys failed ({}); the next GC pass will retry",
                        e.getMessage());
            }
        }
    }

    /**
     * Makes the caller the timeline's only writer: bumps its writer generation durably (synced before this
     * returns) and returns the new value. Whoever checks generations refuses writes from older ones.
     */
    public long claimWriter(TimelineId id) {
        return writer.exclusive(() -> {
            registry.require(id);
            long next = readWriterGeneration(id) + 1;
            writer.writeDurably(wb -> put(wb, rocks.meta, Keys.metaWriter(id), Writer.longBytes(next)));
            return next;
        });
    }

    /** The timeline's current writer generation: 0 until the first {@link #claimWriter}. */
    public long writerGeneration(TimelineId id) {
        return writer.exclusive(() -> {
            registry.require(id);
            return readWriterGeneration(id);
        });
    }

    private long readWriterGeneration(TimelineId id) {
        try {
            byte[] value = rocks.db.get(rocks.meta, Keys.metaWriter(id));
            return value == null ? 0 : java.nio.ByteBuffer.wrap(value).getLong();
        } catch (RocksDBException e) {
            throw new StorageIoException(
                    "reading the writer generation of timeline " + id + " failed: " + e.getMessage(), e);
        }
    }

    public TimelineInfo info(TimelineId id) {
        return info(registry.require(id));
    }

    public List<TimelineInfo> list() {
        List<TimelineInfo> out = new ArrayList<>();
        for (TimelineState t : registry.all()) {
            out.add(info(t));
        }
        out.sort(Comparator.comparing(TimelineInfo::createdAt).thenComparing(TimelineInfo::id));
        return out;
    }

    TimelineInfo info(TimelineState t) {
        TimelineState.Progress p = t.progress;
        return new TimelineInfo(
                t.id,
                t.parentId,
                t.branchLsn,
                Instant.EPOCH.plusNanos(t.createdAtMicros * 1000),
                p.lastLsn(),
                p.gcHorizon(),
                p.logicalBytes(),
                p.pageVersions(),
                p.pageBytes(),
                physicalBytes(t.id));
    }

    private long physicalBytes(TimelineId id) {
        byte[] prefix = Keys.timelinePrefix(id);
        long total = 0;
        try (Slice start = new Slice(prefix);
                Slice end = new Slice(Keys.rangeEnd(prefix))) {
            for (ColumnFamilyHandle cf : rocks.dataFamilies()) {
                long[] sizes = rocks.db.getApproximateSizes(
                        cf,
                        List.of(new Range(start, end)),
                        org.rocksdb.SizeApproximationFlag.INCLUDE_FILES,
                        org.rocksdb.SizeApproximationFlag.INCLUDE_MEMTABLES);
                total += sizes[0];
            }
        }
        return total;
    }

    static void put(WriteBatch wb, ColumnFamilyHandle cf, byte[] key, byte[] value) {
        try {
            wb.put(cf, key, value);
        } catch (RocksDBException e) {
            throw new StorageIoException("building a write batch failed: " + e.getMessage(), e);
        }
    }

    private static void deleteRange(WriteBatch wb, ColumnFamilyHandle cf, byte[] from, byte[] to) {
        try {
            wb.deleteRange(cf, from, to);
        } catch (RocksDBException e) {
            throw new StorageIoException("building a write batch failed: " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("ReferenceEquality") // the sentinel is one object; a lambda has no other equality
    private static boolean isNothingElse(BiConsumer<TimelineInfo, WriteBatch> alsoWrite) {
        return alsoWrite == NOTHING_ELSE;
    }
}
