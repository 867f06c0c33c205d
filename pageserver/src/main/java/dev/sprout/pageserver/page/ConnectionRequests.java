package dev.sprout.pageserver.page;

import dev.sprout.http.Codes;
import dev.sprout.pageserver.auth.Credentials;
import dev.sprout.pageserver.metrics.PageServiceMetrics;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.Empty;
import dev.sprout.protocol.v1.PagesResult;
import dev.sprout.protocol.v1.PingResult;
import dev.sprout.protocol.v1.Request;
import dev.sprout.protocol.v1.Response;
import dev.sprout.protocol.v1.Status;
import dev.sprout.storage.error.StorageException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the requests of one page-service connection do, whichever way they arrive (frames on a socket,
 * {@link PageServiceHandler}; direct calls, {@link InProcessPageServer}): the connection's sessions, the
 * credential check of an Attach, and each operation's work against {@link PageOperations}. It decides nothing
 * about threads: callers run reads where they like and a session's changes one at a time.
 *
 * <p>Thread-safe: sessions live in a concurrent map.
 */
final class ConnectionRequests {
    private static final Logger log = LoggerFactory.getLogger(ConnectionRequests.class);

    private final PageOperations ops;
    private final Credentials credentials;
    private final Executor pool;
    private final PageServiceMetrics metrics;
    /** Who is on the other end, for the log line of a refused credential. */
    private final Supplier<Object> peer;

    private final ConcurrentHashMap<Long, Session> sessions = new ConcurrentHashMap<>();
    private final AtomicLong nextSession = new AtomicLong();

    ConnectionRequests(
            PageOperations ops,
            Credentials credentials,
            Executor pool,
            PageServiceMetrics metrics,
            Supplier<Object> peer) {
        this.ops = ops;
        this.credentials = credentials;
        this.pool = pool;
        this.metrics = metrics;
        this.peer = peer;
    }

    /** What kind of work a request is, which says where it may run. */
    enum Kind {
        /** Answered at once, touching no session (Ping, and a request naming no operation). */
        IMMEDIATE,
        /** Opens a session. */
        ATTACH,
        /** Reads; run concurrently. */
        READ,
        /** Changes a session's timeline; a session's changes run one at a time, in arrival order. */
        CHANGE
    }

    static Kind kind(Request r) {
        return switch (r.getOpCase()) {
            case PING, OP_NOT_SET -> Kind.IMMEDIATE;
            case ATTACH -> Kind.ATTACH;
            case GET_PAGES, GET_ATTR, LOOKUP, READ_DIR -> Kind.READ;
            case PUT_PAGES, COMMIT, CREATE, MKDIR, UNLINK, RMDIR, RENAME, SET_ATTR, TRUNCATE, DETACH -> Kind.CHANGE;
        };
    }

