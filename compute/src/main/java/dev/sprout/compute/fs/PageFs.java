package dev.sprout.compute.fs;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.sprout.protocol.client.FencedException;
import dev.sprout.protocol.client.PageResult;
import dev.sprout.protocol.client.PageSession;
import dev.sprout.protocol.client.PagesRead;
import dev.sprout.protocol.client.RefusedException;
import dev.sprout.protocol.v1.DirEntry;
import dev.sprout.protocol.v1.FileAttr;
import dev.sprout.protocol.v1.FileType;
import dev.sprout.protocol.v1.PageRef;
import dev.sprout.protocol.v1.PageWrite;
import dev.sprout.protocol.v1.Resize;
import dev.sprout.protocol.v1.SetAttr;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One timeline as a POSIX directory tree, over a read-write page-service session. The FUSE layer calls it;
 * it knows nothing of FUSE.
 *
 * <p>What it guarantees, because PostgreSQL relies on it:
 * <ul>
 *   <li>One order: every namespace change (create, mkdir, unlink, rmdir, rename, chmod) is a synced pageserver
 *       change before it returns, and file contents and sizes reach the pageserver only in commits, in the
 *       session's order. A branch at any LSN therefore sees a state some crash could have left.</li>
 *   <li>{@link #fsync} returns only after the pageserver acknowledged a synced commit of every page and size
 *       change of that file written before it. Written pages are held in the compute until then, or until
 *       more than {@link FsOptions#dirtyLimitBytes()} are held (then all files are committed).</li>
 *   <li>Each page version stored is whole: a partial write becomes a read-modify-write of the 8 KiB page.</li>
 *   <li>A file unlinked while still open (FUSE renames it to {@code .fuse_hidden…}) leaves the timeline at
 *       once: a branch never sees it. Its reads go to the LSN before the unlink; its writes stay local.</li>
 * </ul>
 *
 * <p>The compute is the timeline's only writer (the pageserver fences any other), so its caches of names,
 * attributes and pages are authoritative and never revalidated.
 *
 * <p>Concurrency: thread-safe; FUSE calls it from many threads. Namespace changes are serialised by one lock
 * (they are rare: about 1,500 in an initdb); reads and writes of different files run in parallel.
 */
public final class PageFs {
    public static final int PAGE_SIZE = 8192;
    /** Pages per commit message: 8 MiB, well under the page service's default 64 MiB frame limit. */
    static final int PAGES_PER_COMMIT = 1024;
    private static final ByteString ZERO_PAGE = ByteString.copyFrom(new byte[PAGE_SIZE]);
    private static final String HIDDEN_PREFIX = ".fuse_hidden";
    private static final Logger log = LoggerFactory.getLogger(PageFs.class);

    /** The attributes {@link #getattr} reports. */
    public record Attr(long fileId, boolean directory, int mode, long size, long mtimeMicros) {}

    private record PageKey(long fileId, int block) {}

    /** A name's cached target. Mode and time change in place (chmod, utimens). */
    private static final class Node {
        final long fileId;
        final boolean directory;
        volatile int mode;
        volatile long mtimeMicros;

        Node(long fileId, boolean directory, int mode, long mtimeMicros) {
            this.fileId = fileId;
            this.directory = directory;
            this.mode = mode;
            this.mtimeMicros = mtimeMicros;
        }
    }

    private final PageSession session;
    private final FsOptions options;
    private final Cache<PageKey, ByteString> clean;
    private final ConcurrentHashMap<String, Node> names = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Node> hidden = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, FileState> files = new ConcurrentHashMap<>();
    private final ReentrantLock namespace = new ReentrantLock();
    /** Bumped by every namespace change; a lookup answered before a bump is not cached after it. */
    private final AtomicLong namespaceVersion = new AtomicLong();
    private final AtomicLong dirtyBytes = new AtomicLong();
    /** The newest LSN any change of this filesystem was acknowledged at. */
    private final AtomicLong lastLsn = new AtomicLong();
    private final ReentrantLock flushAll = new ReentrantLock();
    private final FsStats stats = new FsStats();
    private volatile Runnable onFenced = () -> { };

    public PageFs(PageSession session, FsOptions options) {
        this.session = session;
        this.options = options;
        this.clean = Caffeine.newBuilder()
                .maximumWeight(options.cacheBytes())
                .weigher((PageKey k, ByteString v) -> v == ZERO_PAGE ? 64 : PAGE_SIZE + 64)
                .build();
    }

    /** Called (once per fencing) when the pageserver says another compute took the timeline over. */
    public void onFenced(Runnable action) {
        this.onFenced = action;
    }

    /** The session this filesystem reads and writes through; its owner detaches it after unmounting. */
    public PageSession session() {
        return session;
    }

    public FsOptions options() {
        return options;
    }

    public FsStats stats() {
        return stats;
    }

    public long dirtyBytes() {
        return dirtyBytes.get();
    }

    /**
     * The newest LSN at which the pageserver acknowledged a change of this filesystem: a branch at it (or
     * later) holds everything fsynced so far.
     */
    public long lastLsn() {
        return lastLsn.get();
    }

    private long acknowledged(long lsn) {
        lastLsn.accumulateAndGet(lsn, Math::max);
        return lsn;
    }

    // ---- names -----------------------------------------------------------------------------------------------

    public Attr getattr(String path) {
        Node node = resolve(path);
        long size = node.directory ? 4096 : file(node.fileId).sizeNow();
        return new Attr(node.fileId, node.directory, node.mode, size, node.mtimeMicros);
    }

    public List<String> readdir(String path) {
        Node node = resolve(path);
        if (!node.directory) {
            throw new FsException(FsError.NOT_A_DIRECTORY, "\"" + path + "\" is not a directory");
        }
        List<DirEntry> entries = await(session.readDir(PageSession.SESSION_LSN, path), "readdir " + path);
        List<String> out = new ArrayList<>(entries.size());
        for (DirEntry e : entries) {
            out.add(e.getName());
        }
        return out;
    }

    /** Creates an empty regular file and returns its id (the handle for reads and writes). */
    public long create(String path, int mode) {
        return changeNamespace(() -> {
            var created = await(session.create(path, mode & 07777, options.uid(), options.gid()), "create " + path);
            acknowledged(created.lsn());
            files.put(created.fileId(), new FileState(created.fileId(), 0));
            names.put(path, new Node(created.fileId(), false, mode & 07777, System.currentTimeMillis() * 1000));
            return created.fileId();
        });
    }

    public void mkdir(String path, int mode) {
        changeNamespace(() -> {
            var created = await(session.mkdir(path, mode & 07777, options.uid(), options.gid()), "mkdir " + path);
            acknowledged(created.lsn());
            names.put(path, new Node(created.fileId(), true, mode & 07777, System.currentTimeMillis() * 1000));
            return null;
        });
    }

    /** Opens a file by name; {@code truncate} is O_TRUNC. Returns the file's id, its handle from now on. */
    public long open(String path, boolean truncate) {
        Node node = resolve(path);
        if (node.directory) {
            throw new FsException(FsError.IS_A_DIRECTORY, "\"" + path + "\" is a directory");
        }
        if (truncate) {
            truncate(node.fileId, 0);
        }
        return node.fileId;
    }

    public void unlink(String path) {
        changeNamespace(() -> {
            Node hiddenNode = hidden.remove(path);
            if (hiddenNode != null) {
                forget(file(hiddenNode.fileId));
                return null;
            }
            Node node = resolve(path);
            if (node.directory) {
                throw new FsException(FsError.IS_A_DIRECTORY, "\"" + path + "\" is a directory (use rmdir)");
            }
            FileState f = file(node.fileId);
            f.flushLock.lock();
            try {
                acknowledged(await(session.unlink(path), "unlink " + path));
                names.remove(path);
                forget(f);
            } finally {
                f.flushLock.unlock();
            }
            return null;
        });
    }

    public void rmdir(String path) {
        changeNamespace(() -> {
            acknowledged(await(session.rmdir(path), "rmdir " + path));
            forgetNames(path);
            return null;
        });
    }

    /**
     * Renames {@code from} to {@code to}, replacing a file there atomically. A rename to {@code .fuse_hidden…}
     * is FUSE keeping an unlinked file alive for its open handles: it is an unlink in the timeline.
     */
    public void rename(String from, String to) {
        changeNamespace(() -> {
            if (baseName(to).startsWith(HIDDEN_PREFIX)) {
                hide(from, to);
                return null;
            }
            Node node = resolve(from);
            Optional<Node> replaced = lookupCached(to);
            FileState replacedFile = replaced.filter(n -> !n.directory).map(n -> file(n.fileId)).orElse(null);
            if (replacedFile != null) {
                replacedFile.flushLock.lock();
            }
            try {
                acknowledged(await(session.rename(from, to), "rename " + from + " to " + to));
                forgetNames(from);
                forgetNames(to);
                names.put(to, node);
                if (replacedFile != null && replacedFile.fileId != node.fileId) {
                    forget(replacedFile);
                }
            } finally {
                if (replacedFile != null) {
                    replacedFile.flushLock.unlock();
                }
            }
            return null;
        });
    }

    public void chmod(String path, int mode) {
        changeNamespace(() -> {
            Node node = resolve(path);
            if (hidden.containsKey(path)) {
                node.mode = mode & 07777; // the file has left the timeline; only its open handles see it
                return null;
            }
            acknowledged(await(session.setAttr(SetAttr.newBuilder().setPath(path).setMode(mode & 07777).build()),
                    "chmod " + path));
            node.mode = mode & 07777;
            return null;
        });
    }

    /**
     * Sets the modification time this compute reports. It is not stored: with the writeback cache the kernel
     * sends one after nearly every write, PostgreSQL never reads it, and a synced pageserver change for each
     * would cost as much as a commit. The timeline keeps each file's creation time.
     */
    public void setMtime(String path, long micros) {
        resolve(path).mtimeMicros = micros;
    }

    private void hide(String from, String to) {
        Node node = resolve(from);
        if (node.directory) {
            throw new FsException(FsError.INVALID_ARGUMENT, "\"" + from + "\" is a directory; only files are hidden");
        }
        FileState f = file(node.fileId);
        f.flushLock.lock();
        try {
            long unlinkedAt = acknowledged(await(session.unlink(from), "unlink " + from + " (hidden as " + to + ")"));
            synchronized (f) {
                f.deletedAt = unlinkedAt - 1;
            }
            names.remove(from);
            hidden.put(to, node);
        } finally {
            f.flushLock.unlock();
        }
    }

    private <T> T changeNamespace(java.util.function.Supplier<T> change) {
        namespace.lock();
        try {
            namespaceVersion.incrementAndGet();
            return change.get();
        } finally {
            namespaceVersion.incrementAndGet();
            namespace.unlock();
        }
    }

    private Node resolve(String path) {
        return lookupCached(path).orElseThrow(() -> new FsException(FsError.NO_SUCH_FILE, "no such file: \"" + path + "\""));
    }

    private Optional<Node> lookupCached(String path) {
        Node node = hidden.get(path);
        if (node == null) {
            node = names.get(path);
        }
        if (node != null) {
            return Optional.of(node);
        }
        long version = namespaceVersion.get();
        Optional<FileAttr> found = await(session.lookup(PageSession.SESSION_LSN, path), "lookup " + path);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        FileAttr a = found.get();
        boolean directory = a.getType() == FileType.DIRECTORY;
        Node fresh = new Node(a.getFileId(), directory, a.getMode(), a.getMtimeMicros());
        if (!directory) {
            files.computeIfAbsent(a.getFileId(), id -> new FileState(id, a.getSize()));
        }
        // Cache the answer only if no namespace change ran while it was on its way.
        namespace.lock();
        try {
            if (namespace.getHoldCount() > 1 || namespaceVersion.get() == version) {
                Node raced = names.putIfAbsent(path, fresh);
                return Optional.of(raced != null ? raced : fresh);
            }
        } finally {
            namespace.unlock();
        }
        return Optional.of(fresh);
    }

    private void forgetNames(String path) {
        names.remove(path);
        String prefix = path.equals("/") ? "/" : path + "/";
        names.keySet().removeIf(k -> k.startsWith(prefix));
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

    private static String baseName(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    // ---- contents --------------------------------------------------------------------------------------------

    /** Reads up to {@code count} bytes at {@code offset} into {@code out} (from its index 0); returns how many. */
    public int read(long fileId, ByteBuffer out, int count, long offset) {
        FileState f = file(fileId);
        long end;
        List<Integer> missing = new ArrayList<>();
        long epoch;
        long lsn;
        synchronized (f) {
            if (offset >= f.size || count <= 0) {
                return 0;
            }
            end = Math.min(offset + count, f.size);
            int first = (int) (offset / PAGE_SIZE);
            int last = (int) ((end - 1) / PAGE_SIZE);
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
                } else {
                    missing.add(b);
                }
            }
            epoch = f.epoch;
            lsn = f.readLsn();
        }
        stats.pagesRead.add(missing.size());
        if (!missing.isEmpty()) {
            Map<Integer, ByteString> fetched = fetch(f, missing, lsn);
            synchronized (f) {
                if (f.epoch == epoch) {
                    fetched.forEach((b, page) -> clean.put(new PageKey(fileId, b), page));
                }
            }
            fetched.forEach((b, page) -> copyOut(out, offset, end, b, page));
        }
        return (int) (end - offset);
    }

    /** Writes {@code count} bytes of {@code src} (from its index 0) at {@code offset}; returns {@code count}. */
    public int write(long fileId, ByteBuffer src, int count, long offset) {
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
    public void truncate(long fileId, long newSize) {
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

    /** Commits every page and size change of the file written so far, and waits for the synced answer. */
    public void fsync(long fileId) {
        FileState f = file(fileId);
        f.flushLock.lock();
        try {
            commit(f);
        } finally {
            f.flushLock.unlock();
        }
        stats.fsyncs.increment();
    }

    /**
     * Commits every file's pending pages and sizes (a global sync: after initdb, before a crash restart, at
     * unmount, under memory pressure). Files are packed together, {@link #PAGES_PER_COMMIT} pages a commit, so
     * a thousand small files cost a few commits rather than a thousand.
     */
    public void syncAll() {
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

    private void relieveDirtyPressure() {
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

    /** One file's pages and size on their way to the pageserver. */
    private record Pending(FileState file, TreeMap<Integer, ByteString> pages, long size, boolean resize) {}

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
            if (f.gone || f.deletedAt != 0 || (f.dirty.isEmpty() && f.size == f.storedSize)) {
                return Optional.empty(); // nothing to say, or a deleted file nobody can see any more
            }
            f.dirty.forEach((b, page) -> pages.put(b, UnsafeByteOperations.unsafeWrap(page)));
            f.dirty.clear();
            f.inFlight = pages;
            p = new Pending(f, pages, f.size, f.size != f.storedSize);
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
        try {
            List<PageWrite> batch = new ArrayList<>();
            List<Resize> resizes = new ArrayList<>();
            for (Pending p : pending) {
                if (p.resize()) {
                    resizes.add(Resize.newBuilder().setFileId(p.file().fileId).setSize(p.size()).build());
                }
                for (var e : p.pages().entrySet()) {
                    batch.add(PageWrite.newBuilder().setFileId(p.file().fileId).setBlock(e.getKey()).setData(e.getValue()).build());
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
        acknowledged(await(session.commit(List.copyOf(batch), List.copyOf(resizes)),
                "commit of " + batch.size() + " pages and " + resizes.size() + " sizes"));
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
            f.epoch++;
        }
    }

    /** Keeps what was not acknowledged (some batches may have landed; committing them again is harmless). */
    private void failed(Pending p) {
        FileState f = p.file();
        synchronized (f) {
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

    private Map<Integer, ByteString> fetch(FileState f, List<Integer> blocks, long lsn) {
        List<PageRef> refs = new ArrayList<>(blocks.size());
        for (int b : blocks) {
            refs.add(PageRef.newBuilder().setFileId(f.fileId).setBlock(b).build());
        }
        PagesRead read = await(session.getPages(lsn, refs), "read of " + blocks.size() + " pages of file " + f.fileId);
        Map<Integer, ByteString> out = new HashMap<>(blocks.size() * 2);
        for (int i = 0; i < blocks.size(); i++) {
            out.put(blocks.get(i), switch (read.pages().get(i)) {
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

    // ---- pageserver calls ------------------------------------------------------------------------------------

    private <T> T await(CompletableFuture<T> call, String what) {
        try {
            return call.get(options.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FsException(FsError.IO, what + ": interrupted", e);
        } catch (TimeoutException e) {
            call.cancel(false);
            throw new FsException(FsError.IO, what + ": no answer from the pageserver within " + options.requestTimeout(), e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof FencedException) {
                log.error("{}: another compute took this timeline over; this one may no longer write", what);
                onFenced.run();
                throw new FsException(FsError.IO, what + ": fenced: " + cause.getMessage(), cause);
            }
            if (cause instanceof RefusedException r) {
                throw new FsException(errorOf(r.code()), what + ": " + r.getMessage(), r);
            }
            throw new FsException(FsError.IO, what + ": " + cause.getMessage(), cause);
        }
    }

    private static FsError errorOf(dev.sprout.protocol.v1.Code code) {
        return switch (code) {
            case NO_SUCH_FILE -> FsError.NO_SUCH_FILE;
            case FILE_EXISTS -> FsError.FILE_EXISTS;
            case NOT_A_DIRECTORY -> FsError.NOT_A_DIRECTORY;
            case IS_A_DIRECTORY -> FsError.IS_A_DIRECTORY;
            case DIRECTORY_NOT_EMPTY -> FsError.DIRECTORY_NOT_EMPTY;
            case INVALID_NAME -> FsError.NAME_TOO_LONG;
            case INVALID_ARGUMENT -> FsError.INVALID_ARGUMENT;
            default -> FsError.IO;
        };
    }
}
