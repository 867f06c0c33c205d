package dev.sprout.proxy.startup;

import dev.sprout.proxy.wire.StartupCodes;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.util.List;

/**
 * Looks at a connection's first byte: a TLS handshake record ({@code 0x16}) means the client starts TLS at once
 * without an SSLRequest (PostgreSQL 17's {@code sslnegotiation=direct}); this handler then puts an {@link SslHandler}
 * in its place and tells {@link StartupHandler} with {@link #DIRECT_TLS}. Any other first byte leaves the pipeline
 * as it was. Either way it removes itself, passing on what it buffered (no byte can be a PostgreSQL packet's first:
 * a startup packet's length is at most 10,000, so its first byte is 0).
 */
public final class TlsSniffer extends ByteToMessageDecoder {
    /** The user event fired when the connection turned out to start with TLS. */
    public static final Object DIRECT_TLS = new Object() {
        @Override
        public String toString() {
            return "DIRECT_TLS";
        }
    };

    private final SslContext tls;

    public TlsSniffer(SslContext tls) {
        this.tls = tls;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (!in.isReadable()) {
            return;
        }
        if (in.getUnsignedByte(in.readerIndex()) == StartupCodes.TLS_HANDSHAKE_RECORD) {
            ctx.fireUserEventTriggered(DIRECT_TLS);
            ctx.pipeline().replace(this, StartupHandler.TLS_HANDLER, tls.newHandler(ctx.alloc()));
        } else {
            ctx.pipeline().remove(this);
        }
    }
}
