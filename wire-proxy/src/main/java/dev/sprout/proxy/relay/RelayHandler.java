package dev.sprout.proxy.relay;

import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies what its channel reads to {@code peer}, with backpressure in the manner of Netty's
 * {@code HexDumpProxyFrontendHandler}: the channel's auto-read is off, and the next read is asked for only once the
 * previous chunk has been written to the peer. So at most one read buffer per direction is in flight, whatever the
 * speeds of client and compute; nothing queues without bound. Both channels share one event loop, so no locking.
 *
 * <p>When either side closes, the other is closed after what was already written has been flushed.
 */
public final class RelayHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(RelayHandler.class);

    private final Channel peer;
    private final Counter bytes;

    /** @param bytes counts the bytes copied to {@code peer} */
    public RelayHandler(Channel peer, Counter bytes) {
        this.peer = peer;
        this.bytes = bytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf b) {
            bytes.increment(b.readableBytes());
        }
        forward(ctx.channel(), peer, msg);
    }

    /** Writes {@code msg} to {@code to} and asks {@code from} for its next read once the write is done. */
    public static void forward(Channel from, Channel to, Object msg) {
        to.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                from.read();
            } else {
                from.close();
            }
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closeOnFlush(peer);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("relay from {} failed", ctx.channel().remoteAddress(), cause);
        closeOnFlush(ctx.channel());
    }

    /** Closes {@code ch} once everything written to it so far has been flushed. */
    public static void closeOnFlush(Channel ch) {
        if (ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            ch.close();
        }
    }
}
