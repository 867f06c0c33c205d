package dev.sprout.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Map;

/** Frames an {@link ApiResponse} as HTTP/1.1, and writes it with the keep-alive decision applied. */
final class HttpResponses {
    private HttpResponses() {}

    static FullHttpResponse frame(HttpVersion version, boolean keepAlive, ApiResponse r) {
        FullHttpResponse response = new DefaultFullHttpResponse(
                version, HttpResponseStatus.valueOf(r.status()), Unpooled.wrappedBuffer(r.body()));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, r.contentType())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
        for (Map.Entry<String, String> h : r.headers().entrySet()) {
            response.headers().set(h.getKey(), h.getValue());
        }
        HttpUtil.setKeepAlive(response, keepAlive);
        return response;
    }

    /**
     * Writes the answer; then closes the connection when it is not kept alive (or the write failed), else
     * reads the next request (see {@link ApiHandler} on auto-read). Safe from any thread.
     */
    static void write(ChannelHandlerContext ctx, HttpVersion version, boolean keepAlive, ApiResponse r) {
        ctx.writeAndFlush(frame(version, keepAlive, r)).addListener(f -> {
            if (keepAlive && f.isSuccess()) {
                ctx.channel().config().setAutoRead(true);
            } else {
                ctx.close();
            }
        });
    }
}
