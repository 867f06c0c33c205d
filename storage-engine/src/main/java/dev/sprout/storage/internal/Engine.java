package dev.sprout.storage.internal;

import dev.sprout.storage.StoreOptions;
import dev.sprout.storage.error.LsnOutOfRangeException;
import dev.sprout.storage.error.StorageIoException;
import dev.sprout.storage.gc.Lease;
import java.time.Duration;
import org.rocksdb.RocksDBException;

/** Wires the engine's parts together over one open RocksDB. Owned by {@code PageStore}. */
public final class Engine {
    public final RocksHandles rocks;
    public final Registry registry;
    public final Writer writer;
    public final VersionedReader reader;
    public final TimeIndex timeIndex;
    public final Leases leases;
    public final NamespaceOps namespace;
    public final PageCommit pageCommit;
    public final TimelineOps timelines;
    public final GarbageCollector gc;
    private final BlockMaps blockMaps;
    /** Every commit from this LSN on is in the change log (a store made before it existed starts it later). */
    public final long changeLogStart;

    public Engine(StoreOptions options) {
        this.rocks = RocksHandles.open(options);
        try {
            Registry.checkFormat(rocks, options.directory());
            Registry.Loaded loaded = Registry.load(rocks);
            this.registry = loaded.registry();
            Globals g = loaded.globals();
            this.writer = new Writer(rocks, options.clock(), g.lastLsn(), g.lastTimeMicros(), g.nextFileId());
            this.changeLogStart = changeLogStart(rocks, g.lastLsn());
            this.blockMaps = new BlockMaps(rocks, writer);
            this.reader = new VersionedReader(rocks, blockMaps, new HistoryCache(options.historyCacheBytes()));
            this.timeIndex = new TimeIndex(rocks);
            this.leases = new Leases(options.clock());
            this.namespace = new NamespaceOps(rocks, registry, reader, writer);
            this.pageCommit = new PageCommit(rocks, registry, reader, namespace, blockMaps);
            this.timelines = new TimelineOps(rocks, registry, writer, timeIndex, leases, blockMaps);
            this.gc = new GarbageCollector(
                    rocks, registry, writer, timeIndex, leases, options.clock(), options.pitrWindow());
        } catch (RuntimeException e) {
            rocks.close();
            throw e;
        }
    }

    /** Reads, or records for a store that has none, the LSN from which on the change log is complete. */
    private static long changeLogStart(RocksHandles rocks, long lastLsn) {
        try {
            byte[] v = rocks.db.get(rocks.meta, Keys.metaChangeStart());
            if (v != null) {
                return Keys.getLong(v, 0);
            }
            byte[] start = new byte[8];
            Keys.putLong(start, 0, lastLsn + 1);
            rocks.db.put(rocks.meta, rocks.commitWrite, Keys.metaChangeStart(), start);
            return lastLsn + 1;
        } catch (RocksDBException e) {
            throw new StorageIoException("cannot read the change log's start: " + e.getMessage(), e);
        }
    }

    /** Stops background work, then closes RocksDB. */
    public void close() {
        timelines.close();
        blockMaps.close();
        rocks.close();
    }

    /** Grants a lease after checking, under the writer's lock, that the LSN is still readable. */
    public Lease lease(TimelineState t, long lsn, Duration ttl) {
        return writer.exclusive(() -> {
            checkReadable(t, lsn);
            return leases.grant(t.id, lsn, ttl);
        });
    }

    public void checkReadable(TimelineState t, long lsn) {
        if (lsn < t.branchLsn) {
            throw new LsnOutOfRangeException(
                    "LSN " + lsn + " is before timeline " + t.id + " begins (LSN " + t.branchLsn + ")");
        }
        if (lsn < t.gcHorizon()) {
            throw new LsnOutOfRangeException("LSN " + lsn + " is below the GC horizon of timeline " + t.id + " (LSN "
                    + t.gcHorizon() + "): history before it has been collected");
        }
        long last = writer.lastLsn();
        if (lsn > last) {
            throw new LsnOutOfRangeException("LSN " + lsn + " is beyond the store's last commit (LSN " + last + ")");
        }
    }
}
