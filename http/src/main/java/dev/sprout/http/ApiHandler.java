package dev.sprout.http;

import dev.sprout.protocol.v1.Code;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each whole request of one connection that carries the bearer token ({@link BearerAuth}) to
 * {@link ManagementApi} on the blocking executor and writes the answer back; answers one without it 401 itself.
 *
 * <p>One request per connection at a time: reading stops (auto-read off) when a request is handed over and
 * resumes when its answer has been written, so a client cannot queue work faster than the store answers it,
 * and HTTP/1.1's in-order answers need no bookkeeping. A pipelined request that arrived in the same read waits
 * in the {@link io.netty.handler.flow.FlowControlHandler} before this handler.
 *
 * <p>Concurrency: one instance per channel; its methods run on the channel's event loop, except the task on
 * the blocking executor, which only calls the API and writes through the (thread-safe) context.
 */
final class ApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);

    private final HttpApi api;
    private final BearerAuth auth;
    private final Executor blocking;

    ApiHandler(HttpApi api, BearerAuth auth, Executor blocking) {
        this.api = api;
        this.auth = auth;
        this.blocking = blocking;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest http) {
        HttpVersion version = http.protocolVersion();
        if (http.decoderResult().isFailure()) {
            Throwable cause = http.decoderResult().cause();
            HttpResponses.write(ctx, version, false, ApiResponse.error(400, Code.MALFORMED_REQUEST,
                    "the request is not valid HTTP/1.1: " + cause.getMessage()));
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(http);
        ApiRequest request;
        try {
            QueryStringDecoder uri = new QueryStringDecoder(http.uri());
            request = new ApiRequest(http.method().name(), uri.path(), uri.parameters(), ByteBufUtil.getBytes(http.content()));
        } catch (IllegalArgumentException e) { // a malformed %-escape in the path or query
            HttpResponses.write(ctx, version, keepAlive, ApiResponse.error(400, Code.MALFORMED_REQUEST,
                    "the request URI \"" + http.uri() + "\" cannot be decoded: " + e.getMessage()));
            return;
        }
        var refused = auth.refusal(request.method(), request.path(), http.headers().get(HttpHeaderNames.AUTHORIZATION));
        if (refused.isPresent()) {
            log.debug("management API: {} {} from {} refused: {}", request.method(), request.path(),
                    ctx.channel().remoteAddress(), refused.get().bodyText());
            HttpResponses.write(ctx, version, keepAlive, refused.get());
            return;
        }
        ctx.channel().config().setAutoRead(false);
        try {
            blocking.execute(() -> answer(ctx, version, keepAlive, request));
        } catch (RejectedExecutionException e) {
            HttpResponses.write(ctx, version, keepAlive, ApiResponse.error(503, Code.OVERLOADED,
                    "the management API cannot take " + request.method() + " " + request.path() + " now: " + e.getMessage()));
        }
    }

    private void answer(ChannelHandlerContext ctx, HttpVersion version, boolean keepAlive, ApiRequest request) {
        ApiResponse response;
        try {
            response = api.handle(request);
        } catch (Throwable t) { // handle() answers every exception; this is an Error. Do not leave the client waiting.
            ctx.close();
            throw t;
        }
        HttpResponses.write(ctx, version, keepAlive, response);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("closing management API connection {}", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
