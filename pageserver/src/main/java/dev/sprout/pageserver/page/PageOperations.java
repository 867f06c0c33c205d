package dev.sprout.pageserver.page;

import com.google.protobuf.UnsafeByteOperations;
import dev.sprout.pageserver.cache.PageCache;
import dev.sprout.protocol.v1.Absent;
import dev.sprout.protocol.v1.Attach;
import dev.sprout.protocol.v1.AttachResult;
import dev.sprout.protocol.v1.ChangeResult;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.Commit;
import dev.sprout.protocol.v1.CommitResult;
import dev.sprout.protocol.v1.DirEntry;
import dev.sprout.protocol.v1.FileAttr;
import dev.sprout.protocol.v1.FileType;
import dev.sprout.protocol.v1.GetAttr;
import dev.sprout.protocol.v1.GetPages;
import dev.sprout.protocol.v1.Page;
import dev.sprout.protocol.v1.PageRef;
import dev.sprout.protocol.v1.PageResult;
import dev.sprout.protocol.v1.PageWrite;
import dev.sprout.protocol.v1.PagesResult;
import dev.sprout.protocol.v1.ReadDirResult;
import dev.sprout.protocol.v1.Resize;
import dev.sprout.protocol.v1.SetAttr;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.error.NoSuchFileException;
import dev.sprout.storage.namespace.AttrChange;
import dev.sprout.storage.namespace.Created;
import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.page.PageRead;
import dev.sprout.storage.page.Pages;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.storage.timeline.TimelineInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What each page-service request does against the storage engine and the page cache. Stateless apart from
 * the sessions it is handed; called on the storage pool, never on an event loop (every call may block on
 * RocksDB).
 *
 * <p>Every change runs inside its timeline gate's {@link TimelineGate#change}: the session's generation is
 * checked, the engine call made, the cache told what changed, and only then the change's LSN published to
 * head readers.
 */
public final class PageOperations {
    private final PageStore store;
    private final PageCache cache;
    private final TimelineGates gates;
    private final long maxStagedBytes;

    public PageOperations(PageStore store, PageCache cache, TimelineGates gates, long maxStagedBytes) {
        this.store = store;
        this.cache = cache;
        this.gates = gates;
        this.maxStagedBytes = maxStagedBytes;
    }

    public PageStore store() {
        return store;
    }

    // ---- sessions ---------------------------------------------------------------------------------------------

    Session attach(long sessionId, Attach a, java.util.concurrent.Executor pool) {
        TimelineId id = parseTimeline(a.getTimelineId());
        TimelineGate gate = gates.gate(id);
        switch (a.getMode()) {
            case READ_WRITE -> {
                if (a.getLsn() != 0) {
                    throw new ServiceException(
                            Code.INVALID_ARGUMENT,
                            "a read-write session reads at the head; lsn " + a.getLsn()
                                    + " is only for read-only sessions");
                }
                long generation;
                if (a.getGeneration() == 0) {
                    generation = gate.takeOver(() -> store.claimWriter(id), a.getExclusive());
                } else if (a.getExclusive()) {
                    throw new ServiceException(
                            Code.INVALID_ARGUMENT,
                            "exclusive applies to a new writer (generation 0)," + " not to resuming generation "
                                    + a.getGeneration());
                } else {
                    gate.resume(a.getGeneration());
                    generation = a.getGeneration();
                }
                Session session = new Session(sessionId, gate, true, generation, 0, pool);
                gate.writerAttached(session);
                return session;
            }
            case READ_ONLY -> {
                if (a.getGeneration() != 0) {
                    throw new ServiceException(
                            Code.INVALID_ARGUMENT,
                            "a read-only session holds no writer generation (got " + a.getGeneration() + ")");
                }
                long lsn = a.getLsn();
                if (lsn != 0) {
                    TimelineInfo info = store.timeline(id);
                    if (lsn < info.minReadableLsn() || lsn > gate.visibleLsn()) {
                        throw new ServiceException(
                                Code.LSN_OUT_OF_RANGE,
                                "LSN " + lsn + " of timeline " + id + " is not readable: it serves LSNs "
                                        + info.minReadableLsn() + " to " + gate.visibleLsn());
                    }
                }
                return new Session(sessionId, gate, false, 0, lsn, pool);
            }
            default ->
                throw new ServiceException(
                        Code.MALFORMED_REQUEST,
                        "attach needs mode READ_WRITE or READ_ONLY (got " + a.getModeValue() + ")");
        }
    }

