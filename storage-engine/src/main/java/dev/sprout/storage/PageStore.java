package dev.sprout.storage;

import dev.sprout.storage.catalog.Catalog;
import dev.sprout.storage.error.InvalidArgumentException;
import dev.sprout.storage.error.LsnOutOfRangeException;
import dev.sprout.storage.error.NotDirectoryException;
import dev.sprout.storage.error.StorageIoException;
import dev.sprout.storage.error.StoreClosedException;
import dev.sprout.storage.gc.GcReport;
import dev.sprout.storage.gc.Lease;
import dev.sprout.storage.internal.Engine;
import dev.sprout.storage.internal.Keys;
import dev.sprout.storage.internal.PageCommit;
import dev.sprout.storage.internal.TimelineState;
import dev.sprout.storage.namespace.AttrChange;
import dev.sprout.storage.namespace.Created;
import dev.sprout.storage.namespace.DirEntry;
import dev.sprout.storage.namespace.FileAttr;
import dev.sprout.storage.namespace.FileType;
import dev.sprout.storage.namespace.PathName;
import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.page.PageRead;
import dev.sprout.storage.page.PageRef;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.storage.timeline.TimelineInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Supplier;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.CompactRangeOptions;
import org.rocksdb.RocksDBException;

/**
 * Sprout's storage engine: every version of every 8 KiB page of every timeline, and a versioned namespace of
 * files and directories, in one RocksDB. A branch is one timeline record (parent, LSN); reads on it fall
 * through to its ancestors, so creating one copies nothing.
 *
 * <p>Writes happen at a timeline's head and each gets a new, store-wide LSN; a returned LSN is durable
 * (synced, unless {@link StoreOptions#syncCommits()} is off). Reads name an LSN and see exactly the commits
 * at or below it. Every refused call throws a {@link dev.sprout.storage.error.StorageException} whose message
 * names the offending value, and writes nothing.
 *
 * <p>Concurrency: thread-safe. Concurrent page commits share WAL syncs (group commit). {@link #close()} waits
 * for calls in flight and is idempotent; calls after it fail with {@code StoreClosedException}.
 */
public final class PageStore implements AutoCloseable {
    private final StoreOptions options;
    private final Engine engine;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closed;

    private final Catalog catalog;

    private PageStore(StoreOptions options) {
        this.options = options;
        this.engine = new Engine(options);
        this.catalog = new Catalog(
                engine.rocks.db,
                engine.rocks.catalog,
                engine.rocks.commitWrite,
                engine.rocks.unsyncedWrite,
                engine.rocks.scanRead,
                new Catalog.Guard() {
                    @Override
                    public <T> T run(Supplier<T> call) {
                        return guarded(call);
                    }
                });
    }

    /** Durable records of the embedding application, in this store's RocksDB (see {@link Catalog}). */
    public Catalog catalog() {
        return catalog;
    }

    /** Opens (creating when missing) the store in {@code options.directory()}, recovering from its WAL. */
    public static PageStore open(StoreOptions options) {
        return new PageStore(options);
    }

    public StoreOptions options() {
        return options;
    }

    // ---- timelines -------------------------------------------------------------------------------------------

    /** Creates a root timeline with an empty root directory owned by uid/gid; idempotent on the id. */
    public TimelineInfo createRoot(TimelineId id, int uid, int gid) {
        return guarded(() -> engine.timelines.createRoot(id, uid, gid));
    }

    /** Branches {@code parent} at {@code lsn} as timeline {@code id}; idempotent on (id, parent, LSN). */
    public TimelineInfo branch(TimelineId id, TimelineId parent, long lsn) {
        return guarded(() -> engine.timelines.branch(id, parent, lsn));
    }

    /**
     * As {@link #branch(TimelineId, TimelineId, long)}, with the {@link #catalog()} changes that
     * {@code catalogChanges} makes of the new timeline in the same synced, atomic write: one fsync, and a restart
     * finds the timeline and its catalog records together or neither (the control plane names each new timeline
     * so). When the timeline already exists as asked (a retry), the changes are written on their own.
     */
    public TimelineInfo branch(
            TimelineId id,
            TimelineId parent,
            long lsn,
            Function<TimelineInfo, Map<String, Optional<byte[]>>> catalogChanges) {
        boolean[] written = {false};
        TimelineInfo info = guarded(() -> engine.timelines.branch(id, parent, lsn, (planned, wb) -> {
            catalog.addTo(wb, catalogChanges.apply(planned));
            written[0] = true;
        }));
        if (!written[0]) {
            catalog.write(catalogChanges.apply(info));
        }
        return info;
    }

