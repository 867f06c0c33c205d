package dev.sprout.http;

import dev.sprout.protocol.v1.Code;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;

/**
 * Netty's {@link HttpObjectAggregator} with the management API's refusals: a body over the limit is a 413 with
 * an ErrorBody (code MESSAGE_TOO_LARGE) instead of Netty's empty 413, and so is a refused
 * {@code Expect: 100-continue}. The connection handling is Netty's: when the Content-Length announced too much,
 * the answer comes before the body and the connection stays open (the body is read and discarded); when the
 * body outgrew the limit while arriving, or the client asked to close, the connection closes after the answer.
 */
final class BoundedAggregator extends HttpObjectAggregator {
    BoundedAggregator(int maxRequestBytes) {
        super(maxRequestBytes);
    }

    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        String expectation = start.headers().get(HttpHeaderNames.EXPECT); // super removes it
        Object answer = super.newContinueResponse(start, maxContentLength, pipeline);
        if (answer instanceof HttpResponse r && r.status().codeClass() == HttpStatusClass.CLIENT_ERROR) {
            ReferenceCountUtil.release(answer);
            ApiResponse refusal = r.status().equals(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE)
                    ? tooLarge(start, maxContentLength)
                    : ApiResponse.error(
                            417,
                            Code.MALFORMED_REQUEST,
                            "Expect: " + expectation + " is not supported (only 100-continue is)");
            // Netty keeps the connection open after a refused expectation and discards the body, if any comes.
            return HttpResponses.frame(start.protocolVersion(), HttpUtil.isKeepAlive(start), refusal);
        }
        return answer;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
        if (!(oversized instanceof HttpRequest)) {
            super.handleOversizedMessage(ctx, oversized);
            return;
        }
        // As Netty decides: once the client has sent part of the body, or will not keep the connection, or
        // reading is paused (nothing would read the rest of the body to discard it), close after answering.
        boolean close = oversized instanceof FullHttpMessage
                || !ctx.channel().config().isAutoRead()
                || (!HttpUtil.is100ContinueExpected(oversized) && !HttpUtil.isKeepAlive(oversized));
        HttpVersion version = oversized.protocolVersion();
        ctx.writeAndFlush(HttpResponses.frame(version, !close, tooLarge(oversized, maxContentLength())))
                .addListener(f -> {
                    if (close || !f.isSuccess()) {
                        ctx.close();
                    }
                });
    }

    private static ApiResponse tooLarge(HttpMessage request, int limit) {
        long announced = HttpUtil.getContentLength(request, -1L);
        String size = announced >= 0 && !(request instanceof FullHttpMessage) ? " of " + announced + " bytes" : "";
        return ApiResponse.error(
                413, Code.MESSAGE_TOO_LARGE, "the request body" + size + " exceeds the limit of " + limit + " bytes");
    }
}
