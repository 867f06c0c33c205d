package dev.sprout.pageserver.page;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.sprout.http.Codes;
import dev.sprout.pageserver.auth.Credentials;
import dev.sprout.pageserver.metrics.PageServiceMetrics;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.Empty;
import dev.sprout.protocol.v1.PingResult;
import dev.sprout.protocol.v1.Request;
import dev.sprout.protocol.v1.Response;
import dev.sprout.protocol.v1.Status;
import dev.sprout.storage.error.StorageException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One page-service connection: decodes each frame into a {@link Request}, runs it on the storage pool (reads
 * concurrently, a session's changes in order) and writes exactly one {@link Response} with the request's id.
 *
 * <p>Bad input never costs more than the request that carried it: a frame that is not a Request is answered
 * with id 0 and {@code MALFORMED_REQUEST} and the connection goes on; a frame longer than the maximum is
 * refused when its length prefix arrives (nothing of it is buffered), answered with id 0 and
 * {@code MESSAGE_TOO_LARGE}, and the connection closed, since the stream cannot be resynchronised.
 *
 * <p>Backpressure: at most {@code maxInFlight} requests per connection are being worked on; beyond that the
 * handler stops reading from the socket (auto-read off) until half of them are answered, so a client that
 * pipelines without bound fills its own socket buffer, not the server's memory.
 *
 * <p>Concurrency: Netty calls the handler on the channel's event loop; answers are written from storage
 * threads (Netty hands writes over to the event loop). Per-connection state is in concurrent maps/atomics.
 */
public final class PageServiceHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(PageServiceHandler.class);

    private final PageOperations ops;
    private final Credentials credentials;
    private final Executor pool;
    private final PageServiceMetrics metrics;
    private final int maxInFlight;
    private final ConcurrentHashMap<Long, Session> sessions = new ConcurrentHashMap<>();
    private final AtomicLong nextSession = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private Channel channel;

    /**
     * @param credentials what an Attach must carry ({@link dev.sprout.protocol.v1.Attach#getCredential()}): the
     *                    page-service secret, or the credential of the timeline it attaches
     *                    ({@link Credentials#forTimeline})
     */
    public PageServiceHandler(
            PageOperations ops, Credentials credentials, Executor pool, PageServiceMetrics metrics, int maxInFlight) {
        this.ops = ops;
        this.credentials = credentials;
        this.pool = pool;
        this.metrics = metrics;
        this.maxInFlight = maxInFlight;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        metrics.connectionOpened();
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        metrics.connectionClosed();
        for (Session s : sessions.values()) {
            s.execute(() -> detach(s)); // behind its queued changes, which will find the channel gone
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        long arrived = System.nanoTime();
        ByteBuf frame = (ByteBuf) msg;
        Request request;
        int size = frame.readableBytes();
        try {
            metrics.bytesIn(size + CodedOutputStream.computeUInt32SizeNoTag(size));
            request = Request.parseFrom(frame.nioBuffer());
        } catch (InvalidProtocolBufferException e) {
            send(
                    refusal(
                            0,
                            Code.MALFORMED_REQUEST,
                            "a frame of " + size + " bytes is not a Request: " + e.getMessage()),
                    "malformed",
                    arrived,
                    false);
            return;
        } finally {
            frame.release();
        }
        dispatch(request, arrived);
    }

    private void dispatch(Request r, long arrived) {
        long id = r.getId();
        String op = opName(r);
        switch (r.getOpCase()) {
            case PING ->
                send(
                        Response.newBuilder()
                                .setId(id)
                                .setPong(PingResult.newBuilder()
                                        .setLastLsn(ops.store().lastLsn()))
                                .build(),
                        op,
                        arrived,
                        false);
            case OP_NOT_SET ->
                send(
                        refusal(
                                id,
                                Code.MALFORMED_REQUEST,
                                "request " + id
                                        + " names no operation this server knows (an empty request, or one from a newer protocol)"),
                        op,
                        arrived,
                        false);
            case ATTACH ->
                run(pool, id, op, arrived, () -> {
                    authenticate(r);
                    Session s = ops.attach(nextSession.incrementAndGet(), r.getAttach(), pool);
                    sessions.put(s.id, s);
                    metrics.sessionOpened();
                    if (!channel.isActive()) {
                        s.execute(() -> detach(s));
                    }
                    return Response.newBuilder().setAttached(ops.attached(s));
                });
            case GET_PAGES -> {
                metrics.pagesRead(r.getGetPages().getPagesCount());
                Session s = sessions.get(r.getSession());
                var cached = s == null || s.closed()
                        ? java.util.Optional.<dev.sprout.protocol.v1.PagesResult>empty()
                        : ops.cachedPages(s, r.getGetPages());
                if (cached.isPresent()) { // every page is cached: answer here, no hand-off to a storage thread
                    send(Response.newBuilder().setId(id).setPages(cached.get()).build(), op, arrived, false);
                } else {
                    run(
                            pool,
                            id,
                            op,
                            arrived,
                            () -> Response.newBuilder().setPages(ops.getPages(session(r), r.getGetPages())));
                }
            }
            case GET_ATTR ->
                run(
                        pool,
                        id,
                        op,
                        arrived,
                        () -> Response.newBuilder().setAttr(ops.getAttr(session(r), r.getGetAttr())));
            case LOOKUP ->
                run(
                        pool,
                        id,
                        op,
                        arrived,
                        () -> Response.newBuilder()
                                .setFound(dev.sprout.protocol.v1.LookupResult.newBuilder()
                                        .setAttr(ops.lookup(
                                                session(r),
                                                r.getLookup().getLsn(),
                                                r.getLookup().getPath()))));
            case READ_DIR ->
                run(
                        pool,
                        id,
                        op,
                        arrived,
                        () -> Response.newBuilder()
                                .setEntries(ops.readDir(
                                        session(r),
                                        r.getReadDir().getLsn(),
                                        r.getReadDir().getPath())));
            default -> change(r, op, arrived);
        }
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
            log.warn("page service: attach {} from {} refused: wrong credential", r.getId(), channel.remoteAddress());
            throw new ServiceException(
                    Code.UNAUTHENTICATED,
                    "attach " + r.getId() + " carries a credential that is not"
                            + " this pageserver's page-service secret, nor the credential of timeline " + timeline);
        }
    }

    /** A change runs behind the session's earlier changes. */
    private void change(Request r, String op, long arrived) {
        Session s;
        try {
            s = session(r);
        } catch (ServiceException e) {
            send(refusal(r.getId(), e.code(), e.getMessage()), op, arrived, false);
            return;
        }
        long id = r.getId();
        run(s, id, op, arrived, () -> switch (r.getOpCase()) {
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
        });
    }

    private Session session(Request r) {
        Session s = sessions.get(r.getSession());
        if (s == null || s.closed()) {
            throw new ServiceException(
                    Code.NOT_ATTACHED,
                    "request " + r.getId() + " names session " + r.getSession()
                            + ", which this connection has not attached (or has detached)");
        }
        return s;
    }

    private void detach(Session s) {
        if (sessions.remove(s.id, s)) {
            s.close();
            if (s.writable) {
                s.gate.writerDetached(s);
            }
            s.clearStaged();
            metrics.sessionClosed();
        }
    }

    private void run(Executor executor, long id, String op, long arrived, Supplier<Response.Builder> work) {
        if (inFlight.incrementAndGet() >= maxInFlight) {
            channel.config().setAutoRead(false);
        }
        try {
            executor.execute(() -> {
                Response response;
                try {
                    response = work.get().setId(id).build();
                } catch (ServiceException e) {
                    response = refusal(id, e.code(), e.getMessage());
                } catch (StorageException e) {
                    response = refusal(id, Codes.of(e.code()), e.getMessage());
                } catch (RuntimeException | Error e) {
                    log.error("request {} ({}) failed unexpectedly", id, op, e);
                    response = refusal(id, Code.INTERNAL, op + " failed unexpectedly: " + e);
                }
                send(response, op, arrived, true);
            });
        } catch (RejectedExecutionException e) {
            send(refusal(id, Code.CLOSED, "the pageserver is shutting down"), op, arrived, true);
        }
    }

    private void send(Response response, String op, long arrived, boolean counted) {
        if (counted
                && inFlight.decrementAndGet() == maxInFlight / 2
                && !channel.config().isAutoRead()) {
            channel.config().setAutoRead(true);
        }
        Code code = response.hasStatus() ? response.getStatus().getCode() : Code.OK;
        metrics.request(op, code.name(), System.nanoTime() - arrived);
        int size = response.getSerializedSize();
        metrics.bytesOut(size + CodedOutputStream.computeUInt32SizeNoTag(size));
        channel.writeAndFlush(response, channel.voidPromise());
    }

    static Response refusal(long id, Code code, String message) {
        return Response.newBuilder()
                .setId(id)
                .setStatus(Status.newBuilder().setCode(code).setMessage(message))
                .build();
    }

    private static String opName(Request r) {
        return r.getOpCase().name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            refuseAndClose(ctx, Code.MESSAGE_TOO_LARGE, cause.getMessage());
        } else if (cause instanceof CorruptedFrameException) {
            refuseAndClose(ctx, Code.MALFORMED_REQUEST, cause.getMessage());
        } else if (cause instanceof IOException) {
            log.debug("page service connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        } else {
            log.warn(
                    "page service connection {} failed",
                    ctx.channel().remoteAddress(),
                    cause instanceof DecoderException d && d.getCause() != null ? d.getCause() : cause);
            refuseAndClose(ctx, Code.INTERNAL, "the connection failed: " + cause);
        }
    }

    private void refuseAndClose(ChannelHandlerContext ctx, Code code, String message) {
        if (!ctx.channel().isActive()) {
            return;
        }
        metrics.request("connection", code.name(), 0);
        ctx.writeAndFlush(refusal(0, code, message)).addListener(ChannelFutureListener.CLOSE);
    }
}