    /** Branches {@code parent} as it was at wall-clock {@code time} (its newest commit at or before then). */
    public TimelineInfo branchAt(TimelineId id, TimelineId parent, Instant time) {
        return guarded(() -> engine.timelines.branchAt(id, parent, time));
    }

    public TimelineInfo timeline(TimelineId id) {
        return guarded(() -> engine.timelines.info(id));
    }

    public List<TimelineInfo> timelines() {
        return guarded(engine.timelines::list);
    }

    /** Deletes a timeline and its own keys; refused while it has children. */
    public void deleteTimeline(TimelineId id) {
        guarded(() -> {
            engine.timelines.delete(id);
            return null;
        });
    }

    /**
     * Makes the caller the timeline's only writer: bumps the timeline's writer generation, synced before this
     * returns, and returns the new value. The store keeps the number; the page service refuses writes that
     * carry an older one (fencing a compute that a newer one replaced).
     */
    public long claimWriter(TimelineId id) {
        return guarded(() -> engine.timelines.claimWriter(id));
    }

    /** The timeline's writer generation: 0 until the first {@link #claimWriter}. */
    public long writerGeneration(TimelineId id) {
        return guarded(() -> engine.timelines.writerGeneration(id));
    }

    /** The newest LSN committed anywhere in the store. */
    public long lastLsn() {
        return guarded(engine.writer::lastLsn);
    }

    /** The LSN that holds {@code timeline}'s state as of {@code time}. */
    public long lsnAt(TimelineId timeline, Instant time) {
        return guarded(() -> engine.timelines.lsnAt(timeline, time));
    }

    /** The commit time of the newest commit at or below {@code lsn}. */
    public Optional<Instant> timeOf(long lsn) {
        return guarded(() -> {
            var micros = engine.timelines.timeOf(lsn);
            return micros.isPresent()
                    ? Optional.of(Instant.EPOCH.plusNanos(micros.getAsLong() * 1000))
                    : Optional.empty();
        });
    }

    // ---- namespace -------------------------------------------------------------------------------------------

    public FileAttr getAttr(TimelineId timeline, long lsn, String path) {
        return guarded(() -> engine.namespace.attr(readable(timeline, lsn), lsn, PathName.parse(path)));
    }

    public FileAttr getAttr(TimelineId timeline, long lsn, long fileId) {
        return guarded(() -> engine.namespace.attr(readable(timeline, lsn), lsn, fileId));
    }

    /** The file id a path names at {@code lsn}. */
    public long lookup(TimelineId timeline, long lsn, String path) {
        return guarded(() -> engine.namespace
                .resolve(readable(timeline, lsn), lsn, PathName.parse(path))
                .fileId());
    }

    /**
     * The blocks that have a version (an image, or a truncation marker) written on {@code timeline} itself at an LSN
     * in ({@code afterLsn}, {@code upToLsn}], by file id. Read from the change log, so it costs the number of those
     * versions, not the size of the files; what the timeline reads through from its ancestors is not there (ask
     * them for their own ranges).
     *
     * @throws LsnOutOfRangeException when the range starts below what the change log holds: before the store
     *     kept one, or below the timeline's GC horizon; or ends past the store's last commit
     */
    public java.util.SortedMap<Long, java.util.SortedSet<Integer>> changedBlocks(
            TimelineId timeline, long afterLsn, long upToLsn) {
        return guarded(() -> {
            long horizon = timeline(timeline).gcHorizon();
            if (upToLsn > engine.writer.lastLsn()) {
                throw new LsnOutOfRangeException(
                        "LSN " + upToLsn + " is beyond the store's last commit (LSN " + engine.writer.lastLsn() + ")");
            }
            if (afterLsn + 1 < engine.changeLogStart) {
                throw new LsnOutOfRangeException("the change log starts at LSN " + engine.changeLogStart
                        + " (when this store first ran a build that keeps one); changes since LSN " + afterLsn
                        + " are not in it");
            }
            if (afterLsn + 1 < horizon) {
                throw new LsnOutOfRangeException("changes since LSN " + afterLsn + " on timeline " + timeline
                        + " are below its GC horizon (LSN " + horizon + "): history before it was collected");
            }
            java.util.SortedMap<Long, java.util.SortedSet<Integer>> out = new java.util.TreeMap<>();
            if (upToLsn <= afterLsn) {
                return out;
            }
            byte[] end = Keys.metaChangeFrom(timeline, upToLsn + 1);
            try (var it = engine.rocks.db.newIterator(engine.rocks.meta, engine.rocks.scanRead)) {
                for (it.seek(Keys.metaChangeFrom(timeline, afterLsn + 1)); it.isValid(); it.next()) {
                    byte[] key = it.key();
                    if (java.util.Arrays.compareUnsigned(key, end) >= 0) {
                        break;
                    }
                    long file = Keys.getLong(key, 25);
                    int block = Keys.getInt(key, 33);
                    out.computeIfAbsent(file, f -> new java.util.TreeSet<>()).add(block);
                }
                try {
                    it.status();
                } catch (RocksDBException e) {
                    throw new StorageIoException("reading the change log failed: " + e.getMessage(), e);
                }
            }
            return out;
        });
    }

