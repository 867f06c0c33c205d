package dev.sprout.storage.internal;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.rocksdb.RocksIterator;

/**
 * For each block of a file, the LSN of its first page key on one timeline itself, so that a read falling
 * through a chain of branches skips, without a RocksDB lookup, every level that holds no version of the block
 * at or below the LSN it reads there: levels that never wrote the block, and levels that wrote it only after
 * the branch below them was taken. A branch that rewrote a few blocks of a relation, or a parent that keeps
 * writing after branching, then costs a reader nothing, however deep the chain (a prefix-bloom miss costs
 * about as much as a read; an array lookup costs nothing).
 *
 * <p>A map is built in the background after first use by scanning the (timeline, file) key range; until it is
 * ready, reads look the level up as they would without maps. Maps are kept only for files with at most
 * {@link #MAX_VERSIONS} versions on that timeline; a file with more is "dense" and always looked up (it is
 * where the data lives anyway). Entries are only ever added: GC removing a block's first version leaves an LSN
 * that errs low, which costs a lookup, never a wrong answer.
 *
 * <p>Concurrency: a build first installs, under the writer's lock, a {@link Building} placeholder that records
 * every page key committed from then on; it then scans without the lock (its iterator sees every commit
 * before the placeholder, perhaps more) and, under the lock again, replaces the placeholder with the scan
 * plus the recorded keys. So no commit is missed and no writer waits for a scan. Readers look entries up
 * without locks; an entry is set before the commit's LSN is published, and a reader only reads at LSNs it has
 * seen published.
 */
final class BlockMaps {
    /** Above this many page versions of one file on one timeline, scanning costs more than it saves. */
    static final int MAX_VERSIONS = 65_536;
    /**
     * Maps cover blocks below this (2 GiB of file, a 2 MiB array at most; PostgreSQL's segments stop at 1 GiB).
     * A file with a block beyond it is treated as dense, so a sparse file with a huge block number cannot make
     * the map allocate for its claimed size.
     */
    static final int MAX_MAPPED_BLOCKS = 1 << 18;

    private record Key(TimelineState timeline, long file) {}

    /** First LSN per block, 0 for none (LSNs start at 1); grows by copying under the writer's lock. */
    private static final class FirstLsns {
        private volatile long[] first = new long[64];

        long get(int block) {
            long[] f = first;
            return block < f.length ? f[block] : 0;
        }

        /** Records a key at {@code lsn}; the first one recorded stays (LSNs only grow). False beyond the mapped blocks. */
        boolean add(int block, long lsn) {
            if (block >= MAX_MAPPED_BLOCKS) {
                return false;
            }
            long[] f = first;
            if (block >= f.length) {
                f = Arrays.copyOf(f, Math.max(block + 1, f.length * 2));
                f[block] = lsn;
                first = f;
            } else if (f[block] == 0) {
                f[block] = lsn;
            }
            return true;
        }
    }

    private static final Object DENSE = new Object();

    /** A map being built: the page keys committed meanwhile, as (block, LSN) pairs. Guarded by the writer's lock. */
    private static final class Building {
        final java.util.List<long[]> committed = new java.util.ArrayList<>();
    }

    private final RocksHandles rocks;
    private final Writer writer;
    private final Map<Key, Object> maps = new ConcurrentHashMap<>();
    /** One daemon thread builds maps in turn; closed before RocksDB is. */
    private final java.util.concurrent.ExecutorService builder = java.util.concurrent.Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().daemon().name("sprout-block-maps").unstarted(r));

    private volatile boolean closing;

    BlockMaps(RocksHandles rocks, Writer writer) {
        this.rocks = rocks;
        this.writer = writer;
    }

    /** False only when timeline {@code t} certainly holds no key of this block at or below {@code lsn}. */
    boolean mayHold(TimelineState t, long file, int block, long lsn) {
        Key key = new Key(t, file);
        Object map = maps.get(key);
        if (map == null) {
            startBuild(key);
            return true;
        }
        if (map == DENSE || map instanceof Building) {
            return true;
        }
        long first = ((FirstLsns) map).get(block);
        return first != 0 && first <= lsn;
    }

    /** Records a page key just written on {@code t}; runs under the writer's lock, before the LSN is published. */
    void written(TimelineState t, long file, int block, long lsn) {
        Key key = new Key(t, file);
        switch (maps.get(key)) {
            case FirstLsns firsts -> {
                if (!firsts.add(block, lsn)) {
                    maps.put(key, DENSE);
                }
            }
            case Building building -> building.committed.add(new long[] {block, lsn});
            case null, default -> {}
        }
    }

    private void startBuild(Key key) {
        if (closing) {
            return;
        }
        Building building =
                writer.exclusive(() -> maps.putIfAbsent(key, new Building()) == null ? (Building) maps.get(key) : null);
        if (building == null) {
            return; // someone else is building it, or it is built
        }
        try {
            builder.execute(() -> {
                Object scanned = closing ? null : scan(key.timeline(), key.file());
                writer.exclusive(() -> {
                    if (maps.get(key) != building) {
                        return null; // the timeline was deleted meanwhile
                    }
                    if (scanned instanceof FirstLsns firsts) {
                        boolean mapped = true;
                        for (long[] c : building.committed) {
                            mapped &= firsts.add((int) c[0], c[1]);
                        }
                        maps.put(key, mapped ? firsts : DENSE);
                    } else if (scanned == DENSE) {
                        maps.put(key, DENSE);
                    } else {
                        maps.remove(key); // closing, or the scan failed: try again on a later read
                    }
                    return null;
                });
            });
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            maps.remove(key, building);
        }
    }

    /** Stops building; waits for a scan in progress so that RocksDB can be closed after it. */
    void close() {
        closing = true;
        builder.shutdownNow();
        try {
            builder.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Forgets a deleted timeline's maps. */
    void forget(TimelineState t) {
        maps.keySet().removeIf(k -> k.timeline() == t);
    }

    /** Scans the (timeline, file) range; null when interrupted by close or when the read fails. */
    private Object scan(TimelineState t, long file) {
        byte[] prefix = Keys.page(t.id, file, 0, 0);
        prefix = Arrays.copyOf(prefix, Keys.ATTR_PREFIX_BYTES); // timeline and file: the same 24 bytes
        FirstLsns firsts = new FirstLsns();
        int versions = 0;
        try (RocksIterator it = rocks.db.newIterator(rocks.pages, rocks.scanRead)) {
            for (it.seek(prefix); it.isValid(); it.next()) {
                if (closing) {
                    return null;
                }
                byte[] key = it.key();
                if (!Keys.startsWith(key, prefix)) {
                    break;
                }
                if (++versions > MAX_VERSIONS) {
                    return DENSE;
                }
                if (!firsts.add(Keys.getInt(key, prefix.length), Keys.lsnOf(key))) { // keys come in LSN order per block
                    return DENSE;
                }
            }
            VersionedReader.check(it);
        } catch (RuntimeException e) {
            return null;
        }
        return firsts;
    }
}
