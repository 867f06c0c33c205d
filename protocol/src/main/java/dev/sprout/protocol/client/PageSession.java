package dev.sprout.protocol.client;

import dev.sprout.protocol.v1.Attach;
import dev.sprout.protocol.v1.AttachResult;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.Commit;
import dev.sprout.protocol.v1.Create;
import dev.sprout.protocol.v1.Detach;
import dev.sprout.protocol.v1.DirEntry;
import dev.sprout.protocol.v1.FileAttr;
import dev.sprout.protocol.v1.GetAttr;
import dev.sprout.protocol.v1.GetPages;
import dev.sprout.protocol.v1.Lookup;
import dev.sprout.protocol.v1.Mkdir;
import dev.sprout.protocol.v1.PageRef;
import dev.sprout.protocol.v1.PageWrite;
import dev.sprout.protocol.v1.PagesResult;
import dev.sprout.protocol.v1.Ping;
import dev.sprout.protocol.v1.PutPages;
import dev.sprout.protocol.v1.ReadDir;
import dev.sprout.protocol.v1.Rename;
import dev.sprout.protocol.v1.Request;
import dev.sprout.protocol.v1.Resize;
import dev.sprout.protocol.v1.Response;
import dev.sprout.protocol.v1.Rmdir;
import dev.sprout.protocol.v1.SetAttr;
import dev.sprout.protocol.v1.Truncate;
import dev.sprout.protocol.v1.Unlink;
import io.netty.channel.Channel;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One session on one timeline, opened by {@link PageClient#attach}: every operation of the page service, each
 * returning a future of its typed result. A refused request fails its future with a {@link RefusedException}
 * (see {@link PageServiceException} for every failure).
 *
 * <p>LSN arguments: 0 means the session's LSN, which is the timeline's head for a read-write session and for a
 * read-only session at the head, and the fixed LSN of a read-only session at an LSN.
 *
 * <p>Ordering: the server applies a session's changes (PutPages, Commit, namespace changes, Detach) in the order
 * it receives them, and the client sends one thread's calls in call order; reads run concurrently. Calls from
 * different threads are ordered by nothing but the caller's own synchronisation.
 *
 * <p>Reconnects are invisible except for what was in flight: the client re-attaches the session (a writer
 * resumes the generation it holds, a reader its LSN) and the server's session id changes behind this object.
 * <ul>
 *   <li>If a newer writer took the timeline over meanwhile, the session is <em>fenced</em> for good: every later
 *       call fails with {@link FencedException} (so does every call after any FENCED answer).
 *   <li>If the re-attach is refused for another reason (the timeline was deleted, the read-only LSN fell below
 *       the GC horizon), every later call fails with a {@link RefusedException} of that code.
 *   <li>Pages staged by PutPages on the lost connection (with no Commit sent after them) are gone with it: the
 *       server discards a session's staged pages when its connection closes. So that a Commit cannot apply half
 *       a batch, every PutPages and Commit of the session that reaches the client after the loss fails with
 *       {@link ConnectionLostException} until {@link #resetBatch()} is called; then stage the whole batch again.
 *       A caller that never uses PutPages (its Commits carry their pages) never meets this.
 * </ul>
 *
 * <p>Concurrency: thread-safe; see {@link PageClient} for which threads complete the futures.
 */
public final class PageSession {
    /** Pass as an LSN to read at the session's LSN. */
    public static final long SESSION_LSN = 0;

    private final PageClient client;
    private final Calls calls;
    private final String timelineId;
    private final AttachMode mode;

    /** The last AttachResult; its generation is the one this session holds. Written on the event loop. */
    private volatile AttachResult attached = AttachResult.getDefaultInstance();

    private volatile Ended ended;

    // ---- event loop only ----
    /** The channel the session's current server-side id belongs to, or null when not attached. */
    private Channel attachedOn;
    /** PutPages were written and no Commit after them: the server holds staged pages for us. */
    private boolean stagedOnWire;
    /** Why the next PutPages/Commit must fail (the server dropped a staged batch), or null. */
    private String stagingLost;

    /** Why the session can no longer be used; null while it can. */
    private sealed interface Ended {}

    private record Fenced(String reason) implements Ended {}

    private record Lost(Code code, String reason) implements Ended {}

    private record Detached() implements Ended {}

    private record Disconnected(String reason) implements Ended {}

    PageSession(PageClient client, Calls calls, String timelineId, AttachMode mode) {
        this.client = client;
        this.calls = calls;
        this.timelineId = timelineId;
        this.mode = mode;
    }

    public PageClient client() {
        return client;
    }

    public String timelineId() {
        return timelineId;
    }

    /** The mode this session was attached with (the generation asked for, not the one held: see {@link #generation()}). */
    public AttachMode mode() {
        return mode;
    }

    /** The writer generation this session holds (0 for read-only); it stays the same across reconnects. */
    public long generation() {
        return attached.getGeneration();
    }

    /** The timeline's last LSN when the session was (last re-)attached. */
    public long lastLsnAtAttach() {
        return attached.getLastLsn();
    }

    /** The oldest LSN the timeline could serve when the session was (last re-)attached. */
    public long minReadableLsn() {
        return attached.getMinReadableLsn();
    }

    /** True once a newer writer fenced this session: every later call fails with {@link FencedException}. */
    public boolean isFenced() {
        return ended instanceof Fenced;
    }

    /**
     * True until the session is detached, fenced, or lost: its re-attach was refused, the client gave up
     * reconnecting, or the client was closed.
     */
    public boolean isOpen() {
        return ended == null;
    }

    // ---- reads ---------------------------------------------------------------------------------------------------

    /** Reads pages at {@code lsn} (0: the session's LSN); one result per page, in the order asked. */
    public CompletableFuture<PagesRead> getPages(long lsn, List<PageRef> pages) {
        int asked = pages.size();
        return call(
                Request.newBuilder()
                        .setGetPages(GetPages.newBuilder().setLsn(lsn).addAllPages(pages)),
                r -> pagesRead(r.getPages(), asked));
    }

    private static PagesRead pagesRead(PagesResult result, int asked) {
        if (result.getPagesCount() != asked) {
            throw new RefusedException(
                    Code.INTERNAL,
                    "GetPages asked for " + asked + " pages and was answered with " + result.getPagesCount()
                            + " (a pageserver bug)");
        }
        PageResult[] pages = new PageResult[asked];
        for (int i = 0; i < asked; i++) {
            dev.sprout.protocol.v1.PageResult page = result.getPages(i);
            pages[i] = switch (page.getResultCase()) {
                case FOUND ->
                    new PageResult.Found(
                            page.getFound().getData(), page.getFound().getLsn());
                case ABSENT -> PageResult.ABSENT;
                case RESULT_NOT_SET ->
                    throw new RefusedException(
                            Code.INTERNAL,
                            "GetPages answered page " + i + " with neither a page nor absent (a pageserver bug)");
            };
        }
        return new PagesRead(result.getLsn(), List.of(pages));
    }

    /** The attributes of the file at {@code path} at {@code lsn} (0: the session's LSN). */
    public CompletableFuture<FileAttr> getAttr(long lsn, String path) {
        Objects.requireNonNull(path, "path");
        return call(
                Request.newBuilder().setGetAttr(GetAttr.newBuilder().setLsn(lsn).setPath(path)), Response::getAttr);
    }

    /** The attributes of file {@code fileId} at {@code lsn} (0: the session's LSN). */
    public CompletableFuture<FileAttr> getAttr(long lsn, long fileId) {
        return call(
                Request.newBuilder().setGetAttr(GetAttr.newBuilder().setLsn(lsn).setFileId(fileId)), Response::getAttr);
    }

    /** The attributes of the file at {@code path}, or empty when nothing is there ({@code NO_SUCH_FILE}). */
    public CompletableFuture<Optional<FileAttr>> lookup(long lsn, String path) {
        Objects.requireNonNull(path, "path");
        return call(
                Request.newBuilder().setLookup(Lookup.newBuilder().setLsn(lsn).setPath(path)),
                new PendingRequest.Decoder<>() {
                    @Override
                    public Optional<FileAttr> decode(Response response) {
                        return Optional.of(response.getFound().getAttr());
                    }

                    @Override
                    public Optional<Optional<FileAttr>> onRefusal(Code code) {
                        return code == Code.NO_SUCH_FILE ? Optional.of(Optional.empty()) : Optional.empty();
                    }
                });
    }

    /** The entries of the directory at {@code path}. */
    public CompletableFuture<List<DirEntry>> readDir(long lsn, String path) {
        Objects.requireNonNull(path, "path");
        return call(
                Request.newBuilder().setReadDir(ReadDir.newBuilder().setLsn(lsn).setPath(path)),
                r -> r.getEntries().getEntriesList());
    }

    /** The store's last LSN (answered without touching the session). */
    public CompletableFuture<Long> ping() {
        return call(
                Request.newBuilder().setPing(Ping.getDefaultInstance()),
                r -> r.getPong().getLastLsn());
    }

    // ---- writes --------------------------------------------------------------------------------------------------

    /**
     * Stages pages and resizes for the next {@link #commit}; nothing is visible or durable before it. Answers the
     * number of pages staged in the session so far. Page data is sent as given: wrap a byte[] you will not
     * change with {@code UnsafeByteOperations.unsafeWrap} to avoid a copy.
     */
    public CompletableFuture<Integer> putPages(List<PageWrite> pages, List<Resize> resizes) {
        return call(
                Request.newBuilder()
                        .setPutPages(PutPages.newBuilder().addAllPages(pages).addAllResizes(resizes)),
                r -> r.getPut().getStagedPages());
    }

    /**
     * Commits every staged page and resize, plus {@code pages} and {@code resizes}, as one atomic batch, and
     * answers its LSN once the batch is synced. If this fails with {@link ConnectionLostException} the commit
     * may or may not have happened.
     */
    public CompletableFuture<Long> commit(List<PageWrite> pages, List<Resize> resizes) {
        return call(
                Request.newBuilder()
                        .setCommit(Commit.newBuilder().addAllPages(pages).addAllResizes(resizes)),
                r -> r.getCommitted().getLsn());
    }

    /** Commits what PutPages staged. */
    public CompletableFuture<Long> commit() {
        return commit(List.of(), List.of());
    }

    /**
     * Acknowledges that the batch staged before a lost connection is gone (see the class comment): PutPages and
     * Commit made after this call are sent again. Does nothing when no batch was lost.
     */
    public void resetBatch() {
        calls.execute(() -> stagingLost = null);
    }

    public CompletableFuture<Created> create(String path, int mode, int uid, int gid) {
        Objects.requireNonNull(path, "path");
        return call(
                Request.newBuilder()
                        .setCreate(Create.newBuilder()
                                .setPath(path)
                                .setMode(mode)
                                .setUid(uid)
                                .setGid(gid)),
                r -> new Created(r.getChanged().getFileId(), r.getChanged().getLsn()));
    }

    public CompletableFuture<Created> mkdir(String path, int mode, int uid, int gid) {
        Objects.requireNonNull(path, "path");
        return call(
                Request.newBuilder()
                        .setMkdir(Mkdir.newBuilder()
                                .setPath(path)
                                .setMode(mode)
                                .setUid(uid)
                                .setGid(gid)),
                r -> new Created(r.getChanged().getFileId(), r.getChanged().getLsn()));
    }

    /** Removes a file; answers the LSN of the change. */
    public CompletableFuture<Long> unlink(String path) {
        Objects.requireNonNull(path, "path");
        return call(
                Request.newBuilder().setUnlink(Unlink.newBuilder().setPath(path)),
                r -> r.getChanged().getLsn());
    }

    /** Removes an empty directory; answers the LSN of the change. */
    public CompletableFuture<Long> rmdir(String path) {
        Objects.requireNonNull(path, "path");
        return call(
                Request.newBuilder().setRmdir(Rmdir.newBuilder().setPath(path)),
                r -> r.getChanged().getLsn());
    }

    /** Renames {@code from} to {@code to}; answers the LSN of the change. */
    public CompletableFuture<Long> rename(String from, String to) {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        return call(
                Request.newBuilder().setRename(Rename.newBuilder().setFrom(from).setTo(to)),
                r -> r.getChanged().getLsn());
    }

    /** Changes the attributes that {@code change} sets (its path names the file); answers the LSN of the change. */
    public CompletableFuture<Long> setAttr(SetAttr change) {
        Objects.requireNonNull(change, "change");
        return call(Request.newBuilder().setSetAttr(change), r -> r.getChanged().getLsn());
    }

    /** Sets the file's size (a versioned truncation, or an extension reading as zeros); answers the LSN. */
    public CompletableFuture<Long> truncate(String path, long size) {
        Objects.requireNonNull(path, "path");
        return call(
                Request.newBuilder()
                        .setTruncate(Truncate.newBuilder().setPath(path).setSize(size)),
                r -> r.getChanged().getLsn());
    }

    /**
     * Closes the session on the server once the changes sent before it are applied; staged pages are discarded.
     * Idempotent; later calls on this session fail with {@code NOT_ATTACHED}.
     */
    public CompletableFuture<Void> detach() {
        return call(Request.newBuilder().setDetach(Detach.getDefaultInstance()), r -> null);
    }

    private <T> CompletableFuture<T> call(Request.Builder request, PendingRequest.Decoder<T> decoder) {
        return calls.call(this, request, decoder);
    }

    @Override
    public String toString() {
        return "PageSession[timeline " + timelineId + ", " + mode + ", generation " + generation()
                + (ended == null ? "" : ", " + ended) + "]";
    }

    // ---- the dispatcher's side (event loop) ----------------------------------------------------------------------

    void attached(Channel channel, AttachResult result) {
        attachedOn = channel;
        attached = result;
    }

    /** Marks the session detached; true if it is open on {@code channel}, so the server must be told. */
    boolean detachFrom(Channel channel) {
        boolean live = channel != null && attachedOn == channel;
        attachedOn = null;
        markDetached();
        return live;
    }

    long sessionId() {
        return attached.getSession();
    }

    /** The Attach that resumes this session on a new connection: a writer with the generation it holds. */
    Attach reattachRequest(String credential) {
        return attachRequest(
                timelineId,
                switch (mode) {
                    case AttachMode.ReadWrite rw -> new AttachMode.ReadWrite(generation());
                    case AttachMode.ReadOnly ro -> ro;
                },
                credential);
    }

    /** An Attach carrying {@code credential}, the pageserver's page-service secret. */
    static Attach attachRequest(String timelineId, AttachMode mode, String credential) {
        Attach.Builder a = Attach.newBuilder().setTimelineId(timelineId).setCredential(credential);
        return switch (mode) {
            case AttachMode.ReadWrite rw ->
                a.setMode(Attach.Mode.READ_WRITE)
                        .setGeneration(rw.generation())
                        .setExclusive(rw.exclusive())
                        .build();
            case AttachMode.ReadOnly ro ->
                a.setMode(Attach.Mode.READ_ONLY).setLsn(ro.lsn()).build();
        };
    }

    void noteSent(Request.OpCase op) {
        switch (op) {
            case PUT_PAGES -> stagedOnWire = true;
            case COMMIT, DETACH -> stagedOnWire = false; // a commit takes (or a refusal discards) what was staged
            default -> {}
        }
    }

    void connectionLost(String address) {
        attachedOn = null;
        if (stagedOnWire) {
            stagedOnWire = false;
            stagingLost =
                    "pages staged by PutPages on timeline " + timelineId + " were discarded by the server when the "
                            + "connection to " + address + " was lost, so this would commit only part of the batch";
        }
    }

    /** Why {@code p}, a PutPages or Commit, must not be sent: its batch was dropped with a connection. */
    Optional<ConnectionLostException> stagingLost(PendingRequest<?> p) {
        if (stagingLost == null || (p.op != Request.OpCase.PUT_PAGES && p.op != Request.OpCase.COMMIT)) {
            return Optional.empty();
        }
        return Optional.of(new ConnectionLostException(
                stagingLost + "; " + p.describe() + " was not sent (call resetBatch() and stage the batch again)",
                null));
    }

    /** Why {@code p} must not be sent on this session, if it must not. */
    Optional<PageServiceException> refusal(PendingRequest<?> p) {
        return refusal(p.describe());
    }

    /** Why the request {@code described} must not be sent on this session, if it must not. */
    Optional<PageServiceException> refusal(String described) {
        return switch (ended) {
            case null -> Optional.empty();
            case Fenced f -> Optional.of(new FencedException(f.reason() + "; " + described + " was not sent"));
            case Lost l -> Optional.of(new RefusedException(l.code(), l.reason() + "; " + described + " was not sent"));
            case Detached d ->
                Optional.of(new RefusedException(
                        Code.NOT_ATTACHED,
                        "session on timeline " + timelineId + " was detached; " + described + " was not sent"));
            case Disconnected d ->
                Optional.of(new ConnectionLostException(d.reason() + "; " + described + " was not sent", null));
        };
    }

    void markFenced(String reason) {
        if (ended == null) {
            ended = new Fenced(reason);
        }
    }

    void markLost(Code code, String reason) {
        if (ended == null) {
            ended = new Lost(code, reason);
        }
    }

    void markDisconnected(String reason) {
        if (ended == null) {
            ended = new Disconnected(reason);
        }
    }

    void markDetached() {
        if (ended == null) {
            ended = new Detached();
        }
    }
}
