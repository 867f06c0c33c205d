package dev.sprout.pageserver.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A bounded cache (by bytes, Caffeine's W-TinyLFU) of the newest version of pages at the head of timelines,
 * in front of the storage engine.
 *
 * <p>An entry for (timeline, file, block) holds one version: its image and the LSN that wrote it. It answers a
 * read at LSN {@code L} only when that version is the newest one at or below {@code L}. That holds because
 * every change of a timeline's pages passes through the page service, which tells the cache about it
 * <em>before</em> readers may read at the change's LSN (the timeline's visible LSN, see {@code TimelineGate}):
 * <ul>
 *   <li>{@link #written}: a commit wrote the block at LSN {@code c}; the entry is replaced by that version;</li>
 *   <li>{@link #cut}: a truncation or unlink at {@code c} may have removed blocks of the file; older entries of
 *       the file stop answering reads.</li>
 * </ul>
 * A reader fills the cache with what the engine returned for a read at {@code L} only if no write or cut of
 * that block (or file) newer than {@code L} has been announced, checked atomically with the insertion, so a
 * slow reader can never put an older version over a newer one, even if the newer entry was evicted meanwhile.
 * Announcements are kept in fixed arrays of LSN stripes (hashes of the key); a collision only makes the cache
 * refuse a fill it could have taken.
 *
 * <p>Timelines are keyed by a cache id that the page service gives each timeline incarnation, so a deleted
 * timeline's entries can never answer for a new timeline that reuses its id.
 *
 * <p>Concurrency: thread-safe; reads, fills and announcements may come from any thread.
 */
public final class PageCache {
    /** Bytes an entry costs beyond its image: key, value record, Caffeine's node (measured order of magnitude). */
    private static final int ENTRY_OVERHEAD_BYTES = 120;
    /** Stripes of the "newest announced write" LSNs: 1 Mi longs = 8 MiB, few collisions for hot sets of ~1M pages. */
    private static final int WRITE_STRIPES = 1 << 20;
    /** Stripes of the "newest announced cut" LSNs per file. */
    private static final int CUT_STRIPES = 1 << 16;

    private record Key(long cacheId, long fileId, int block) {}

    /** Version {@code lsn} of the block, known to be the newest as of {@code checkedLsn} (>= lsn). */
    private record Entry(byte[] page, long lsn, long checkedLsn) {}

    private final Cache<Key, Entry> cache;
    private final AtomicLongArray writeStripes = new AtomicLongArray(WRITE_STRIPES);
    private final AtomicLongArray cutStripes = new AtomicLongArray(CUT_STRIPES);
    private final long maxBytes;

    public PageCache(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("page cache size: " + maxBytes + " bytes (expected: >= 0)");
        }
        this.maxBytes = maxBytes;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((Key k, Entry e) -> e.page.length + ENTRY_OVERHEAD_BYTES)
                .recordStats()
                .build();
    }

    /** The Caffeine cache, for metrics binders (hit ratio, evictions, weight). */
    public Cache<?, ?> caffeine() {
        return cache;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** The cached version of the block if it is the newest at or below {@code lsn}; the image is shared: do not change it. */
    public Optional<Hit> get(long cacheId, long fileId, int block, long lsn) {
        if (maxBytes == 0) {
            return Optional.empty();
        }
        Key key = new Key(cacheId, fileId, block);
        Entry e = cache.getIfPresent(key);
        if (e == null || e.lsn > lsn) {
            return Optional.empty();
        }
        if (cutStripes.get(cutStripe(cacheId, fileId)) > e.checkedLsn) {
            cache.asMap().remove(key, e); // a truncation or unlink came after this version: it may be gone
            return Optional.empty();
        }
        return Optional.of(new Hit(e.page, e.lsn));
    }

    /** A cached image and the LSN of its version. */
    public record Hit(byte[] page, long lsn) {}

    /**
     * Offers what the engine returned for a read at {@code readLsn}: version {@code versionLsn} of the block.
     * Taken only if nothing newer than {@code readLsn} was announced for the block or its file. The caller must
     * only offer reads at LSNs from which on every change of the timeline has been announced (this process
     * cannot know of changes made before it started): an entry then answers any read at or above its version.
     */
    public void fill(long cacheId, long fileId, int block, long readLsn, byte[] page, long versionLsn) {
        if (maxBytes == 0) {
            return;
        }
        Key key = new Key(cacheId, fileId, block);
        int ws = writeStripe(key);
        int cs = cutStripe(cacheId, fileId);
        cache.asMap().compute(key, (k, old) -> {
            if (writeStripes.get(ws) > readLsn || cutStripes.get(cs) > readLsn) {
                return old; // a newer write or cut exists or is being published: our version may be stale
            }
            if (old != null && old.lsn >= versionLsn) {
                return old;
            }
            return new Entry(page, versionLsn, readLsn);
        });
    }

    /**
     * Announces that a commit at {@code lsn} wrote this image; call after the commit is durable and before
     * the commit's LSN becomes visible to readers. The cache keeps {@code page}: the caller must not change it.
     */
    public void written(long cacheId, long fileId, int block, long lsn, byte[] page) {
        Key key = new Key(cacheId, fileId, block);
        writeStripes.accumulateAndGet(writeStripe(key), lsn, Math::max);
        if (maxBytes == 0) {
            return;
        }
        cache.asMap().compute(key, (k, old) -> old != null && old.lsn >= lsn ? old : new Entry(page, lsn, lsn));
    }

    /** Announces that blocks of the file may have been removed at {@code lsn} (truncation, unlink, replacement). */
    public void cut(long cacheId, long fileId, long lsn) {
        cutStripes.accumulateAndGet(cutStripe(cacheId, fileId), lsn, Math::max);
    }

    /** Drops every entry of a timeline incarnation (it was deleted). */
    public void dropTimeline(long cacheId) {
        cache.asMap().keySet().removeIf(k -> k.cacheId == cacheId);
    }

    public long weightedBytes() {
        return cache.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
    }

    private static int writeStripe(Key key) {
        long h = key.cacheId * 0x9E3779B97F4A7C15L ^ key.fileId * 0xC2B2AE3D27D4EB4FL ^ key.block * 0x165667B19E3779F9L;
        return (int) ((h ^ (h >>> 29)) & (WRITE_STRIPES - 1));
    }

    private static int cutStripe(long cacheId, long fileId) {
        long h = cacheId * 0x9E3779B97F4A7C15L ^ fileId * 0xC2B2AE3D27D4EB4FL;
        return (int) ((h ^ (h >>> 31)) & (CUT_STRIPES - 1));
    }
}
