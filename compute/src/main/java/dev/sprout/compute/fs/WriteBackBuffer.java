package dev.sprout.compute.fs;

import static dev.sprout.compute.fs.PageFs.PAGE_SIZE;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.sprout.protocol.client.PageResult;
import dev.sprout.protocol.client.PagesRead;
import dev.sprout.protocol.v1.PageRef;
import dev.sprout.protocol.v1.PageWrite;
import dev.sprout.protocol.v1.Resize;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The contents of the files of one filesystem, held between the pageserver and the FUSE layer: written pages
 * kept in memory until they are committed (the write-back buffer), and a cache of clean pages. It knows file
 * ids, blocks and sizes; it knows nothing of names.
 *
 * <p>What it guarantees:
 * <ul>
 *   <li>A read returns exactly what the writes and truncations made so far left there, whatever has been committed,
 *       evicted or is in flight: for each block, in this order, the dirty page, the page of a commit under way,
 *       the clean cache, zeros for a block at or past the smallest size since the last commit (a hole or a cut only
 *       this compute knows of), and otherwise the page source's page.</li>
 *   <li>Each page version committed is whole: a partial write is built on the page's current image, taken once
 *       (pinned) under the file's monitor, so a clean page evicted meanwhile cannot change what it is built on.</li>
 *   <li>A truncation down to the middle of a page zeroes that page's tail (it must read as zeros if the file grows
 *       again), drops every page past the new size, and commits the size with the file's dirty pages before it
 *       returns.</li>
 *   <li>{@link #fsync} returns only after the page source acknowledged every page and size change of the file
 *       made before it; {@link #syncAll} the same for every file. Within a commit, sizes apply before pages, and a
 *       file's new size travels in the batch that carries its first page, so a page never lands past its size.</li>
 *   <li>When a write leaves more than {@link FsOptions#dirtyLimitBytes()} dirty, every file is committed (one
 *       writer does it; the others go on, unless more than twice the limit is dirty, then they wait for it).</li>
 *   <li>A file unlinked while open ({@link #keepDeleted}) reads at the LSN before its unlink and is never
 *       committed again; a file {@link #delete deleted} for good is forgotten with all its pages.</li>
 * </ul>
 *
 * <p>Concurrency: thread-safe. Each file's state is guarded by its {@link FileState} monitor, held only for memory
 * work, never across a page-source call; commits and truncations of one file are serialised by its
 * {@code flushLock}, taken before the monitor and never while waiting for another file's. Reads and writes of
 * different files run in parallel. The clean cache (Caffeine) evicts on its own threads at any time: nothing
 * looks a clean page up twice and relies on the same answer.
 *
 * <p>Failures: every operation fails with an {@link FsException}. {@link FsError#BAD_HANDLE}: the file id is
 * unknown, or the file was deleted. {@link FsError#INVALID_ARGUMENT}: a negative size. Any error of the page source
 * is passed on as it came; a failed commit keeps the file's pages dirty (a later write of the same block wins), so
 * the next fsync or syncAll sends them again, and the failed call leaves the file as the successful one would have,
 * only not yet committed.
 */
final class WriteBackBuffer {
    /** Pages per commit message: 8 MiB, well under the page service's default 64 MiB frame limit. */
    static final int PAGES_PER_COMMIT = 1024;

    static final ByteString ZERO_PAGE = ByteString.copyFrom(new byte[PAGE_SIZE]);

    /**
     * Readahead of a sequential read that misses, in blocks: it starts at {@link #READAHEAD_MIN} and doubles with
     * each further sequential miss up to {@link #READAHEAD_MAX} (1 MiB). PostgreSQL reads a WAL segment or a table
     * 8 KiB at a time and the kernel hands FUSE a few pages per request, so without it a cold scan or a recovery's
     * WAL replay was one page-service round trip for every 2 or 3 pages.
     */
    static final int READAHEAD_MIN = 16;

    static final int READAHEAD_MAX = 128;

    /**
     * Where pages come from and go to: the pageserver, through the filesystem's session. Both calls block until the
     * answer and fail with an {@link FsException} saying what was asked.
     */
    interface PageSource {
        /** The pages of {@code refs} (all of one file) at {@code lsn} (0: the head), in order. */
        PagesRead getPages(long lsn, List<PageRef> refs);

        /** Commits the pages and sizes (sizes apply first) in one synced commit; returns its LSN. */
        long commit(List<PageWrite> pages, List<Resize> resizes);
    }

    private record PageKey(long fileId, int block) {}

    /**
     * One file's pages and size on their way to the page source; {@code cutTo} (or -1) a cut to send before the size,
     * for a truncation whose commit failed and that a later write grew past.
     */
    private record Pending(FileState file, TreeMap<Integer, ByteString> pages, long size, boolean resize, long cutTo) {}

    private final PageSource source;
    private final FsOptions options;
    private final FsStats stats;
    private final Cache<PageKey, ByteString> clean;
    private final ConcurrentHashMap<Long, FileState> files = new ConcurrentHashMap<>();
    private final AtomicLong dirtyBytes = new AtomicLong();
    private final ReentrantLock flushAll = new ReentrantLock();
    /** Set by {@link #discard}: nothing is committed from then on. */
    private volatile boolean discarded;

    WriteBackBuffer(PageSource source, FsOptions options, FsStats stats) {
        this.source = source;
        this.options = options;
        this.stats = stats;
        this.clean = Caffeine.newBuilder()
                .maximumWeight(options.cacheBytes())
                .weigher((PageKey k, ByteString v) -> v == ZERO_PAGE ? 64 : PAGE_SIZE + 64)
                .build();
    }

    long dirtyBytes() {
        return dirtyBytes.get();
    }

    // ---- files ---------------------------------------------------------------------------------------------------

    /** A file just created, empty (replacing any state kept under its id). */
    void created(long fileId) {
        files.put(fileId, new FileState(fileId, 0));
    }

    /** A file found in the timeline with {@code size} bytes; kept as it is if already known. */
    void found(long fileId, long size) {
        files.computeIfAbsent(fileId, id -> new FileState(id, size));
    }

    /** The file's size as written so far (committed or not). */
    long size(long fileId) {
        return file(fileId).sizeNow();
    }

    /**
     * Deletes the file for good: under its flush lock (no commit of it runs meanwhile) {@code unlink} removes it
     * from the timeline; if that succeeds, its dirty and cached pages are dropped and its id is unknown from then on.
     */
    void delete(long fileId, Runnable unlink) {
        FileState f = file(fileId);
        f.flushLock.lock();
        try {
            unlink.run();
            forget(f);
        } finally {
            f.flushLock.unlock();
        }
    }

    /** Forgets a file already gone from the timeline (the last name of an unlinked, open file). */
    void forget(long fileId) {
        forget(file(fileId));
    }

    /**
     * The file leaves the timeline but stays open: under its flush lock {@code unlink} removes it and returns the
     * LSN of the removal. From then on its reads go to the LSN before it and nothing of it is committed again.
     */
    void keepDeleted(long fileId, LongSupplier unlink) {
        FileState f = file(fileId);
        f.flushLock.lock();
        try {
            long unlinkedAt = unlink.getAsLong();
            synchronized (f) {
                f.deletedAt = unlinkedAt - 1;
            }
        } finally {
            f.flushLock.unlock();
        }
    }

    /**
     * A rename over the file {@code replacedId}: under its flush lock {@code rename} replaces it; if that succeeds
     * and the file moved there is another one, the replaced file is forgotten with its pages.
     */
    void replace(long replacedId, long movedId, Runnable rename) {
        FileState replaced = file(replacedId);
        replaced.flushLock.lock();
        try {
            rename.run();
            if (replaced.fileId != movedId) {
                forget(replaced);
            }
        } finally {
            replaced.flushLock.unlock();
        }
    }

    /** The file is gone from the timeline: drop its dirty pages and cached pages. */
    private void forget(FileState f) {
        int blocks;
        synchronized (f) {
            dirtyBytes.addAndGet(-(long) f.dirty.size() * PAGE_SIZE);
            f.dirty.clear();
            f.gone = true;
            f.epoch++;
            blocks = FileState.blocks(Math.max(f.size, f.storedSize));
        }
        files.remove(f.fileId, f);
        invalidate(f.fileId, 0, blocks);
    }

    // ---- contents ------------------------------------------------------------------------------------------------

    /** Reads up to {@code count} bytes at {@code offset} into {@code out} (from its index 0); returns how many. */
    int read(long fileId, ByteBuffer out, int count, long offset) {
        FileState f = file(fileId);
        long end;
        List<Integer> missing = new ArrayList<>();
        Map<Integer, CompletableFuture<ByteString>> joined = new HashMap<>();
        FileState.Fetch ours;
        int wanted;
        long lsn;
        synchronized (f) {
            if (offset >= f.size || count <= 0) {
                return 0;
            }
            end = Math.min(offset + count, f.size);
            int first = (int) (offset / PAGE_SIZE);
            int last = (int) ((end - 1) / PAGE_SIZE);
            boolean sequential = first == f.readNext || first + 1 == f.readNext;
            f.readNext = last + 1;
            for (int b = first; b <= last; b++) {
                byte[] d = f.dirty.get(b);
                if (d != null) {
                    copyOut(out, offset, end, b, d);
                    continue;
                }
                ByteString page = f.inFlight.get(b);
                if (page == null) {
                    page = clean.getIfPresent(new PageKey(fileId, b));
                }
                if (page == null && (long) b * PAGE_SIZE >= f.floor) {
                    page = ZERO_PAGE; // a hole this compute made, or a cut not committed yet
                }
                if (page != null) {
                    copyOut(out, offset, end, b, page);
                    continue;
                }
                FileState.Fetch other = f.fetching.get(b);
                if (other != null && other.epoch() == f.epoch) {
                    int block = b;
                    joined.put(block, other.pages().thenApply(pages -> pages.get(block))); // another read asked for it
                } else {
                    missing.add(b);
                }
            }
            wanted = missing.size();
            if (wanted + joined.size() > 0) {
                f.readahead = sequential ? Math.min(READAHEAD_MAX, Math.max(READAHEAD_MIN, 2 * f.readahead)) : 0;
                // the blocks after this read that nothing here holds or asked for: they come in the same round trip
                int from = f.aheadTo > last + 1 && f.aheadTo <= last + 1 + READAHEAD_MAX ? f.aheadTo : last + 1;
                int stop = (int) Math.min((long) last + 1 + f.readahead, (f.floor + PAGE_SIZE - 1) / PAGE_SIZE);
                if (stop > from) {
                    f.aheadTo = stop;
                }
                for (int b = from; b < stop; b++) {
                    if (f.dirty.containsKey(b)
                            || f.inFlight.containsKey(b)
                            || f.fetching.containsKey(b)
                            || clean.getIfPresent(new PageKey(fileId, b)) != null) {
                        break;
                    }
                    missing.add(b);
                }
            }
            lsn = f.readLsn();
            ours = new FileState.Fetch(new CompletableFuture<>(), f.epoch);
            for (int b : missing) {
                f.fetching.put(b, ours); // reads that need these blocks meanwhile wait for this fetch
            }
        }
        stats.pagesRead.add(missing.size());
        if (!missing.isEmpty()) {
            Map<Integer, ByteString> fetched;
            try {
                fetched = fetch(f, missing, lsn);
            } catch (RuntimeException | Error e) {
                settle(f, missing, ours, null, e);
                throw e;
            }
            settle(f, missing, ours, fetched, null);
            for (int b : missing.subList(0, wanted)) {
                copyOut(out, offset, end, b, fetched.get(b));
            }
        }
        for (Map.Entry<Integer, CompletableFuture<ByteString>> j : joined.entrySet()) {
            copyOut(out, offset, end, j.getKey(), await(j.getValue()));
        }
        return (int) (end - offset);
    }

    /**
     * A fetch is over: its pages go to the clean cache (unless a commit or cut landed meanwhile, see
     * {@link FileState#epoch}), it stops being the one later reads wait for, and the reads waiting for it go on.
     */
    private void settle(
            FileState f, List<Integer> blocks, FileState.Fetch fetch, Map<Integer, ByteString> pages, Throwable e) {
        synchronized (f) {
            if (pages != null && f.epoch == fetch.epoch()) {
                pages.forEach((b, page) -> clean.put(new PageKey(f.fileId, b), page));
            }
            for (int b : blocks) {
                f.fetching.remove(b, fetch);
            }
        }
        if (pages != null) {
            fetch.pages().complete(pages);
        } else {
            fetch.pages().completeExceptionally(e);
        }
    }

    /** The page another read's fetch brought, or that fetch's failure as this read's. */
    private static ByteString await(CompletableFuture<ByteString> page) {
        try {
            return page.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    /**
     * Writes {@code count} bytes of {@code src} (from its index 0) at {@code offset}; returns {@code count}. Commits
     * every file first if the write leaves more than the dirty limit held.
     */
    int write(long fileId, ByteBuffer src, int count, long offset) {
        if (count <= 0) {
            return 0;
        }
        writePages(file(fileId), src, count, offset);
        stats.bytesWritten.add(count);
        if (dirtyBytes.get() > options.dirtyLimitBytes()) {
            relieveDirtyPressure();
        }
        return count;
    }

    private void writePages(FileState f, ByteBuffer src, int count, long offset) {
        long fileId = f.fileId;
        long end = offset + count;
        int first = (int) (offset / PAGE_SIZE);
        int last = (int) ((end - 1) / PAGE_SIZE);
        Map<Integer, ByteString> bases = new HashMap<>(2);
        long basesEpoch = -1;
        while (true) {
            List<Integer> need = new ArrayList<>(2);
            long epoch;
            long lsn;
            synchronized (f) {
                if (f.gone) {
                    throw new FsException(FsError.BAD_HANDLE, "file " + fileId + " was deleted");
                }
                if (f.epoch != basesEpoch) {
                    bases.clear();
                }
                // The images partial pages are built on, taken once: a clean page may leave the cache (Caffeine
                // evicts on its own threads) between a look here and a second look below.
                Map<Integer, ByteString> pinned = new HashMap<>(2);
                for (int b : new int[] {first, last}) {
                    if (partial(b, offset, end) && !f.dirty.containsKey(b) && !pinned.containsKey(b)) {
                        ByteString base = base(f, b, bases);
                        if (base != null) {
                            pinned.put(b, base);
                        } else if (!need.contains(b)) {
                            need.add(b);
                        }
                    }
                }
                if (need.isEmpty()) {
                    int added = 0;
                    for (int b = first; b <= last; b++) {
                        byte[] page = f.dirty.get(b);
                        if (page == null) {
                            page = new byte[PAGE_SIZE];
                            if (partial(b, offset, end)) {
                                pinned.get(b).copyTo(page, 0);
                            }
                            f.dirty.put(b, page);
                            added++;
                        }
                        long from = Math.max(offset, (long) b * PAGE_SIZE);
                        long to = Math.min(end, (long) (b + 1) * PAGE_SIZE);
                        src.get((int) (from - offset), page, (int) (from - (long) b * PAGE_SIZE), (int) (to - from));
                    }
                    f.size = Math.max(f.size, end);
                    dirtyBytes.addAndGet((long) added * PAGE_SIZE);
                    break;
                }
                epoch = f.epoch;
                lsn = f.readLsn();
            }
            bases.putAll(fetch(f, need, lsn));
            basesEpoch = epoch;
        }
    }

    /** Sets the file's size (ftruncate): commits it, with the file's dirty pages, before returning. */
    void truncate(long fileId, long newSize) {
        if (newSize < 0) {
            throw new FsException(FsError.INVALID_ARGUMENT, "size " + newSize + " is negative");
        }
        FileState f = file(fileId);
        f.flushLock.lock();
        try {
            long oldSize;
            synchronized (f) {
                oldSize = f.size;
            }
            if (newSize < oldSize && newSize % PAGE_SIZE != 0) {
                // The cut page keeps its head; its tail must read as zeros if the file grows again.
                int tail = (int) Math.min(oldSize - newSize, PAGE_SIZE - newSize % PAGE_SIZE);
                writePages(f, ByteBuffer.allocate(tail), tail, newSize);
            }
            int keep = FileState.blocks(newSize);
            int had;
            synchronized (f) {
                had = FileState.blocks(Math.max(f.size, f.storedSize));
                var cut = f.dirty.tailMap(keep);
                dirtyBytes.addAndGet(-(long) cut.size() * PAGE_SIZE);
                cut.clear();
                f.size = newSize;
                f.floor = Math.min(f.floor, newSize);
                f.epoch++;
            }
            invalidate(fileId, keep, had);
            commit(f);
        } finally {
            f.flushLock.unlock();
        }
    }

    // ---- write-back ----------------------------------------------------------------------------------------------

    /** Commits every page and size change of the file written so far, and waits for the synced answer. */
    void fsync(long fileId) {
        FileState f = file(fileId);
        if (discarded) {
            return;
        }
        f.flushLock.lock();
        try {
            commit(f);
        } finally {
            f.flushLock.unlock();
        }
        stats.fsyncs.increment();
    }

    /**
     * Commits every file's pending pages and sizes. Files are packed together, {@link #PAGES_PER_COMMIT} pages a
     * commit, so a thousand small files cost a few commits rather than a thousand.
     */
    void syncAll() {
        if (discarded) {
            return;
        }
        flushAll.lock();
        try {
            List<FileState> locked = new ArrayList<>();
            List<FileState> busy = new ArrayList<>();
            try {
                for (FileState f : files.values()) {
                    // Never wait for one file's lock while holding another's: a busy file is committed on its own.
                    (f.flushLock.tryLock() ? locked : busy).add(f);
                }
                List<Pending> pending = new ArrayList<>();
                for (FileState f : locked) {
                    snapshot(f).ifPresent(pending::add);
                }
                send(pending);
            } finally {
                locked.forEach(f -> f.flushLock.unlock());
            }
            for (FileState f : busy) {
                f.flushLock.lock();
                try {
                    commit(f);
                } finally {
                    f.flushLock.unlock();
                }
            }
        } finally {
            flushAll.unlock();
        }
    }

    /**
     * Stops committing for good: what is dirty now and whatever is written later stays dirty in memory (reads
     * still see it; the dirty limit no longer applies) and never reaches the page source; fsync and syncAll return
     * at once, a truncation applies in memory only. For a filesystem whose timeline is
     * being deleted, so that stopping it does not first push pages nobody will read.
     */
    void discard() {
        discarded = true;
    }

    private void relieveDirtyPressure() {
        if (discarded) {
            return; // nothing is committed any more: dirty pages stay until the filesystem goes
        }
        // One writer commits everything; the others go on unless far over the limit, then they wait for it.
        if (dirtyBytes.get() > 2 * options.dirtyLimitBytes()) {
            flushAll.lock();
        } else if (!flushAll.tryLock()) {
            return;
        }
        try {
            if (dirtyBytes.get() > options.dirtyLimitBytes()) {
                stats.pressureFlushes.increment();
                syncAll();
            }
        } finally {
            flushAll.unlock();
        }
    }

    /** Caller holds {@code f.flushLock}. */
    private void commit(FileState f) {
        snapshot(f).ifPresent(p -> send(List.of(p)));
    }

    /**
     * Moves the file's dirty pages to its in-flight set (immutable from now on) and notes its size; empty if
     * there is nothing to commit. Caller holds {@code f.flushLock}.
     */
    private Optional<Pending> snapshot(FileState f) {
        TreeMap<Integer, ByteString> pages = new TreeMap<>();
        Pending p;
        synchronized (f) {
            // A cut the pageserver has not seen (its commit failed) below the size: without it, what the pageserver
            // still holds between the two would come back when the cut's zeros leave the compute.
            long cutTo = f.floor < f.storedSize && f.floor < f.size ? f.floor : -1;
            boolean resize = f.size != f.storedSize || f.sizeUnsure || cutTo >= 0;
            if (f.gone || f.deletedAt != 0 || (f.dirty.isEmpty() && !resize)) {
                return Optional.empty(); // nothing to say, or a deleted file nobody can see any more
            }
            f.dirty.forEach((b, page) -> pages.put(b, UnsafeByteOperations.unsafeWrap(page)));
            f.dirty.clear();
            f.inFlight = pages;
            p = new Pending(f, pages, f.size, resize, cutTo);
        }
        dirtyBytes.addAndGet(-(long) pages.size() * PAGE_SIZE);
        return Optional.of(p);
    }

    /**
     * Commits the pending files in batches of at most {@link #PAGES_PER_COMMIT} pages. A file's new size goes in
     * the batch that carries its first page (resizes apply before pages within a commit), so every page lies
     * within its file's size when it lands. Caller holds each file's {@code flushLock}.
     */
    private void send(List<Pending> pending) {
        if (pending.isEmpty()) {
            return;
        }
        if (discarded) {
            // the timeline is going away: the pages stay dirty (readable here) and never reach the page source
            pending.forEach(this::failed);
            return;
        }
        try {
            List<PageWrite> batch = new ArrayList<>();
            List<Resize> resizes = new ArrayList<>();
            for (Pending p : pending) {
                if (p.cutTo() >= 0) {
                    resizes.add(Resize.newBuilder()
                            .setFileId(p.file().fileId)
                            .setSize(p.cutTo())
                            .build());
                }
                if (p.resize()) {
                    resizes.add(Resize.newBuilder()
                            .setFileId(p.file().fileId)
                            .setSize(p.size())
                            .build());
                }
                for (var e : p.pages().entrySet()) {
                    batch.add(PageWrite.newBuilder()
                            .setFileId(p.file().fileId)
                            .setBlock(e.getKey())
                            .setData(e.getValue())
                            .build());
                    if (batch.size() == PAGES_PER_COMMIT) {
                        commitBatch(batch, resizes);
                    }
                }
            }
            if (!batch.isEmpty() || !resizes.isEmpty()) {
                commitBatch(batch, resizes);
            }
        } catch (FsException e) {
            pending.forEach(this::failed);
            throw e;
        }
        pending.forEach(this::landed);
    }

    private void commitBatch(List<PageWrite> batch, List<Resize> resizes) {
        source.commit(List.copyOf(batch), List.copyOf(resizes));
        stats.commits.increment();
        stats.pagesCommitted.add(batch.size());
        batch.clear();
        resizes.clear();
    }

    private void landed(Pending p) {
        FileState f = p.file();
        synchronized (f) {
            f.storedSize = p.size();
            f.floor = p.size();
            p.pages().forEach((b, page) -> clean.put(new PageKey(f.fileId, b), page));
            f.inFlight = Map.of();
            f.sizeUnsure = false;
            f.epoch++;
        }
    }

    /**
     * Keeps what was not acknowledged (some batches may have landed; committing them again is harmless). A size it
     * carried may have landed too: the next commit sends the size again whatever it is.
     */
    private void failed(Pending p) {
        FileState f = p.file();
        synchronized (f) {
            f.sizeUnsure |= p.resize();
            // A later write of the same block wins over the old image.
            p.pages().forEach((b, page) -> {
                if (!f.dirty.containsKey(b)) {
                    f.dirty.put(b, page.toByteArray());
                    dirtyBytes.addAndGet(PAGE_SIZE);
                }
            });
            f.inFlight = Map.of();
        }
    }

    // ---- pages ---------------------------------------------------------------------------------------------------

    private Map<Integer, ByteString> fetch(FileState f, List<Integer> blocks, long lsn) {
        List<PageRef> refs = new ArrayList<>(blocks.size());
        for (int b : blocks) {
            refs.add(PageRef.newBuilder().setFileId(f.fileId).setBlock(b).build());
        }
        PagesRead read = source.getPages(lsn, refs);
        Map<Integer, ByteString> out = new HashMap<>(blocks.size() * 2);
        for (int i = 0; i < blocks.size(); i++) {
            out.put(
                    blocks.get(i),
                    switch (read.pages().get(i)) {
                        case PageResult.Found found -> found.data();
                        case PageResult.Absent absent -> ZERO_PAGE;
                    });
        }
        stats.getPagesCalls.increment();
        return out;
    }

    /** The current image of block {@code b} to build a partial write on, or null if it must be fetched. */
    private ByteString base(FileState f, int b, Map<Integer, ByteString> fetched) {
        if (f.dirty.containsKey(b)) {
            return ZERO_PAGE; // unused: the dirty page itself is written into
        }
        ByteString page = f.inFlight.get(b);
        if (page == null) {
            page = fetched.get(b);
        }
        if (page == null) {
            page = clean.getIfPresent(new PageKey(f.fileId, b));
        }
        if (page == null && (long) b * PAGE_SIZE >= f.floor) {
            page = ZERO_PAGE; // past the end, or a hole only this compute has made so far
        }
        return page;
    }

    private static boolean partial(int b, long offset, long end) {
        return offset > (long) b * PAGE_SIZE || end < (long) (b + 1) * PAGE_SIZE;
    }

    private static void copyOut(ByteBuffer out, long offset, long end, int b, byte[] page) {
        long from = Math.max(offset, (long) b * PAGE_SIZE);
        long to = Math.min(end, (long) (b + 1) * PAGE_SIZE);
        out.put((int) (from - offset), page, (int) (from - (long) b * PAGE_SIZE), (int) (to - from));
    }

    private static void copyOut(ByteBuffer out, long offset, long end, int b, ByteString page) {
        long from = Math.max(offset, (long) b * PAGE_SIZE);
        long to = Math.min(end, (long) (b + 1) * PAGE_SIZE);
        int at = (int) (from - (long) b * PAGE_SIZE);
        ByteBuffer dst = out.slice((int) (from - offset), (int) (to - from));
        page.substring(at, at + (int) (to - from)).copyTo(dst);
    }

    private void invalidate(long fileId, int fromBlock, int toBlock) {
        for (int b = fromBlock; b < toBlock; b++) {
            clean.invalidate(new PageKey(fileId, b));
        }
    }

    private FileState file(long fileId) {
        FileState f = files.get(fileId);
        if (f == null) {
            throw new FsException(FsError.BAD_HANDLE, "no open file has id " + fileId);
        }
        return f;
    }
}
