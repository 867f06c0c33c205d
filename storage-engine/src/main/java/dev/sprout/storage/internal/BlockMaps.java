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
 * <p>A map is built on first use by scanning the (timeline, file) key range, and only for files with at most
 * {@link #MAX_VERSIONS} versions on that timeline; a file with more is "dense" and always looked up (it is
 * where the data lives anyway). Entries are only ever added: GC removing a block's first version leaves an LSN
 * that errs low, which costs a lookup, never a wrong answer.
 *
 * <p>Concurrency: maps are built and entries are set only under the writer's lock, builds seeing every commit
 * before them. Readers look entries up without locks; an entry is set before the commit's LSN is published,
 * and a reader only reads at LSNs it has seen published.
 */
final class BlockMaps {
    /** Above this many page versions of one file on one timeline, scanning costs more than it saves. */
    static final int MAX_VERSIONS = 65_536;

    private record Key(TimelineState timeline, long file) {}

    /** First LSN per block, 0 for none (LSNs start at 1); grows by copying under the writer's lock. */
    private static final class FirstLsns {
        private volatile long[] first = new long[64];

        long get(int block) {
            long[] f = first;
            return block < f.length ? f[block] : 0;
        }

        /** Records a key at {@code lsn}; the first one recorded stays (LSNs only grow). */
        void add(int block, long lsn) {
            long[] f = first;
            if (block >= f.length) {
                f = Arrays.copyOf(f, Math.max(block + 1, f.length * 2));
                f[block] = lsn;
                first = f;
            } else if (f[block] == 0) {
                f[block] = lsn;
            }
        }
    }

    private static final Object DENSE = new Object();

    private final RocksHandles rocks;
    private final Writer writer;
    private final Map<Key, Object> maps = new ConcurrentHashMap<>();

    BlockMaps(RocksHandles rocks, Writer writer) {
        this.rocks = rocks;
        this.writer = writer;
    }

    /** False only when timeline {@code t} certainly holds no key of this block at or below {@code lsn}. */
    boolean mayHold(TimelineState t, long file, int block, long lsn) {
        Object map = maps.get(new Key(t, file));
        if (map == null) {
            map = writer.exclusive(() -> maps.computeIfAbsent(new Key(t, file), k -> scan(t, file)));
        }
        if (map == DENSE) {
            return true;
        }
        long first = ((FirstLsns) map).get(block);
        return first != 0 && first <= lsn;
    }

    /** Records a page key just written on {@code t}; runs under the writer's lock, before the LSN is published. */
    void written(TimelineState t, long file, int block, long lsn) {
        if (maps.get(new Key(t, file)) instanceof FirstLsns firsts) {
            firsts.add(block, lsn);
        }
    }

    /** Forgets a deleted timeline's maps. */
    void forget(TimelineState t) {
        maps.keySet().removeIf(k -> k.timeline() == t);
    }

    private Object scan(TimelineState t, long file) {
        byte[] prefix = Keys.page(t.id, file, 0, 0);
        prefix = Arrays.copyOf(prefix, Keys.ATTR_PREFIX_BYTES); // timeline and file: the same 24 bytes
        FirstLsns firsts = new FirstLsns();
        int versions = 0;
        try (RocksIterator it = rocks.db.newIterator(rocks.pages, rocks.scanRead)) {
            for (it.seek(prefix); it.isValid(); it.next()) {
                byte[] key = it.key();
                if (!Keys.startsWith(key, prefix)) {
                    break;
                }
                if (++versions > MAX_VERSIONS) {
                    return DENSE;
                }
                firsts.add(Keys.getInt(key, prefix.length), Keys.lsnOf(key)); // keys come in LSN order per block
            }
            VersionedReader.check(it);
        }
        return firsts;
    }
}
