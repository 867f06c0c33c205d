package dev.sprout.http;

import dev.sprout.http.auth.AuditLog;
import dev.sprout.http.auth.Principal;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.ErrorBody;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each whole request of one connection that carries a valid bearer token ({@link BearerAuth}) to the API
 * on the blocking executor, as the token's {@link Principal}, and writes the answer back; answers one without it
 * 401 (or 429) itself. Changes and refusals are recorded in the {@link AuditLog}.
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
    private final AuditLog audit;
    private final Executor blocking;

    ApiHandler(HttpApi api, BearerAuth auth, AuditLog audit, Executor blocking) {
        this.api = api;
        this.auth = auth;
        this.audit = audit;
        this.blocking = blocking;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest http) {
        HttpVersion version = http.protocolVersion();
        if (http.decoderResult().isFailure()) {
            Throwable cause = http.decoderResult().cause();
            HttpResponses.write(
                    ctx,
                    version,
                    false,
                    ApiResponse.error(
                            400, Code.MALFORMED_REQUEST, "the request is not valid HTTP/1.1: " + cause.getMessage()));
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(http);
        ApiRequest request;
        try {
            QueryStringDecoder uri = new QueryStringDecoder(http.uri());
            request = new ApiRequest(
                    http.method().name(), uri.path(), uri.parameters(), ByteBufUtil.getBytes(http.content()));
        } catch (IllegalArgumentException e) { // a malformed %-escape in the path or query
            HttpResponses.write(
                    ctx,
                    version,
                    keepAlive,
                    ApiResponse.error(
                            400,
                            Code.MALFORMED_REQUEST,
                            "the request URI \"" + http.uri() + "\" cannot be decoded: " + e.getMessage()));
            return;
        }
        InetAddress remote = remoteAddress(ctx);
        Principal principal;
        switch (auth.check(
                request.method(), request.path(), http.headers().get(HttpHeaderNames.AUTHORIZATION), remote)) {
            case BearerAuth.Outcome.Open() -> principal = Principal.ADMIN; // GET /healthz reads nothing a token guards
            case BearerAuth.Outcome.Allowed(Principal p) -> principal = p;
            case BearerAuth.Outcome.Refused(ApiResponse response, String actor) -> {
                log.debug("{} {} from {} refused: {}", request.method(), request.path(), remote, response.bodyText());
                audit.record(
                        actor,
                        request.method(),
                        request.path(),
                        response.status(),
                        code(response),
                        remote.getHostAddress());
                HttpResponses.write(ctx, version, keepAlive, response);
                return;
            }
        }
        ApiRequest authenticated = request.as(principal);
        String accept = http.headers().get(HttpHeaderNames.ACCEPT);
        ctx.channel().config().setAutoRead(false);
        try {
            blocking.execute(() -> answer(ctx, version, keepAlive, authenticated, accept, remote));
        } catch (RejectedExecutionException e) {
            HttpResponses.write(
                    ctx,
                    version,
                    keepAlive,
                    ApiResponse.error(
                            503,
                            Code.OVERLOADED,
                            "the management API cannot take " + request.method() + " " + request.path() + " now: "
                                    + e.getMessage()));
        }
    }

    private void answer(
            ChannelHandlerContext ctx,
            HttpVersion version,
            boolean keepAlive,
            ApiRequest request,
            String accept,
            InetAddress remote) {
        ApiResponse response;
        try {
            response = api.handle(request);
        } catch (Throwable t) { // handle() answers every exception; this is an Error. Do not leave the client waiting.
            ctx.close();
            throw t;
        }
        if (audited(request.method(), response.status())) {
            audit.record(
                    request.principal().describe(),
                    request.method(),
                    request.path(),
                    response.status(),
                    code(response),
                    remote.getHostAddress());
        }
        HttpResponses.write(ctx, version, keepAlive, response.negotiated(accept));
    }

    /** Changes (anything but GET and HEAD) and refusals of who asked are recorded; reads that succeed are not. */
    private static boolean audited(String method, int status) {
        return !(method.equals("GET") || method.equals("HEAD")) || status == 401 || status == 403 || status == 429;
    }

    /** The refusal's code for the audit log; empty for a success. */
    private static String code(ApiResponse response) {
        if (response.status() < 400 || !response.contentType().equals(ApiResponse.JSON)) {
            return "";
        }
        try {
            return Json.parse(response.body(), ErrorBody.newBuilder()).getCode().name();
        } catch (RuntimeException e) {
            return "";
        }
    }

    private static InetAddress remoteAddress(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a
                ? a.getAddress()
                : InetAddress.getLoopbackAddress();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("closing management API connection {}", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