    AttachResult attached(Session s) {
        TimelineInfo info = store.timeline(s.gate.timeline);
        return AttachResult.newBuilder()
                .setSession(s.id)
                .setGeneration(s.generation)
                .setLastLsn(s.gate.visibleLsn())
                .setMinReadableLsn(info.minReadableLsn())
                .build();
    }

    // ---- reads ------------------------------------------------------------------------------------------------

    /**
     * The answer to a GetPages when every page it asks for is in the cache, else empty. Touches neither the
     * engine nor a lock, so the page service may call it on an event loop and answer without a thread
     * hand-off; anything else (a miss, a bad block number) goes the normal way.
     */
    Optional<PagesResult> cachedPages(Session s, GetPages g) {
        long lsn = s.readLsn(g.getLsn());
        TimelineGate gate = s.gate;
        if (cache.maxBytes() == 0 || lsn > gate.visibleLsn() || g.getPagesCount() == 0) {
            return Optional.empty();
        }
        PagesResult.Builder out = PagesResult.newBuilder().setLsn(lsn);
        for (int i = 0; i < g.getPagesCount(); i++) {
            PageRef ref = g.getPages(i);
            if (ref.getBlock() < 0) {
                return Optional.empty();
            }
            Optional<PageCache.Hit> hit = cache.get(gate.cacheId, ref.getFileId(), ref.getBlock(), lsn);
            if (hit.isEmpty()) {
                return Optional.empty();
            }
            out.addPages(found(hit.get().page(), hit.get().lsn()));
        }
        return Optional.of(out.build());
    }

    PagesResult getPages(Session s, GetPages g) {
        long lsn = s.readLsn(g.getLsn());
        TimelineGate gate = s.gate;
        // Beyond the visible LSN a commit may be publishing: bypass the cache. Below the LSN from which this
        // process announced every change, a read may hit an entry but must not fill one (see PageCache).
        boolean cacheable = lsn <= gate.visibleLsn();
        boolean fillable = cacheable && lsn >= gate.announcedFrom;
        int n = g.getPagesCount();
        PageResult[] results = new PageResult[n];
        List<dev.sprout.storage.page.PageRef> misses = new ArrayList<>();
        int[] missIndex = new int[n];
        for (int i = 0; i < n; i++) {
            PageRef ref = g.getPages(i);
            checkBlock(ref.getBlock());
            Optional<PageCache.Hit> hit =
                    cacheable ? cache.get(gate.cacheId, ref.getFileId(), ref.getBlock(), lsn) : Optional.empty();
            if (hit.isPresent()) {
                results[i] = found(hit.get().page(), hit.get().lsn());
            } else {
                missIndex[misses.size()] = i;
                misses.add(new dev.sprout.storage.page.PageRef(ref.getFileId(), ref.getBlock()));
            }
        }
        if (!misses.isEmpty()) {
            List<PageRead> reads = store.readPages(gate.timeline, lsn, misses);
            for (int m = 0; m < misses.size(); m++) {
                int i = missIndex[m];
                switch (reads.get(m)) {
                    case PageRead.Found f -> {
                        if (fillable) {
                            cache.fill(
                                    gate.cacheId,
                                    misses.get(m).fileId(),
                                    misses.get(m).block(),
                                    lsn,
                                    f.page(),
                                    f.lsn());
                        }
                        results[i] = found(f.page(), f.lsn());
                    }
                    case PageRead.Absent a -> results[i] = ABSENT;
                }
            }
        }
        PagesResult.Builder out = PagesResult.newBuilder().setLsn(lsn);
        for (PageResult r : results) {
            out.addPages(r);
        }
        return out.build();
    }

