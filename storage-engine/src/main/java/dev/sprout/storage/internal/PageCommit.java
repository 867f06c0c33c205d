package dev.sprout.storage.internal;

import dev.sprout.storage.error.InvalidPageException;
import dev.sprout.storage.error.IsDirectoryException;
import dev.sprout.storage.namespace.FileAttr;
import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.page.PageRead;
import dev.sprout.storage.page.Pages;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.rocksdb.RocksIterator;

/**
 * Turns a {@link PageBatch} into keys at one LSN: page versions, truncation markers (empty values) for every
 * stored block a shrink cuts off, and a new attribute version for every file whose size changed.
 *
 * <p>Invariants it keeps, which make reads a single lookup with no size check:
 * <ul>
 *   <li>no block at or past a file's size has a visible image (writes there are refused; shrinking writes a
 *       marker over each cut block), so a file that grows again reads zeros there;</li>
 *   <li>the bytes past the size in a file's last, partial block are zero, so growing the file exposes zeros.</li>
 * </ul>
 */
public final class PageCommit {
    private static final byte[] CUT = new byte[0];
    private static final byte[] NO_VALUE = new byte[0];

    private final RocksHandles rocks;
    private final Registry registry;
    private final VersionedReader reader;
    private final NamespaceOps namespace;
    private final BlockMaps blockMaps;

    PageCommit(
            RocksHandles rocks,
            Registry registry,
            VersionedReader reader,
            NamespaceOps namespace,
            BlockMaps blockMaps) {
        this.rocks = rocks;
        this.registry = registry;
        this.reader = reader;
        this.namespace = namespace;
        this.blockMaps = blockMaps;
    }

    /** What the group-commit writer needs to keep conflicting batches in separate groups. */
    public static Set<Object> footprint(PageBatch batch) {
        Set<Object> keys = new HashSet<>();
        for (PageBatch.Op op : batch.ops()) {
            keys.add(new FileOnTimeline(batch.timeline(), op.fileId()));
        }
        return keys;
    }

    private record FileOnTimeline(Object timeline, long file) {}

    /** Validates {@code batch} against the timeline's head and puts its keys; runs under the writer's lock. */
    public long apply(PageBatch batch, Txn txn) {
        TimelineState t = registry.require(batch.timeline());
        Map<Long, FileAttr> attrs = new LinkedHashMap<>();
        Map<Long, Long> sizes = new LinkedHashMap<>();
        Map<Long, TreeMap<Integer, byte[]>> blocks = new LinkedHashMap<>();
        for (PageBatch.Op op : batch.ops()) {
            long file = op.fileId();
            FileAttr attr = attrs.computeIfAbsent(file, f -> namespace.attr(t, NamespaceOps.HEAD, f));
            if (attr.isDirectory()) {
                throw new IsDirectoryException("file " + file + " is a directory; pages belong to regular files");
            }
            TreeMap<Integer, byte[]> written = blocks.computeIfAbsent(file, f -> new TreeMap<>());
            long size = sizes.getOrDefault(file, attr.size());
            switch (op) {
                case PageBatch.Write w -> written.put(w.block(), w.page());
                case PageBatch.Resize r -> {
                    long newSize = r.size();
                    if (newSize < size) {
                        int from = (int) Pages.pagesFor(newSize);
                        int to = (int) Pages.pagesFor(size);
                        // Markers only where a version is stored: a sparse file's empty blocks need none.
                        for (int b : reader.storedBlocks(t, NamespaceOps.HEAD, file, from, to)) {
                            written.put(b, CUT);
                        }
                        written.tailMap(from).replaceAll((b, page) -> CUT); // earlier writes of this batch past the cut
                        zeroTail(t, file, newSize, written, true);
                    }
                    sizes.put(file, newSize);
                }
            }
        }
        long versions = 0;
        long bytes = 0;
        long logicalDelta = 0;
        try (RocksIterator heads = rocks.db.newIterator(rocks.pages, rocks.pageRead)) {
            for (var e : blocks.entrySet()) {
                long file = e.getKey();
                FileAttr attr = attrs.get(file);
                long size = sizes.getOrDefault(file, attr.size());
                TreeMap<Integer, byte[]> written = e.getValue();
                for (var page : written.descendingMap().entrySet()) {
                    if ((long) page.getKey() * Pages.PAGE_SIZE < size) {
                        break;
                    }
                    if (page.getValue().length > 0) {
                        throw new InvalidPageException(
                                "block " + page.getKey() + " of file " + file + " lies beyond the file's size of "
                                        + size + " bytes after this batch (resize the file in the same batch)");
                    }
                }
                zeroTail(t, file, size, written, false);
                for (var page : written.entrySet()) {
                    byte[] stored = stored(heads, t, file, page.getKey(), page.getValue(), attr.size());
                    txn.put(rocks.pages, Keys.page(t.id, file, page.getKey(), txn.lsn), stored);
                    txn.put(rocks.meta, Keys.metaChange(t.id, txn.lsn, file, page.getKey()), NO_VALUE);
                    versions++;
                    bytes += stored.length;
                }
                if (size != attr.size()) {
                    logicalDelta += size - attr.size();
                    FileAttr resized = new FileAttr(
                            file, attr.type(), size, attr.mode(), attr.uid(), attr.gid(), attr.mtimeMicros(), txn.lsn);
                    txn.put(rocks.attrs, Keys.attr(t.id, file, txn.lsn), Values.attr(resized));
                }
                txn.touch(t, file);
                txn.afterCommit(() -> written.keySet().forEach(block -> blockMaps.written(t, file, block, txn.lsn)));
            }
        }
        txn.changes(t, versions, bytes, logicalDelta);
        return txn.lsn;
    }

