package dev.sprout.pageserver.metrics;

import dev.sprout.storage.PageStore;
import dev.sprout.storage.error.StorageException;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.storage.timeline.TimelineInfo;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/**
 * The storage engine's figures as meters: RocksDB sizes and memory, the store's last LSN, commits and the WAL
 * writes that carried them, and each timeline's logical and physical bytes (tag {@code timeline=<uuid>}).
 *
 * <p>Every value is read when the registry is scraped, on the scraping thread (the management API runs
 * scrapes on its blocking executor). The per-timeline sizes are the exception: describing a timeline costs a
 * RocksDB approximate-size call, so they come from a snapshot of {@link PageStore#timelines()} taken at most
 * once per refresh interval, by the first scrape that finds it stale. That scrape also adds rows for new
 * timelines and removes those of deleted ones; a row it adds appears from the following scrape on.
 *
 * <p>A figure the store cannot give (closed, RocksDB failing) reads as NaN rather than failing the scrape.
 *
 * <p>Concurrency: thread-safe; concurrent scrapes share one snapshot refresh.
 */
public final class StoreMetrics {
    /** How old the per-timeline sizes may get: about two Prometheus scrape intervals at the usual 15 s. */
    public static final Duration DEFAULT_REFRESH = Duration.ofSeconds(30);

    /**
     * RocksDB figures exported, each a property that {@link PageStore#rocksProperty} sums over the store's
     * column families. DB-wide properties (block-cache-usage, num-running-compactions, num-running-flushes,
     * background-errors, is-write-stopped) are left out: every family reports the same DB-wide value, so the
     * sum would count it once per family (checked on RocksDB 10.10: block-cache-usage reads 4x).
     */
    enum RocksFigure {
        LIVE_DATA(
                "rocksdb.estimate-live-data-size",
                "sprout.rocksdb.live.data",
                BaseUnits.BYTES,
                "estimated bytes of live data (what a full compaction would keep)"),
        SST_FILES(
                "rocksdb.total-sst-files-size",
                "sprout.rocksdb.sst.files",
                BaseUnits.BYTES,
                "bytes of all SST files, including obsolete ones not yet deleted"),
        LIVE_SST_FILES(
                "rocksdb.live-sst-files-size",
                "sprout.rocksdb.live.sst.files",
                BaseUnits.BYTES,
                "bytes of the SST files of the current version"),
        MEMTABLES(
                "rocksdb.cur-size-all-mem-tables",
                "sprout.rocksdb.memtables",
                BaseUnits.BYTES,
                "bytes of the active and unflushed immutable memtables"),
        IMMUTABLE_MEMTABLES(
                "rocksdb.num-immutable-mem-table",
                "sprout.rocksdb.immutable.memtables",
                null,
                "immutable memtables waiting to be flushed"),
        PENDING_COMPACTION(
                "rocksdb.estimate-pending-compaction-bytes",
                "sprout.rocksdb.pending.compaction",
                BaseUnits.BYTES,
                "estimated bytes compaction must rewrite to bring every level under its target size"),
        TABLE_READERS(
                "rocksdb.estimate-table-readers-mem",
                "sprout.rocksdb.table.readers",
                BaseUnits.BYTES,
                "estimated memory of SST readers (indexes and filters) outside the block cache"),
        KEYS(
                "rocksdb.estimate-num-keys",
                "sprout.rocksdb.keys",
                null,
                "estimated number of keys, every version counted");

        final String property;
        final String meter;
        final String unit;
        final String description;

        RocksFigure(String property, String meter, String unit, String description) {
            this.property = property;
            this.meter = meter;
            this.unit = unit;
            this.description = description;
        }
    }

    private final PageStore store;
    private final Duration refresh;
    private final InstantSource clock;
    private final MultiGauge logicalBytes;
    private final MultiGauge physicalBytes;
    private volatile Snapshot snapshot;

    /** The sizes of every timeline at one moment. */
    private record Snapshot(Instant takenAt, Map<TimelineId, TimelineInfo> timelines) {}