    static String opName(Request r) {
        return r.getOpCase().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The answer to an {@link Kind#IMMEDIATE} request. */
    Response immediate(Request r) {
        long id = r.getId();
        if (r.getOpCase() == Request.OpCase.PING) {
            return Response.newBuilder()
                    .setId(id)
                    .setPong(PingResult.newBuilder().setLastLsn(ops.store().lastLsn()))
                    .build();
        }
        return refusal(
                id,
                Code.MALFORMED_REQUEST,
                "request " + id
                        + " names no operation this server knows (an empty request, or one from a newer protocol)");
    }

    /** Checks the credential and opens the session; {@code stillOpen} false detaches it again at once. */
    Response.Builder attach(Request r, boolean stillOpen) {
        authenticate(r);
        Session s = ops.attach(nextSession.incrementAndGet(), r.getAttach(), pool);
        sessions.put(s.id, s);
        metrics.sessionOpened();
        if (!stillOpen) {
            s.execute(() -> detach(s));
        }
        return Response.newBuilder().setAttached(ops.attached(s));
    }

    /**
     * The answer to a GetPages whose every page is in the page cache, without touching the engine or a lock (so
     * it may run on an event loop); empty when it needs the normal way.
     */
    Optional<Response> cachedPages(Request r) {
        if (r.getOpCase() != Request.OpCase.GET_PAGES) {
            return Optional.empty();
        }
        metrics.pagesRead(r.getGetPages().getPagesCount());
        Session s = sessions.get(r.getSession());
        Optional<PagesResult> cached = s == null || s.closed() ? Optional.empty() : ops.cachedPages(s, r.getGetPages());
        return cached.map(
                p -> Response.newBuilder().setId(r.getId()).setPages(p).build());
    }

    /** The work of a {@link Kind#READ} request. */
    Response.Builder read(Request r) {
        return switch (r.getOpCase()) {
            case GET_PAGES -> Response.newBuilder().setPages(ops.getPages(session(r), r.getGetPages()));
            case GET_ATTR -> Response.newBuilder().setAttr(ops.getAttr(session(r), r.getGetAttr()));
            case LOOKUP ->
                Response.newBuilder()
                        .setFound(dev.sprout.protocol.v1.LookupResult.newBuilder()
                                .setAttr(ops.lookup(
                                        session(r),
                                        r.getLookup().getLsn(),
                                        r.getLookup().getPath())));
            case READ_DIR ->
                Response.newBuilder()
                        .setEntries(ops.readDir(
                                session(r),
                                r.getReadDir().getLsn(),
                                r.getReadDir().getPath()));
            default -> throw new IllegalStateException("not a read: " + r.getOpCase());
        };
    }

    /** The work of a {@link Kind#CHANGE} request on {@code s}; the caller runs a session's changes one at a time. */
    Response.Builder change(Session s, Request r) {
        return switch (r.getOpCase()) {
            case PUT_PAGES ->
                Response.newBuilder()
                        .setPut(dev.sprout.protocol.v1.PutResult.newBuilder()
                                .setStagedPages(ops.put(
                                        s,
                                        r.getPutPages().getPagesList(),
                                        r.getPutPages().getResizesList())));
            case COMMIT -> Response.newBuilder().setCommitted(ops.commit(s, r.getCommit()));
            case CREATE ->
                Response.newBuilder()
                        .setChanged(ops.create(
                                s,
                                r.getCreate().getPath(),
                                r.getCreate().getMode(),
                                r.getCreate().getUid(),
                                r.getCreate().getGid(),
                                false));
            case MKDIR ->
                Response.newBuilder()
                        .setChanged(ops.create(
                                s,
                                r.getMkdir().getPath(),
                                r.getMkdir().getMode(),
                                r.getMkdir().getUid(),
                                r.getMkdir().getGid(),
                                true));
            case UNLINK ->
                Response.newBuilder().setChanged(ops.unlink(s, r.getUnlink().getPath()));
            case RMDIR ->
                Response.newBuilder().setChanged(ops.rmdir(s, r.getRmdir().getPath()));
            case RENAME ->
                Response.newBuilder()
                        .setChanged(ops.rename(
                                s, r.getRename().getFrom(), r.getRename().getTo()));
            case SET_ATTR -> Response.newBuilder().setChanged(ops.setAttr(s, r.getSetAttr()));
            case TRUNCATE ->
                Response.newBuilder()
                        .setChanged(ops.truncate(
                                s, r.getTruncate().getPath(), r.getTruncate().getSize()));
            case DETACH -> {
                detach(s);
                yield Response.newBuilder().setDone(Empty.getDefaultInstance());
            }
            default -> throw new IllegalStateException("not a change: " + r.getOpCase());
        };
    }

    /** The session a request names; refused with {@code NOT_ATTACHED} when this connection has none such. */
    Session session(Request r) {
        Session s = sessions.get(r.getSession());
        if (s == null || s.closed()) {
            throw new ServiceException(
                    Code.NOT_ATTACHED,
                    "request " + r.getId() + " names session " + r.getSession()
                            + ", which this connection has not attached (or has detached)");
        }
        return s;
    }

    void detach(Session s) {
        if (sessions.remove(s.id, s)) {
            s.close();
            if (s.writable) {
                s.gate.writerDetached(s);
            }
            s.clearStaged();
            metrics.sessionClosed();
        }
    }

    /** The sessions open on this connection. */
    java.util.Collection<Session> sessions() {
        return sessions.values();
    }

    /** The connection ended: each session is detached behind its queued changes. */
    void connectionClosed() {
        for (Session s : sessions.values()) {
            s.execute(() -> detach(s));
        }
    }

    /** Runs {@code work} for request {@code id} and turns any refusal into its answer. */
    static Response answer(long id, String op, Supplier<Response.Builder> work) {
        try {
            return work.get().setId(id).build();
        } catch (ServiceException e) {
            return refusal(id, e.code(), e.getMessage());
        } catch (StorageException e) {
            return refusal(id, Codes.of(e.code()), e.getMessage());
        } catch (RuntimeException | Error e) {
            log.error("request {} ({}) failed unexpectedly", id, op, e);
            return refusal(id, Code.INTERNAL, op + " failed unexpectedly: " + e);
        }
    }

    static Response refusal(long id, Code code, String message) {
        return Response.newBuilder()
                .setId(id)
                .setStatus(Status.newBuilder().setCode(code).setMessage(message))
                .build();
    }

    /** Refuses an Attach without the page-service secret or its timeline's credential; it opens nothing. */
    private void authenticate(Request r) {
        String given = r.getAttach().getCredential();
        if (given.isEmpty()) {
            throw new ServiceException(
                    Code.UNAUTHENTICATED,
                    "attach " + r.getId() + " carries no credential: the page"
                            + " service needs the pageserver's page-service secret (the file " + Credentials.DIRECTORY
                            + "/"
                            + Credentials.PAGE_SERVICE_FILE + " of its data directory)");
        }
        String timeline = r.getAttach().getTimelineId();
        if (!credentials.pageService().matches(given) && !credentials.isForTimeline(timeline, given)) {
            log.warn("page service: attach {} from {} refused: wrong credential", r.getId(), peer.get());
            throw new ServiceException(
                    Code.UNAUTHENTICATED,
                    "attach " + r.getId() + " carries a credential that is not"
                            + " this pageserver's page-service secret, nor the credential of timeline " + timeline);
        }
    }
}