    /** The entries of a directory at {@code lsn}, sorted by name. */
    public List<DirEntry> readdir(TimelineId timeline, long lsn, String path) {
        return guarded(() -> {
            TimelineState t = readable(timeline, lsn);
            PathName p = PathName.parse(path);
            var dir = engine.namespace.resolve(t, lsn, p);
            if (dir.type() != FileType.DIRECTORY) {
                throw new NotDirectoryException("\"" + p + "\" is not a directory");
            }
            return engine.reader.entries(t, lsn, dir.fileId());
        });
    }

    public Created create(TimelineId timeline, String path, int mode, int uid, int gid) {
        return guarded(() -> engine.namespace.create(timeline, PathName.parse(path), FileType.REGULAR, mode, uid, gid));
    }

    public Created mkdir(TimelineId timeline, String path, int mode, int uid, int gid) {
        return guarded(
                () -> engine.namespace.create(timeline, PathName.parse(path), FileType.DIRECTORY, mode, uid, gid));
    }

    public long unlink(TimelineId timeline, String path) {
        return guarded(() -> engine.namespace.unlink(timeline, PathName.parse(path)));
    }

    public long rmdir(TimelineId timeline, String path) {
        return guarded(() -> engine.namespace.rmdir(timeline, PathName.parse(path)));
    }

    /** Atomically renames, replacing what {@code to} names (a file, or an empty directory when moving one). */
    public long rename(TimelineId timeline, String from, String to) {
        return guarded(() -> engine.namespace.rename(timeline, PathName.parse(from), PathName.parse(to)));
    }

    public long setAttr(TimelineId timeline, String path, AttrChange change) {
        return guarded(() -> engine.namespace.setAttr(timeline, PathName.parse(path), change));
    }

    /** Sets a regular file's size: a versioned truncation when smaller, zero-filled growth when larger. */
    public long truncate(TimelineId timeline, String path, long size) {
        return guarded(() -> {
            TimelineState t = engine.registry.require(timeline);
            long fileId = engine.namespace
                    .resolve(t, engine.writer.lastLsn(), PathName.parse(path))
                    .fileId();
            return commitBatch(new PageBatch(timeline).resize(fileId, size));
        });
    }

    // ---- pages -----------------------------------------------------------------------------------------------

    /** Commits a batch atomically; returns its LSN once it is durable. */
    public long commit(PageBatch batch) {
        return guarded(() -> commitBatch(batch));
    }

    private long commitBatch(PageBatch batch) {
        if (batch.isEmpty()) {
            throw new InvalidArgumentException("batch for timeline " + batch.timeline() + " is empty");
        }
        return engine.writer.commitGrouped(txn -> engine.pageCommit.apply(batch, txn), PageCommit.footprint(batch));
    }

    /** The newest version of a block at or below {@code lsn}, through ancestors. */
    public PageRead readPage(TimelineId timeline, long lsn, long fileId, int block) {
        return guarded(() -> engine.reader.page(readable(timeline, lsn), lsn, fileId, block));
    }

    /** Many blocks at one LSN in one call. */
    public List<PageRead> readPages(TimelineId timeline, long lsn, List<PageRef> refs) {
        return guarded(() -> engine.reader.pages(readable(timeline, lsn), lsn, refs));
    }

    // ---- GC and leases ---------------------------------------------------------------------------------------

    /** Keeps what a read of {@code timeline} at {@code lsn} needs until the lease expires. */
    public Lease lease(TimelineId timeline, long lsn, Duration ttl) {
        return guarded(() -> engine.lease(engine.registry.require(timeline), lsn, ttl));
    }