    private static final PageResult ABSENT =
            PageResult.newBuilder().setAbsent(Absent.getDefaultInstance()).build();

    private static PageResult found(byte[] page, long lsn) {
        // The image is never changed after this point (cache entries and engine copies are immutable), so the
        // response may wrap it instead of copying 8 KiB.
        return PageResult.newBuilder()
                .setFound(Page.newBuilder()
                        .setData(UnsafeByteOperations.unsafeWrap(page))
                        .setLsn(lsn))
                .build();
    }

    FileAttr getAttr(Session s, GetAttr g) {
        long lsn = s.readLsn(g.getLsn());
        return switch (g.getTargetCase()) {
            case PATH -> attr(store.getAttr(s.gate.timeline, lsn, g.getPath()));
            case FILE_ID -> attr(store.getAttr(s.gate.timeline, lsn, g.getFileId()));
            case TARGET_NOT_SET ->
                throw new ServiceException(Code.MALFORMED_REQUEST, "GetAttr needs a path or a file id");
        };
    }

    FileAttr lookup(Session s, long requestedLsn, String path) {
        return attr(store.getAttr(s.gate.timeline, s.readLsn(requestedLsn), path));
    }

    ReadDirResult readDir(Session s, long requestedLsn, String path) {
        ReadDirResult.Builder out = ReadDirResult.newBuilder();
        for (dev.sprout.storage.namespace.DirEntry e : store.readdir(s.gate.timeline, s.readLsn(requestedLsn), path)) {
            out.addEntries(DirEntry.newBuilder()
                    .setName(e.name())
                    .setFileId(e.fileId())
                    .setType(type(e.type())));
        }
        return out.build();
    }

    // ---- changes (run serially per session) -------------------------------------------------------------------

    int put(Session s, List<PageWrite> pages, List<Resize> resizes) {
        s.requireWritable("PutPages");
        return s.stage(staged(pages, resizes), maxStagedBytes);
    }

    CommitResult commit(Session s, Commit c) {
        s.requireWritable("Commit");
        try {
            s.stage(staged(c.getPagesList(), c.getResizesList()), maxStagedBytes);
            long lsn = s.gate.change(s.generation, () -> commitStaged(s));
            return CommitResult.newBuilder().setLsn(lsn).build();
        } finally {
            s.clearStaged(); // committed, or refused as a whole: either way nothing stays staged
        }
    }

    /** One message's changes in the order they apply: its resizes first, then its pages (see page_service.proto). */
    private static List<Session.Staged> staged(List<PageWrite> pages, List<Resize> resizes) {
        List<Session.Staged> out = new ArrayList<>(pages.size() + resizes.size());
        for (Resize r : resizes) {
            if (r.getSize() < 0 || Pages.pagesFor(r.getSize()) > Integer.MAX_VALUE) {
                throw new ServiceException(
                        Code.INVALID_ARGUMENT,
                        "size " + Long.toUnsignedString(r.getSize()) + " of file " + r.getFileId()
                                + " exceeds the largest file (" + (long) Integer.MAX_VALUE * Pages.PAGE_SIZE
                                + " bytes)");
            }
            out.add(new Session.StagedResize(r.getFileId(), r.getSize()));
        }
        for (PageWrite p : pages) {
            if (p.getData().size() != Pages.PAGE_SIZE) {
                throw new ServiceException(
                        Code.INVALID_PAGE,
                        "page for block " + Integer.toUnsignedString(p.getBlock()) + " of file " + p.getFileId()
                                + " is " + p.getData().size() + " bytes (expected: exactly " + Pages.PAGE_SIZE + ")");
            }
            checkBlock(p.getBlock());
            out.add(new Session.StagedWrite(
                    p.getFileId(), p.getBlock(), p.getData().toByteArray()));
        }
        return out;
    }

