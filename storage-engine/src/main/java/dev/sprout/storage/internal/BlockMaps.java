package dev.sprout.storage.internal;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.rocksdb.RocksIterator;

/**
 * Which blocks of a file have any page key on one timeline itself, so that a read falling through a chain of
 * branches skips, without a RocksDB lookup, every level that never wrote the block. A branch that rewrote a
 * few blocks of a relation then reads the other blocks as fast as its parent does, however deep the chain
 * (a prefix-bloom miss costs about as much as a read; a bit test costs nothing).
 *
 * <p>A map is built on first use by scanning the (timeline, file) key range, and only for files with at most
 * {@link #MAX_VERSIONS} versions on that timeline; a file with more is "dense" and always looked up (it is
 * where the data lives anyway). Bits are only ever added: GC removing a version leaves its bit, which costs a
 * lookup, never a wrong answer.
 *
 * <p>Concurrency: maps are built and bits are set only under the writer's lock, builds seeing every commit
 * before them. Readers test bits without locks; a bit is set before the commit's LSN is published, and a
 * reader only reads at LSNs it has seen published.
 */
final class BlockMaps {
    /** Above this many page versions of one file on one timeline, scanning costs more than it saves. */
    static final int MAX_VERSIONS = 16_384;

    private record Key(TimelineState timeline, long file) {}

    /** Blocks that have keys; grows by copying under the writer's lock. */
    private static final class Bits {
        private volatile long[] words = new long[2];

        boolean get(int block) {
            long[] w = words;
            int i = block >>> 6;
            return i < w.length && (w[i] & (1L << block)) != 0;
        }

        void set(int block) {
            int i = block >>> 6;
            long[] w = words;
            if (i >= w.length) {
                w = Arrays.copyOf(w, Math.max(i + 1, w.length * 2));
                w[i] |= 1L << block;
                words = w;
            } else {
                w[i] |= 1L << block;
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

    /** False only when timeline {@code t} certainly holds no key of this block. */
    boolean mayHold(TimelineState t, long file, int block) {
        Object map = maps.get(new Key(t, file));
        if (map == null) {
            map = writer.exclusive(() -> maps.computeIfAbsent(new Key(t, file), k -> scan(t, file)));
        }
        return map == DENSE || ((Bits) map).get(block);
    }

    /** Records a page key just written on {@code t}; runs under the writer's lock, before the LSN is published. */
    void written(TimelineState t, long file, int block) {
        if (maps.get(new Key(t, file)) instanceof Bits bits) {
            bits.set(block);
        }
    }

    /** Forgets a deleted timeline's maps. */
    void forget(TimelineState t) {
        maps.keySet().removeIf(k -> k.timeline() == t);
    }

    private Object scan(TimelineState t, long file) {
        byte[] prefix = Keys.page(t.id, file, 0, 0);
        prefix = Arrays.copyOf(prefix, Keys.ATTR_PREFIX_BYTES); // timeline and file: the same 24 bytes
        Bits bits = new Bits();
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
                bits.set(Keys.getInt(key, prefix.length));
            }
            VersionedReader.check(it);
        }
        return bits;
    }
}
