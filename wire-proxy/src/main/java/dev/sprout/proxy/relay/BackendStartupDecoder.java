package dev.sprout.proxy.relay;

import dev.sprout.proxy.cancel.CancelKey;
import dev.sprout.proxy.error.ProxyError;
import dev.sprout.proxy.error.SqlState;
import dev.sprout.proxy.wire.Messages;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Reads the compute's side of the startup (authentication requests, ParameterStatus, BackendKeyData, ...) message by
 * message until the first ReadyForQuery, passing each on unchanged except BackendKeyData, which is replaced by the
 * key the proxy issues ({@link Listener#keyFromCompute}). At ReadyForQuery it tells the {@link Listener} and
 * removes itself: from then on the compute's bytes are relayed without being looked at.
 *
 * <p>A message is a type byte and a 4-byte length that counts itself; a length outside 4 to
 * {@value #MAX_STARTUP_MESSAGE} bytes means the other end is not a PostgreSQL server (during startup the server sends
 * only small messages; SASL challenges are well under a kilobyte). Not thread-safe: one per compute channel.
 */
public final class BackendStartupDecoder extends ByteToMessageDecoder {
    /** The largest message accepted from the compute before ReadyForQuery. */
    static final int MAX_STARTUP_MESSAGE = 1 << 20;

    /** The session this compute connection belongs to. Called on the event loop. */
    public interface Listener {
        /** The compute's own key arrived; returns the key to give the client instead. */
        CancelKey keyFromCompute(CancelKey computeKey);

        /** ReadyForQuery passed: startup and authentication are over. */
        void ready();
    }

    private final Listener listener;

    public BackendStartupDecoder(Listener listener) {
        this.listener = listener;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < 5) {
            return;
        }
        int start = in.readerIndex();
        byte type = in.getByte(start);
        int length = in.getInt(start + 1);
        if (length < 4 || length > MAX_STARTUP_MESSAGE) {
            throw new ProxyError(
                    SqlState.PROTOCOL_VIOLATION,
                    "the compute sent a malformed message (type 0x" + Integer.toHexString(type & 0xff) + ", length "
                            + length + ") during startup");
        }
        if (in.readableBytes() < 1 + length) {
            return;
        }
        switch (type) {
            case 'K' -> {
                if (length < 8 + 4) {
                    throw new ProxyError(
                            SqlState.PROTOCOL_VIOLATION, "the compute sent a BackendKeyData of " + length + " bytes");
                }
                in.skipBytes(5);
                int pid = in.readInt();
                byte[] secret = new byte[length - 8];
                in.readBytes(secret);
                CancelKey issued = listener.keyFromCompute(new CancelKey(pid, secret));
                out.add(Messages.backendKeyData(ctx.alloc(), issued.processId(), issued.secret()));
            }
            case 'Z' -> {
                out.add(in.readRetainedSlice(1 + length));
                listener.ready();
                ctx.pipeline().remove(this); // what follows is relayed as it comes
            }
            default -> out.add(in.readRetainedSlice(1 + length));
        }
    }
}