    private record Block(long fileId, int block) {}

    private long commitStaged(Session s) {
        TimelineGate gate = s.gate;
        TimelineId tl = gate.timeline;
        List<Session.Staged> changes = s.staged();
        if (changes.isEmpty()) {
            return gate.visibleLsn(); // nothing to write; everything before is already durable
        }
        PageBatch batch = new PageBatch(tl);
        // Replay the batch's effect to learn what the cache must hear: the final image of each written block
        // that survives the batch, and the files from which a resize cut blocks off.
        Map<Long, Long> sizes = new HashMap<>();
        Map<Block, byte[]> written = new HashMap<>();
        java.util.Set<Long> cutFiles = new java.util.HashSet<>();
        for (Session.Staged c : changes) {
            switch (c) {
                case Session.StagedWrite w -> {
                    batch.write(w.fileId(), w.block(), w.page());
                    written.put(new Block(w.fileId(), w.block()), w.page());
                }
                case Session.StagedResize r -> {
                    batch.resize(r.fileId(), r.size());
                    long before = sizes.computeIfAbsent(
                            r.fileId(), f -> sizeAt(tl, gate.visibleLsn(), f).orElse(Long.MAX_VALUE));
                    if (r.size() < before) {
                        cutFiles.add(r.fileId());
                        long keep = Pages.pagesFor(r.size());
                        written.keySet().removeIf(b -> b.fileId() == r.fileId() && b.block() >= keep);
                    }
                    sizes.put(r.fileId(), r.size());
                }
            }
        }
        long lsn = store.commit(batch);
        for (long f : cutFiles) {
            cache.cut(gate.cacheId, f, lsn);
        }
        for (Map.Entry<Block, byte[]> e : written.entrySet()) {
            cache.written(gate.cacheId, e.getKey().fileId(), e.getKey().block(), lsn, e.getValue());
        }
        gate.publish(lsn);
        return lsn;
    }

    ChangeResult create(Session s, String path, int mode, int uid, int gid, boolean directory) {
        s.requireWritable(directory ? "Mkdir" : "Create");
        return s.gate.change(s.generation, () -> {
            Created c = directory
                    ? store.mkdir(s.gate.timeline, path, mode, uid, gid)
                    : store.create(s.gate.timeline, path, mode, uid, gid);
            s.gate.publish(c.lsn());
            return ChangeResult.newBuilder()
                    .setLsn(c.lsn())
                    .setFileId(c.fileId())
                    .build();
        });
    }

    ChangeResult unlink(Session s, String path) {
        s.requireWritable("Unlink");
        return s.gate.change(s.generation, () -> {
            OptionalLong file = fileAt(s.gate, path);
            long lsn = store.unlink(s.gate.timeline, path);
            file.ifPresent(f -> cache.cut(s.gate.cacheId, f, lsn));
            s.gate.publish(lsn);
            return ChangeResult.newBuilder().setLsn(lsn).build();
        });
    }

    ChangeResult rmdir(Session s, String path) {
        s.requireWritable("Rmdir");
        return s.gate.change(s.generation, () -> {
            long lsn = store.rmdir(s.gate.timeline, path);
            s.gate.publish(lsn);
            return ChangeResult.newBuilder().setLsn(lsn).build();
        });
    }

    ChangeResult rename(Session s, String from, String to) {
        s.requireWritable("Rename");
        return s.gate.change(s.generation, () -> {
            OptionalLong replaced = fileAt(s.gate, to);
            long lsn = store.rename(s.gate.timeline, from, to);
            replaced.ifPresent(f -> cache.cut(s.gate.cacheId, f, lsn));
            s.gate.publish(lsn);
            return ChangeResult.newBuilder().setLsn(lsn).build();
        });
    }

