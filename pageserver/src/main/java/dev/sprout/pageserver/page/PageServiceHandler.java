package dev.sprout.pageserver.page;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.sprout.pageserver.auth.Credentials;
import dev.sprout.pageserver.metrics.PageServiceMetrics;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.Request;
import dev.sprout.protocol.v1.Response;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
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

    private final Executor pool;
    private final PageServiceMetrics metrics;
    private final int maxInFlight;
    private final ConnectionRequests requests;
    private final AtomicInteger inFlight = new AtomicInteger();
    private Channel channel;

    /**
     * @param credentials what an Attach must carry ({@link dev.sprout.protocol.v1.Attach#getCredential()}): the
     *                    page-service secret, or the credential of the timeline it attaches
     *                    ({@link Credentials#forTimeline})
     */
    public PageServiceHandler(
            PageOperations ops, Credentials credentials, Executor pool, PageServiceMetrics metrics, int maxInFlight) {
        this.pool = pool;
        this.metrics = metrics;
        this.maxInFlight = maxInFlight;
        this.requests = new ConnectionRequests(
                ops, credentials, pool, metrics, () -> channel == null ? "?" : channel.remoteAddress());
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
        requests.connectionClosed(); // behind each session's queued changes, which will find the channel gone
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
                    ConnectionRequests.refusal(
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

    /**
     * Where each request runs: Ping on the event loop; a GetPages whose pages are all cached on the event loop too
     * (no hand-off); other reads and Attach on the storage pool, concurrently; a session's changes through its
     * serial queue on the pool.
     */
    private void dispatch(Request r, long arrived) {
        long id = r.getId();
        String op = ConnectionRequests.opName(r);
        switch (ConnectionRequests.kind(r)) {
            case IMMEDIATE -> send(requests.immediate(r), op, arrived, false);
            case ATTACH -> run(pool, id, op, arrived, () -> requests.attach(r, channel.isActive()));
            case READ -> {
                var cached = requests.cachedPages(r);
                if (cached.isPresent()) {
                    send(cached.get(), op, arrived, false);
                } else {
                    run(pool, id, op, arrived, () -> requests.read(r));
                }
            }
            case CHANGE -> {
                Session s;
                try {
                    s = requests.session(r);
                } catch (ServiceException e) {
                    send(ConnectionRequests.refusal(id, e.code(), e.getMessage()), op, arrived, false);
                    return;
                }
                run(s, id, op, arrived, () -> requests.change(s, r));
            }
        }
    }

    private void run(Executor executor, long id, String op, long arrived, Supplier<Response.Builder> work) {
        if (inFlight.incrementAndGet() >= maxInFlight) {
            channel.config().setAutoRead(false);
        }
        try {
            executor.execute(() -> send(ConnectionRequests.answer(id, op, work), op, arrived, true));
        } catch (RejectedExecutionException e) {
            send(ConnectionRequests.refusal(id, Code.CLOSED, "the pageserver is shutting down"), op, arrived, true);
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
        ctx.writeAndFlush(ConnectionRequests.refusal(0, code, message)).addListener(ChannelFutureListener.CLOSE);
    }
}