    public Lease renewLease(long leaseId, Duration ttl) {
        return guarded(() -> engine.leases.renew(leaseId, ttl));
    }

    public void releaseLease(long leaseId) {
        guarded(() -> {
            engine.leases.release(leaseId);
            return null;
        });
    }

    /** How far back in time GC keeps every timeline readable; starts as {@link StoreOptions#pitrWindow()}. */
    public Duration pitrWindow() {
        return engine.gc.pitrWindow();
    }

    /** Changes the PITR window for the following GC passes. Not persisted: the next open uses its options. */
    public void pitrWindow(Duration window) {
        guarded(() -> {
            engine.gc.pitrWindow(window);
            return null;
        });
    }

    /** One GC pass over every timeline (see {@code GarbageCollector}). */
    public GcReport gc() {
        return guarded(engine.gc::run);
    }

    // ---- operations ------------------------------------------------------------------------------------------

    /** Writes all memtables to SST files (size measurements, tests). */
    public void flush() {
        guarded(() -> {
            engine.rocks.flush();
            return null;
        });
    }

    /** A RocksDB property summed over the data column families, e.g. "rocksdb.live-sst-files-size". */
    public long rocksProperty(String name) {
        return guarded(() -> {
            long total = 0;
            try {
                for (var cf :
                        List.of(engine.rocks.meta, engine.rocks.pages, engine.rocks.attrs, engine.rocks.dentries)) {
                    total += engine.rocks.db.getLongProperty(cf, name);
                }
            } catch (RocksDBException e) {
                throw new StorageIoException("cannot read RocksDB property " + name + ": " + e.getMessage(), e);
            }
            return total;
        });
    }

    /**
     * Commits acknowledged since open and the synced RocksDB writes that carried them; fewer writes than
     * commits means group commit shared syncs.
     */
    public CommitStats commitStats() {
        long[] c = guarded(engine.writer::counters);
        return new CommitStats(c[0], c[1]);
    }

    /** See {@link #commitStats()}. */
    public record CommitStats(long commits, long writes) {}

    /** A RocksDB property of one column family ("meta", "pages", "attrs", "dentries"); for tests and metrics. */
    long familyProperty(String family, String property) {
        return guarded(() -> {
            try {
                return engine.rocks.db.getLongProperty(family(family), property);
            } catch (RocksDBException e) {
                throw new StorageIoException("cannot read RocksDB property " + property + ": " + e.getMessage(), e);
            }
        });
    }

    /** A RocksDB text property of one column family, e.g. "rocksdb.aggregated-table-properties". */
    String familyTextProperty(String family, String property) {
        return guarded(() -> {
            try {
                return engine.rocks.db.getProperty(family(family), property);
            } catch (RocksDBException e) {
                throw new StorageIoException("cannot read RocksDB property " + property + ": " + e.getMessage(), e);
            }
        });
    }

    /** Compacts one column family completely; for tests that measure sizes. */
    void compactFamily(String family) {
        guarded(() -> {
            try (var opts = new CompactRangeOptions()
                    .setBottommostLevelCompaction(CompactRangeOptions.BottommostLevelCompaction.kForce)) {
                engine.rocks.db.compactRange(family(family), null, null, opts);
            } catch (RocksDBException e) {
                throw new StorageIoException("compaction failed: " + e.getMessage(), e);
            }
            return null;
        });
    }

    private ColumnFamilyHandle family(String name) {
        return switch (name) {
            case "meta" -> engine.rocks.meta;
            case "pages" -> engine.rocks.pages;
            case "attrs" -> engine.rocks.attrs;
            case "dentries" -> engine.rocks.dentries;
            default -> throw new InvalidArgumentException("no column family \"" + name + "\"");
        };
    }

    private TimelineState readable(TimelineId timeline, long lsn) {
        TimelineState t = engine.registry.require(timeline);
        engine.checkReadable(t, lsn);
        return t;
    }

    private <T> T guarded(Supplier<T> call) {
        var read = lifecycle.readLock();
        read.lock();
        try {
            if (closed) {
                throw new StoreClosedException("the store at " + options.directory() + " is closed");
            }
            return call.get();
        } finally {
            read.unlock();
        }
    }

    /** Waits for calls in flight, then closes RocksDB. Idempotent. */
    @Override
    public void close() {
        var write = lifecycle.writeLock();
        write.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            engine.close();
        } finally {
            write.unlock();
        }
    }
}