    private StoreMetrics(PageStore store, MeterRegistry registry, Duration refresh, InstantSource clock) {
        this.store = store;
        this.refresh = refresh;
        this.clock = clock;
        this.logicalBytes = MultiGauge.builder("sprout.timeline.logical")
                .description("total size of the timeline's files at its last LSN (what a full copy would hold)")
                .baseUnit(BaseUnits.BYTES)
                .register(registry);
        this.physicalBytes = MultiGauge.builder("sprout.timeline.physical")
                .description("RocksDB's estimate of the bytes of the timeline's own keys (files and memtables)")
                .baseUnit(BaseUnits.BYTES)
                .register(registry);
    }

    /** Binds the store's meters with the default refresh interval of the per-timeline sizes. */
    public static void bind(PageStore store, MeterRegistry registry) {
        bind(store, registry, DEFAULT_REFRESH, InstantSource.system());
    }

    /**
     * Binds the store's meters to {@code registry}.
     *
     * @param refresh how long a snapshot of the per-timeline sizes serves scrapes
     * @param clock   measures the snapshot's age (a fake one in tests)
     */
    public static void bind(PageStore store, MeterRegistry registry, Duration refresh, InstantSource clock) {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(registry, "registry");
        if (!refresh.isPositive()) {
            throw new IllegalArgumentException("refresh: " + refresh + " (expected: > 0)");
        }
        new StoreMetrics(store, registry, refresh, Objects.requireNonNull(clock, "clock")).register(registry);
    }

    private void register(MeterRegistry registry) {
        for (RocksFigure f : RocksFigure.values()) {
            Gauge.builder(f.meter, store, s -> read(() -> s.rocksProperty(f.property)))
                    .description(f.description + " (RocksDB " + f.property + ", summed over column families)")
                    .baseUnit(f.unit)
                    .register(registry);
        }
        Gauge.builder("sprout.store.last.lsn", store, s -> read(s::lastLsn))
                .description("the newest LSN committed anywhere in the store")
                .register(registry);
        FunctionCounter.builder(
                        "sprout.store.commits",
                        store,
                        s -> read(() -> s.commitStats().commits()))
                .description("commits acknowledged since the store was opened")
                .register(registry);
        FunctionCounter.builder(
                        "sprout.store.wal.writes",
                        store,
                        s -> read(() -> s.commitStats().writes()))
                .description(
                        "synced RocksDB writes that carried the commits (fewer than commits: group commit shared syncs)")
                .register(registry);
        // This gauge refreshes the snapshot when no timeline row exists yet to do it.
        Gauge.builder(
                        "sprout.store.timelines",
                        this,
                        m -> m.current().timelines().size())
                .description("timelines in the store (as of the per-timeline sizes' snapshot)")
                .strongReference(true)
                .register(registry);
        current();
    }

    private double size(TimelineId id, ToLongFunction<TimelineInfo> figure) {
        TimelineInfo t = current().timelines().get(id);
        return t == null ? Double.NaN : figure.applyAsLong(t);
    }

    /** The snapshot, refreshed (and the rows with it) when older than the refresh interval. */
    private Snapshot current() {
        Snapshot s = snapshot;
        if (s != null && fresh(s)) {
            return s;
        }
        synchronized (this) {
            s = snapshot;
            if (s != null && fresh(s)) {
                return s;
            }
            Map<TimelineId, TimelineInfo> timelines = new LinkedHashMap<>();
            try {
                for (TimelineInfo t : store.timelines()) {
                    timelines.put(t.id(), t);
                }
            } catch (StorageException e) {
                // closed or failing: no rows until it answers again
            }
            Snapshot next = new Snapshot(clock.instant(), Map.copyOf(timelines));
            snapshot = next;
            if (s == null || !s.timelines().keySet().equals(next.timelines().keySet())) {
                logicalBytes.register(rows(timelines.keySet(), TimelineInfo::logicalBytes), false);
                physicalBytes.register(rows(timelines.keySet(), TimelineInfo::physicalBytes), false);
            }
            return next;
        }
    }

    private boolean fresh(Snapshot s) {
        return clock.instant().isBefore(s.takenAt().plus(refresh));
    }

    private List<MultiGauge.Row<?>> rows(Iterable<TimelineId> ids, ToLongFunction<TimelineInfo> figure) {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (TimelineId id : ids) {
            rows.add(MultiGauge.Row.of(Tags.of("timeline", id.toString()), this, m -> m.size(id, figure)));
        }
        return rows;
    }

    private static double read(LongSupplier figure) {
        try {
            return figure.getAsLong();
        } catch (StorageException e) {
            return Double.NaN;
        }
    }
}
