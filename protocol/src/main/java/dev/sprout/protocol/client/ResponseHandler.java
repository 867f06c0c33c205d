package dev.sprout.protocol.client;

import dev.sprout.protocol.v1.Response;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;
import java.io.InputStream;

/**
 * The last handler of a client connection: parses each frame the {@code VarintFrameDecoder} cut into a
 * {@link Response} and hands it, and the connection's end, to the {@link Dispatcher}.
 *
 * <p>A frame that is not a Response, or a broken frame stream (too long, corrupt length), cannot be matched to
 * any request: the connection is closed, which fails what is in flight and starts a reconnect.
 *
 * <p>Concurrency: one instance per channel, called on its event loop only.
 */
final class ResponseHandler extends ChannelInboundHandlerAdapter {
    private final Dispatcher dispatcher;

    ResponseHandler(Dispatcher dispatcher) {
        this.dispatcher = dispatcher;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        Response response;
        try {
            response = parse(frame);
        } catch (IOException e) {
            dispatcher.onBrokenStream(
                    ctx.channel(),
                    new IOException(
                            "a frame of " + frame.readableBytes() + " bytes from the server is not a Response: "
                                    + e.getMessage(),
                            e));
            return;
        } finally {
            frame.release();
        }
        dispatcher.onResponse(response);
    }

    /**
     * Parses without an intermediate copy: protobuf reads a single NIO view (heap or direct) in place and copies
     * only the {@code bytes} fields out, so a page costs one copy from the socket buffer to its ByteString.
     */
    static Response parse(ByteBuf frame) throws IOException {
        if (frame.nioBufferCount() == 1) {
            return Response.parseFrom(frame.nioBuffer());
        }
        try (InputStream in = new ByteBufInputStream(frame.duplicate())) {
            return Response.parseFrom(in);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        dispatcher.onClosed(ctx.channel());
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        dispatcher.onBrokenStream(ctx.channel(), cause);
    }
}