    ChangeResult setAttr(Session s, SetAttr a) {
        s.requireWritable("SetAttr");
        AttrChange change = AttrChange.none();
        if (a.hasMode()) {
            change = change.withMode(a.getMode());
        }
        if (a.hasUid() != a.hasGid()) {
            throw new ServiceException(
                    Code.INVALID_ARGUMENT,
                    "SetAttr of " + a.getPath() + " sets " + (a.hasUid() ? "uid" : "gid") + " without "
                            + (a.hasUid() ? "gid" : "uid") + "; an owner change sets both");
        }
        if (a.hasUid()) {
            change = change.withOwner(a.getUid(), a.getGid());
        }
        if (a.hasMtimeMicros()) {
            change = change.withMtime(a.getMtimeMicros());
        }
        AttrChange finalChange = change;
        return s.gate.change(s.generation, () -> {
            long lsn = store.setAttr(s.gate.timeline, a.getPath(), finalChange);
            s.gate.publish(lsn);
            return ChangeResult.newBuilder().setLsn(lsn).build();
        });
    }

    ChangeResult truncate(Session s, String path, long size) {
        s.requireWritable("Truncate");
        return s.gate.change(s.generation, () -> {
            dev.sprout.storage.namespace.FileAttr before = store.getAttr(s.gate.timeline, s.gate.visibleLsn(), path);
            long lsn = store.truncate(s.gate.timeline, path, size);
            if (size < before.size()) {
                cache.cut(s.gate.cacheId, before.fileId(), lsn);
            }
            s.gate.publish(lsn);
            return ChangeResult.newBuilder().setLsn(lsn).build();
        });
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private OptionalLong fileAt(TimelineGate gate, String path) {
        try {
            dev.sprout.storage.namespace.FileAttr a = store.getAttr(gate.timeline, gate.visibleLsn(), path);
            return a.isDirectory() ? OptionalLong.empty() : OptionalLong.of(a.fileId());
        } catch (NoSuchFileException
                | dev.sprout.storage.error.InvalidNameException
                | dev.sprout.storage.error.NotDirectoryException e) {
            return OptionalLong.empty(); // the change itself will refuse or create it
        }
    }

    private Optional<Long> sizeAt(TimelineId tl, long lsn, long fileId) {
        try {
            return Optional.of(store.getAttr(tl, lsn, fileId).size());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** Blocks travel as uint32; the engine numbers them with a non-negative int. */
    private static void checkBlock(int block) {
        if (block < 0) {
            throw new ServiceException(
                    Code.INVALID_PAGE,
                    "block " + Integer.toUnsignedString(block) + " is beyond the largest block number "
                            + Integer.MAX_VALUE);
        }
    }

    static TimelineId parseTimeline(String text) {
        if (text.isEmpty()) {
            throw new ServiceException(Code.MALFORMED_REQUEST, "attach needs a timeline id");
        }
        try {
            return TimelineId.parse(text);
        } catch (RuntimeException e) {
            throw new ServiceException(Code.INVALID_ARGUMENT, "timeline id \"" + abbreviate(text) + "\" is not a UUID");
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "…";
    }

    static FileAttr attr(dev.sprout.storage.namespace.FileAttr a) {
        return FileAttr.newBuilder()
                .setFileId(a.fileId())
                .setType(type(a.type()))
                .setSize(a.size())
                .setMode(a.mode())
                .setUid(a.uid())
                .setGid(a.gid())
                .setMtimeMicros(a.mtimeMicros())
                .setLsn(a.lsn())
                .build();
    }

    private static FileType type(dev.sprout.storage.namespace.FileType t) {
        return switch (t) {
            case DIRECTORY -> FileType.DIRECTORY;
            case REGULAR -> FileType.REGULAR;
        };
    }
}
