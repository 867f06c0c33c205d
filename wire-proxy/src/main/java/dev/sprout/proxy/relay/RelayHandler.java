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
 * Copies what its channel reads to {@code peer}, with backpressure by the peer's writability: the channel reads
 * (auto-read on) while the peer's outbound buffer is below its high-water mark (Netty's default 64 KiB), stops
 * reading as soon as a write pushes it above, and reads again when the peer has drained below the low-water mark
 * (32 KiB) and becomes writable. So what waits between a client and its compute is bounded by one read buffer and
 * the high-water mark per direction, whatever the speeds; nothing queues without bound. Writes are flushed once per
 * read batch ({@code channelReadComplete}). Both channels share one event loop, so no locking.
 *
 * <p>Why not Netty's {@code HexDumpProxyFrontendHandler} way (auto-read off, one {@code read()} after each
 * completed write): with the epoll transport every such read re-arms and then disarms EPOLLIN, two
 * {@code epoll_ctl} calls per message per direction, which for pgbench's small messages was a measured part of
 * the proxy's cost per transaction (see docs/benchmarks.md, "Wire proxy").
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
        peer.write(msg, peer.voidPromise()); // a failed write fires exceptionCaught on the peer, which closes it
        if (!peer.isWritable()) {
            ctx.channel().config().setAutoRead(false); // until the peer drains: channelWritabilityChanged below
            peer.flush();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
        ctx.fireChannelReadComplete();
    }

    /** This channel drained below its low-water mark: the peer, which writes into it, may read again. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            peer.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** Starts relaying: both channels read from now on, as long as the other side keeps up. */
    public static void start(Channel a, Channel b) {
        a.config().setAutoRead(b.isWritable());
        b.config().setAutoRead(a.isWritable());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closeOnFlush(peer);
        ctx.fireChannelInactive();
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