    /**
     * What to store for a new version {@code page} of a block: a delta against the timeline's own newest version
     * of the block when that is small and the chain short ({@link PageDelta}), else a delta on zeros when the page
     * is mostly zeros, else the page itself. A block at or past the file's size before the batch has no visible
     * version to build on (the store keeps none there, or a cut marker), so an appended or imported page costs no
     * lookup.
     */
    private byte[] stored(RocksIterator heads, TimelineState t, long file, int block, byte[] page, long sizeBefore) {
        if (page.length != Pages.PAGE_SIZE) {
            return page;
        }
        Optional<VersionedReader.Chain> head =
                (long) block * Pages.PAGE_SIZE >= sizeBefore ? Optional.empty() : reader.ownHead(heads, t, file, block);
        if (head.isEmpty() || head.get().depth() >= PageDelta.MAX_CHAIN) {
            return PageDelta.encodeOnZeros(page).orElse(page); // a mostly empty page: its bytes, not 8 KiB
        }
        // a chain holds at most two pages' worth of delta bytes, so a read folds little; a WAL page appended to
        // by a few hundred bytes per commit fills up before its chain does
        int budget = PageDelta.MAX_CHAIN_BYTES - head.get().deltaBytes();
        return PageDelta.encode(head.get().image(), page, budget).orElse(page);
    }

    /**
     * Zeroes the bytes past {@code size} in the block that holds the file's last byte. With {@code readStored},
     * a block not written in this batch is read from the store (a truncation must clean the stored tail too).
     */
    private void zeroTail(
            TimelineState t, long file, long size, NavigableMap<Integer, byte[]> written, boolean readStored) {
        int offset = (int) (size % Pages.PAGE_SIZE);
        if (offset == 0) {
            return;
        }
        int block = (int) (size / Pages.PAGE_SIZE);
        byte[] page = written.get(block);
        if (page == null && readStored) {
            if (reader.page(t, NamespaceOps.HEAD, file, block) instanceof PageRead.Found found) {
                page = found.page();
            }
        }
        if (page == null || page.length == 0 || isZero(page, offset)) {
            return;
        }
        byte[] copy = Arrays.copyOf(page, page.length);
        Arrays.fill(copy, offset, copy.length, (byte) 0);
        written.put(block, copy);
    }

    private static boolean isZero(byte[] page, int from) {
        for (int i = from; i < page.length; i++) {
            if (page[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
