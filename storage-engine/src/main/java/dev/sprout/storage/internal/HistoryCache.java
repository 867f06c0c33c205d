package dev.sprout.storage.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.sprout.storage.page.PageRead;
import java.util.Optional;

/**
 * Pages read through to an ancestor timeline, shared by every branch that reads the same history: ten branches of
 * one parent scanning a table they have not changed each read the parent's pages, and after the first they come
 * from here, decoded, instead of from RocksDB.
 *
 * <p>An entry for (ancestor, file, block) says: reading the ancestor's chain (the ancestor, then its own
 * ancestors) at any LSN from {@code version} to {@code checkedTo} finds this result, the version written at
 * {@code version} (0: nothing at all). That stays true forever: a child reads its parent at or below its branch
 * LSN, where the parent's history is immutable (new writes are above it; GC keeps the newest version at or below
 * its horizon and never lets the horizon pass a child's branch point; a delta made whole reads the same). A read at
 * an LSN inside the range is a hit; a read beyond it that finds the same version widens the range; one that finds
 * a newer version replaces the entry. Entries are keyed by the ancestor's {@link TimelineState} object, so a
 * deleted and re-created timeline never meets the old one's entries.
 *
 * <p>Thread-safe. Images are shared, never changed.
 */
final class HistoryCache {
    private static final int ENTRY_OVERHEAD_BYTES = 120;

    private record Key(TimelineState timeline, long file, int block) {}

    private record Entry(PageRead read, long version, long checkedTo) {}

    private final Cache<Key, Entry> cache;

    HistoryCache(long maxBytes) {
        this.cache = maxBytes == 0
                ? null
                : Caffeine.newBuilder()
                        .maximumWeight(maxBytes)
                        .weigher((Key k, Entry e) ->
                                (e.read instanceof PageRead.Found f ? f.page().length : 0) + ENTRY_OVERHEAD_BYTES)
                        .build();
    }

    boolean enabled() {
        return cache != null;
    }

    /** What reading {@code t}'s chain at {@code lsn} finds, when known. */
    Optional<PageRead> get(TimelineState t, long file, int block, long lsn) {
        Entry e = cache.getIfPresent(new Key(t, file, block));
        return e != null && e.version <= lsn && lsn <= e.checkedTo ? Optional.of(e.read) : Optional.empty();
    }

    /** Records that reading {@code t}'s chain at {@code lsn} found {@code read}, written at {@code version}. */
    void put(TimelineState t, long file, int block, long lsn, PageRead read, long version) {
        cache.asMap().merge(new Key(t, file, block), new Entry(read, version, lsn), (old, now) -> {
            if (old.version == now.version) {
                return new Entry(old.read, old.version, Math.max(old.checkedTo, now.checkedTo));
            }
            return now.version > old.version ? now : old;
        });
    }
}
