package dev.sprout.storage.internal;

import dev.sprout.storage.error.StorageIoException;
import dev.sprout.storage.gc.GcReport;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * Removes versions that no reader can see any more, and compacts away deleted timelines.
 *
 * <p>A timeline's horizon is min(newest LSN committed at or before now − PITR window, every child's branch LSN,
 * every live lease's LSN, its own last LSN), and never moves back. At or below the horizon only the newest
 * version of each key is kept (a truncation or deletion marker included: it hides the ancestors' versions);
 * everything above it is kept. Reads below the horizon are refused from then on.
 *
 * <p>Concurrency: horizons move under the writer's lock, so a branch or lease below a new horizon is refused.
 * Scanning runs without the lock (new versions are always above every horizon); each chunk of deletions is
 * written under the lock together with the timeline's updated counters.
 */
public final class GarbageCollector {
    private static final int CHUNK = 10_000;

    private final RocksHandles rocks;
    private final Registry registry;
    private final Writer writer;
    private final TimeIndex timeIndex;
    private final Leases leases;
    private final InstantSource clock;
    /** The horizon up to which each timeline's change log was last pruned (in memory: a restart prunes once more). */
    private final java.util.Map<dev.sprout.storage.timeline.TimelineId, Long> changeLogPruned =
            new java.util.concurrent.ConcurrentHashMap<>();

    private volatile Duration pitrWindow;

    public GarbageCollector(
            RocksHandles rocks,
            Registry registry,
            Writer writer,
            TimeIndex timeIndex,
            Leases leases,
            InstantSource clock,
            Duration pitrWindow) {
        this.rocks = rocks;
        this.registry = registry;
        this.writer = writer;
        this.timeIndex = timeIndex;
        this.leases = leases;
        this.clock = clock;
        this.pitrWindow = pitrWindow;
    }

    /** The PITR window from the next pass on (GC settings may change while the store runs). */
    public void pitrWindow(Duration window) {
        if (window.isNegative()) {
            throw new dev.sprout.storage.error.InvalidArgumentException("PITR window " + window + " is negative");
        }
        this.pitrWindow = window;
    }

    public Duration pitrWindow() {
        return pitrWindow;
    }

    public GcReport run() {
        List<TimelineState> timelines = writer.exclusive(this::advanceHorizons);
        long removed = 0;
        long bytes = 0;
        for (TimelineState t : timelines) {
            long[] r = collect(t);
            removed += r[0];
            bytes += r[1];
        }
        return new GcReport(timelines.size(), removed, bytes, reclaimDeleted());
    }

    private List<TimelineState> advanceHorizons() {
        long cutoff = Writer.toMicros(clock.instant().minus(pitrWindow));
        long pitrLsn = timeIndex.lsnAt(cutoff).orElse(0);
        List<TimelineState> all = new ArrayList<>(registry.all());
        for (TimelineState t : all) {
            long h = Math.min(pitrLsn, t.lastLsn());
            for (TimelineState child : registry.children(t)) {
                h = Math.min(h, child.branchLsn);
            }
            h = Math.min(h, leases.minLive(t.id).orElse(Long.MAX_VALUE));
            if (h > t.gcHorizon()) {
                TimelineState.Progress p = t.progress.withHorizon(h);
                writer.writeDurably(wb -> TimelineOps.put(wb, rocks.meta, Keys.metaTimeline(t.id), t.encode(p)));
                t.progress = p;
            }
        }
        return all;
    }

    /** Removes obsolete versions of one timeline's own keys; returns {versions, page bytes} removed. */
    private long[] collect(TimelineState t) {
        long horizon = t.gcHorizon();
        long[] total = new long[2];
        // the change log below the horizon answers no question any more (no point there is readable); one range
        // deletion each time the horizon moves, not one per pass
        Long pruned = changeLogPruned.get(t.id);
        if (pruned == null || pruned < horizon) {
            writer.writeDurably(wb -> {
                try {
                    wb.deleteRange(rocks.meta, Keys.metaChangeFrom(t.id, 0), Keys.metaChangeFrom(t.id, horizon));
                } catch (org.rocksdb.RocksDBException e) {
                    throw new IllegalStateException(e);
                }
            });
            changeLogPruned.put(t.id, horizon);
        }
        if (horizon <= t.branchLsn) {
            return total; // every own version is above the branch point, hence above the horizon
        }
        byte[] prefix = Keys.timelinePrefix(t.id);
        for (ColumnFamilyHandle cf : rocks.dataFamilies()) {
            boolean pages = cf.equals(rocks.pages);
            Sweep sweep = new Sweep();
            byte[] previous = null; // the newest version at or below the horizon seen so far for the current key
            int previousLength = 0;
            byte previousTag = 0; // its first byte: tells a delta on zeros, which needs no base, from one that does
            boolean previousDoomsOthers = false; // an older version of the current key is doomed
            byte[] probe = new byte[1];
            try (RocksIterator it = rocks.db.newIterator(cf, rocks.scanRead);
                    RocksIterator chains = rocks.db.newIterator(cf, rocks.scanRead)) {
                for (it.seek(prefix); it.isValid(); it.next()) {
                    byte[] key = it.key();
                    if (!Keys.startsWith(key, prefix)) {
                        break;
                    }
                    if (Keys.lsnOf(key) > horizon) {
                        continue;
                    }
                    if (previous != null && sameKey(previous, key)) {
                        sweep.doomed.add(previous);
                        sweep.bytes += previousLength;
                        previousDoomsOthers = true;
                    } else if (previous != null) {
                        // a new key: the last one's kept version is known; commit only between keys, so that a
                        // chunk never removes the base of a delta that stays without making that delta whole
                        keep(chains, pages, previous, previousLength, previousTag, previousDoomsOthers, sweep);
                        previousDoomsOthers = false;
                        if (sweep.doomed.size() >= CHUNK) {
                            commitDeletes(t, cf, sweep, pages, total);
                        }
                    }
                    previous = key;
                    previousLength = pages ? it.value(probe) : 0;
                    previousTag = probe[0];
                }
                VersionedReader.check(it);
                if (previous != null) {
                    keep(chains, pages, previous, previousLength, previousTag, previousDoomsOthers, sweep);
                }
            }
            commitDeletes(t, cf, sweep, pages, total);
        }
        return total;
    }

    /** One chunk of GC's changes to a family: versions to delete, and kept deltas rewritten as whole images. */
    private static final class Sweep {
        final List<byte[]> doomed = new ArrayList<>();
        final List<byte[][]> wholes = new ArrayList<>(); // {key, image}
        long bytes;

        void clear() {
            doomed.clear();
            wholes.clear();
            bytes = 0;
        }
    }

    /**
     * The version {@code key} stays: when it is a page delta and the versions before it go, it is rewritten as the
     * whole image it stands for, in the same write as their deletion ({@link PageDelta}'s invariant).
     */
    private static void keep(
            RocksIterator chains, boolean pages, byte[] key, int length, byte tag, boolean doomsOthers, Sweep sweep) {
        if (!pages || !doomsOthers || !PageDelta.needsBase(length, tag)) {
            return;
        }
        chains.seekForPrev(key);
        if (!chains.isValid() || !Arrays.equals(chains.key(), key)) {
            VersionedReader.check(chains);
            throw new StorageIoException("GC lost sight of a page version it was keeping", null);
        }
        byte[] image = VersionedReader.fold(chains, chains.value(), key).image();
        sweep.wholes.add(new byte[][] {key, image});
        sweep.bytes -= dev.sprout.storage.page.Pages.PAGE_SIZE - length; // the kept version grows to a page
    }

    private void commitDeletes(TimelineState t, ColumnFamilyHandle cf, Sweep sweep, boolean pages, long[] total) {
        if (sweep.doomed.isEmpty() && sweep.wholes.isEmpty()) {
            return;
        }
        long bytes = sweep.bytes;
        long versions = pages ? sweep.doomed.size() : 0;
        writer.exclusive(() -> {
            if (registry.find(t.id).orElse(null) != t) {
                return null; // deleted meanwhile: its keys are gone with it
            }
            try (WriteBatch wb = new WriteBatch()) {
                for (byte[] k : sweep.doomed) {
                    wb.delete(cf, k);
                }
                for (byte[][] whole : sweep.wholes) {
                    wb.put(cf, whole[0], whole[1]);
                }
                TimelineState.Progress p = t.progress.collected(versions, bytes);
                wb.put(rocks.meta, Keys.metaTimeline(t.id), t.encode(p));
                rocks.db.write(rocks.unsyncedWrite, wb);
                t.progress = p;
            } catch (RocksDBException e) {
                throw new StorageIoException("GC write failed: " + e.getMessage(), e);
            }
            return null;
        });
        total[0] += sweep.doomed.size();
        total[1] += bytes;
        sweep.clear();
    }

    private static boolean sameKey(byte[] a, byte[] b) {
        int n = a.length - Keys.LSN_BYTES;
        return a.length == b.length && Arrays.equals(a, 0, n, b, 0, n);
    }

    /** Compacts the ranges of deleted timelines so their space returns to the disk. */
    private int reclaimDeleted() {
        List<byte[]> markers = new ArrayList<>();
        try (RocksIterator it = rocks.db.newIterator(rocks.meta, rocks.plainRead)) {
            for (it.seek(new byte[] {Keys.META_RECLAIM}); it.isValid() && it.key()[0] == Keys.META_RECLAIM; it.next()) {
                markers.add(it.key());
            }
            VersionedReader.check(it);
        }
        for (byte[] marker : markers) {
            byte[] prefix = Arrays.copyOfRange(marker, 1, marker.length);
            try {
                for (ColumnFamilyHandle cf : rocks.dataFamilies()) {
                    rocks.db.compactRange(cf, prefix, Keys.rangeEnd(prefix));
                }
                rocks.db.delete(rocks.meta, marker);
            } catch (RocksDBException e) {
                throw new StorageIoException("reclaiming a deleted timeline failed: " + e.getMessage(), e);
            }
        }
        return markers.size();
    }
}
