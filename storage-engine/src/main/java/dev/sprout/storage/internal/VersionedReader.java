package dev.sprout.storage.internal;

import dev.sprout.storage.error.StorageIoException;
import dev.sprout.storage.namespace.DirEntry;
import dev.sprout.storage.namespace.FileAttr;
import dev.sprout.storage.page.PageRead;
import dev.sprout.storage.page.PageRef;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * Reads the newest version at or below an LSN, falling through to ancestors: on timeline T at LSN L, look in T;
 * if T has no version of the key at or below L, read T's parent at min(L, T's branch LSN), up to the root.
 * A timeline that holds no key of the file at or below the LSN ({@link TimelineState#files}: the file's first
 * LSN there), or no key of the block ({@link BlockMaps}), is skipped without touching RocksDB. What a read finds
 * below its own timeline (history, the same for every branch that reads it there) is kept in the
 * {@link HistoryCache}.
 *
 * <p>Thread-safe: every call uses its own iterators. Callers check the LSN against the timeline's readable
 * range before calling.
 */
public final class VersionedReader {
    private final RocksHandles rocks;
    private final BlockMaps blockMaps;
    private final HistoryCache history;

    VersionedReader(RocksHandles rocks, BlockMaps blockMaps, HistoryCache history) {
        this.rocks = rocks;
        this.blockMaps = blockMaps;
        this.history = history;
    }

    /** The newest version of one block at or below {@code lsn}. */
    public PageRead page(TimelineState tl, long lsn, long file, int block) {
        try (RocksIterator it = rocks.db.newIterator(rocks.pages, rocks.pageRead)) {
            return page(it, tl, lsn, file, block);
        }
    }

    /** Consecutive blocks of one file from which a read is served with readahead ({@link RocksHandles#rangeRead}). */
    static final int RANGE_BLOCKS = 16;

    /** Many blocks at one LSN, sharing one iterator. */
    public List<PageRead> pages(TimelineState tl, long lsn, List<PageRef> refs) {
        List<PageRead> out = new ArrayList<>(refs.size());
        try (RocksIterator it = rocks.db.newIterator(rocks.pages, isRange(refs) ? rocks.rangeRead : rocks.pageRead)) {
            for (PageRef ref : refs) {
                out.add(page(it, tl, lsn, ref.fileId(), ref.block()));
            }
        }
        return out;
    }

    /** True when {@code refs} are at least {@link #RANGE_BLOCKS} consecutive blocks of one file, in order. */
    private static boolean isRange(List<PageRef> refs) {
        if (refs.size() < RANGE_BLOCKS) {
            return false;
        }
        PageRef first = refs.getFirst();
        for (int i = 1; i < refs.size(); i++) {
            PageRef r = refs.get(i);
            if (r.fileId() != first.fileId() || r.block() != first.block() + i) {
                return false;
            }
        }
        return true;
    }

    private PageRead page(RocksIterator it, TimelineState tl, long lsn, long file, int block) {
        if (tl.mayHold(file, lsn) && blockMaps.mayHold(tl, file, block, lsn)) {
            Optional<Resolved> own = level(it, tl, lsn, file, block);
            if (own.isPresent()) {
                return own.get().read();
            }
        }
        TimelineState parent = tl.parent;
        if (parent == null) {
            return PageRead.absent();
        }
        long at = Math.min(lsn, tl.branchLsn); // history from here on: the same for every branch reading it there
        if (!history.enabled()) {
            return chain(it, parent, at, file, block).read();
        }
        Optional<PageRead> known = history.get(parent, file, block, at);
        if (known.isPresent()) {
            return known.get();
        }
        Resolved r = chain(it, parent, at, file, block);
        history.put(parent, file, block, at, r.read(), r.version());
        return r.read();
    }

    /** A read's result with the LSN of the version (or cut marker) it found; 0 when nothing was found. */
    private record Resolved(PageRead read, long version) {}

    /** Reads {@code t}'s chain (t, then its ancestors) at {@code lsn}. */
    private Resolved chain(RocksIterator it, TimelineState t, long lsn, long file, int block) {
        for (; t != null; t = t.parent) {
            if (t.mayHold(file, lsn) && blockMaps.mayHold(t, file, block, lsn)) {
                Optional<Resolved> found = level(it, t, lsn, file, block);
                if (found.isPresent()) {
                    return found.get();
                }
            }
            lsn = Math.min(lsn, t.branchLsn);
        }
        return new Resolved(PageRead.absent(), 0);
    }

    /** The newest version of the block on {@code t} itself at or below {@code lsn}, if it has one. */
    private Optional<Resolved> level(RocksIterator it, TimelineState t, long lsn, long file, int block) {
        byte[] target = Keys.page(t.id, file, block, lsn);
        Optional<Version> v = seekVersion(it, target, Keys.PAGE_PREFIX_BYTES);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        byte[] value = v.get().value;
        if (value.length == 0) {
            return Optional.of(new Resolved(PageRead.absent(), v.get().lsn));
        }
        byte[] image = PageDelta.isDelta(value) ? fold(it, value, target).image() : value;
        return Optional.of(new Resolved(new PageRead.Found(image, v.get().lsn), v.get().lsn));
    }

    /**
     * A block's newest version on timeline {@code t} itself (never an ancestor's) at its head, with the length of
     * the delta chain it is stored as: what a commit encodes a new version of the block against. Empty when the
     * timeline holds no version of the block, or holds a cut marker as its newest.
     */
    Optional<Chain> ownHead(RocksIterator it, TimelineState t, long file, int block) {
        if (!t.mayHold(file, Long.MAX_VALUE) || !blockMaps.mayHold(t, file, block, Long.MAX_VALUE)) {
            return Optional.empty();
        }
        byte[] target = Keys.page(t.id, file, block, -1L); // LSN 0xff…ff: the newest version of any LSN
        Optional<Version> v = seekVersion(it, target, Keys.PAGE_PREFIX_BYTES);
        if (v.isEmpty() || v.get().value.length == 0) {
            return Optional.empty();
        }
        byte[] value = v.get().value;
        return Optional.of(PageDelta.isDelta(value) ? fold(it, value, target) : new Chain(value, 0, 0));
    }

    /** A whole image, with the number of deltas it was folded from and their stored bytes. */
    record Chain(byte[] image, int depth, int deltaBytes) {}

    /**
     * Folds the delta the iterator stands on ({@code newest}) with the versions before it, back to the whole image
     * (or delta on zeros) its chain starts from. {@code target} names the block (its first {@link Keys#PAGE_PREFIX_BYTES} bytes).
     */
    static Chain fold(RocksIterator it, byte[] newest, byte[] target) {
        if (PageDelta.isOnZeros(newest)) {
            return new Chain(PageDelta.image(newest), 0, newest.length);
        }
        java.util.ArrayDeque<byte[]> deltas = new java.util.ArrayDeque<>();
        deltas.push(newest);
        int bytes = newest.length;
        while (true) {
            it.prev();
            if (!it.isValid()) {
                check(it);
                throw brokenChain(target);
            }
            byte[] key = it.key();
            if (key.length != target.length
                    || !Arrays.equals(key, 0, Keys.PAGE_PREFIX_BYTES, target, 0, Keys.PAGE_PREFIX_BYTES)) {
                throw brokenChain(target);
            }
            byte[] value = it.value();
            if (value.length == 0) {
                throw brokenChain(target);
            }
            if (!PageDelta.isDelta(value) || PageDelta.isOnZeros(value)) {
                int depth = deltas.size();
                byte[] image = PageDelta.isOnZeros(value) ? PageDelta.image(value) : Arrays.copyOf(value, value.length);
                if (PageDelta.isOnZeros(value)) {
                    bytes += value.length;
                }
                while (!deltas.isEmpty()) {
                    PageDelta.apply(deltas.pop(), image);
                }
                return new Chain(image, depth, bytes);
            }
            deltas.push(value);
            bytes += value.length;
        }
    }

    private static StorageIoException brokenChain(byte[] target) {
        return new StorageIoException(
                "a stored page delta of timeline/file/block "
                        + java.util.HexFormat.of().formatHex(target, 0, Keys.PAGE_PREFIX_BYTES)
                        + " has no whole image before it on its timeline",
                null);
    }

    /**
     * The blocks of {@code file} in [{@code from}, {@code to}) that have any stored key (a version or a marker)
     * on the timeline or on an ancestor it reads through. A superset of the blocks visible at the head: what a
     * truncation must cover with markers. Costs one seek per stored block, never one per block of the range, so
     * cutting a huge sparse file is as cheap as its stored blocks.
     */
    public java.util.SortedSet<Integer> storedBlocks(TimelineState tl, long lsn, long file, int from, int to) {
        java.util.TreeSet<Integer> out = new java.util.TreeSet<>();
        try (RocksIterator it = rocks.db.newIterator(rocks.pages, rocks.scanRead)) {
            for (TimelineState t = tl; t != null; t = t.parent) {
                if (t.mayHold(file, lsn)) {
                    int block = from;
                    while (block < to) {
                        byte[] start = Keys.page(t.id, file, block, 0);
                        it.seek(start);
                        if (!it.isValid()) {
                            break;
                        }
                        byte[] key = it.key();
                        if (!Arrays.equals(key, 0, Keys.ATTR_PREFIX_BYTES, start, 0, Keys.ATTR_PREFIX_BYTES)) {
                            break; // past this file's pages on this timeline
                        }
                        int found = java.nio.ByteBuffer.wrap(key, Keys.ATTR_PREFIX_BYTES, 4)
                                .getInt();
                        if (found >= to || found < 0) {
                            break;
                        }
                        out.add(found);
                        block = found + 1;
                    }
                    check(it);
                }
                lsn = Math.min(lsn, t.branchLsn);
            }
        }
        return out;
    }

    /** The file's attributes at {@code lsn}; empty when it does not exist (never created, or deleted). */
    public Optional<FileAttr> attr(TimelineState tl, long lsn, long file) {
        try (RocksIterator it = rocks.db.newIterator(rocks.attrs, rocks.pageRead)) {
            for (TimelineState t = tl; t != null; t = t.parent) {
                if (t.mayHold(file, lsn)) {
                    Optional<Version> v = seekVersion(it, Keys.attr(t.id, file, lsn), Keys.ATTR_PREFIX_BYTES);
                    if (v.isPresent()) {
                        return Values.attr(file, v.get().value, v.get().lsn);
                    }
                }
                lsn = Math.min(lsn, t.branchLsn);
            }
        }
        return Optional.empty();
    }

    /** The entry {@code name} of directory {@code dir} at {@code lsn}; empty when absent or removed. */
    public Optional<Values.Target> entry(TimelineState tl, long lsn, long dir, byte[] name) {
        try (RocksIterator it = rocks.db.newIterator(rocks.dentries, rocks.plainRead)) {
            for (TimelineState t = tl; t != null; t = t.parent) {
                if (t.mayHold(dir, lsn)) {
                    byte[] target = Keys.dentry(t.id, dir, name, lsn);
                    Optional<Version> v = seekVersion(it, target, target.length - Keys.LSN_BYTES);
                    if (v.isPresent()) {
                        return Values.dentry(v.get().value);
                    }
                }
                lsn = Math.min(lsn, t.branchLsn);
            }
        }
        return Optional.empty();
    }

    /** Every live entry of {@code dir} at {@code lsn}, sorted by name (UTF-8 byte order). */
    public List<DirEntry> entries(TimelineState tl, long lsn, long dir) {
        // Name -> newest visible target, or empty when the nearest timeline that knows the name removed it.
        TreeMap<String, Optional<Values.Target>> decided = new TreeMap<>(VersionedReader::compareUtf8);
        try (RocksIterator it = rocks.db.newIterator(rocks.dentries, rocks.plainRead)) {
            for (TimelineState t = tl; t != null; t = t.parent) {
                if (t.mayHold(dir, lsn)) {
                    collectLevel(it, t, lsn, dir, decided);
                }
                lsn = Math.min(lsn, t.branchLsn);
            }
        }
        List<DirEntry> out = new ArrayList<>();
        decided.forEach((name, target) -> target.ifPresent(x -> out.add(new DirEntry(name, x.fileId(), x.type()))));
        return out;
    }

    /** True when {@code dir} has at least one live entry at {@code lsn}. */
    public boolean hasEntries(TimelineState tl, long lsn, long dir) {
        return !entries(tl, lsn, dir).isEmpty();
    }

    private static void collectLevel(
            RocksIterator it,
            TimelineState t,
            long lsn,
            long dir,
            NavigableMap<String, Optional<Values.Target>> decided) {
        byte[] prefix = Keys.dirPrefix(t.id, dir);
        String current = null;
        Optional<Values.Target> currentTarget = null;
        for (it.seek(prefix); it.isValid(); it.next()) {
            byte[] key = it.key();
            if (!Keys.startsWith(key, prefix)) {
                break;
            }
            int nameEnd = key.length - Keys.LSN_BYTES - 1;
            String name =
                    new String(key, prefix.length, nameEnd - prefix.length, java.nio.charset.StandardCharsets.UTF_8);
            long versionLsn = Keys.lsnOf(key);
            if (!name.equals(current)) {
                if (current != null && currentTarget != null) {
                    decided.putIfAbsent(current, currentTarget);
                }
                current = name;
                currentTarget = null;
            }
            if (versionLsn <= lsn) {
                currentTarget = Values.dentry(it.value());
            }
        }
        check(it);
        if (current != null && currentTarget != null) {
            decided.putIfAbsent(current, currentTarget);
        }
    }

    private record Version(byte[] value, long lsn) {}

    /**
     * Positions at the last key at or below {@code target} and returns it when it shares the first
     * {@code prefixLength} bytes and is exactly one LSN longer (a version of the same key).
     */
    private static Optional<Version> seekVersion(RocksIterator it, byte[] target, int prefixLength) {
        it.seekForPrev(target);
        if (!it.isValid()) {
            check(it);
            return Optional.empty();
        }
        byte[] key = it.key();
        if (key.length != target.length || !Arrays.equals(key, 0, prefixLength, target, 0, prefixLength)) {
            return Optional.empty();
        }
        return Optional.of(new Version(it.value(), Keys.lsnOf(key)));
    }

    static void check(RocksIterator it) {
        try {
            it.status();
        } catch (RocksDBException e) {
            throw new StorageIoException("read failed: " + e.getMessage(), e);
        }
    }

    static int compareUtf8(String a, String b) {
        return Arrays.compareUnsigned(Keys.nameBytes(a), Keys.nameBytes(b));
    }
}
