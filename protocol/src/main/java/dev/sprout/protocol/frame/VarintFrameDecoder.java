package dev.sprout.protocol.frame;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.util.List;

/**
 * Splits a stream into frames that each start with their length as a base-128 varint32 (protobuf's
 * {@code writeDelimitedTo} layout) and emits each frame's body as a retained slice of the input.
 *
 * <p>Unlike Netty's {@code ProtobufVarint32FrameDecoder} it bounds the length: a frame longer than
 * {@code maxFrameBytes} raises {@link TooLongFrameException} as soon as its length prefix has arrived, before
 * any of its body is buffered, so a peer cannot make us allocate what it announces. A length prefix of more
 * than five bytes (no int32 needs more) or a negative length raises {@link CorruptedFrameException}. Either way
 * the stream cannot be resynchronised: the decoder stays failed and discards what follows, and the caller
 * should answer and close.
 *
 * <p>Concurrency: one instance per channel, used on its event loop only (Netty's contract for decoders).
 */
public final class VarintFrameDecoder extends ByteToMessageDecoder {
    /** A varint32 takes at most five bytes. */
    private static final int MAX_VARINT32_BYTES = 5;

    private final int maxFrameBytes;
    private boolean failed;

    public VarintFrameDecoder(int maxFrameBytes) {
        if (maxFrameBytes <= 0) {
            throw new IllegalArgumentException("maxFrameBytes: " + maxFrameBytes + " (expected: > 0)");
        }
        this.maxFrameBytes = maxFrameBytes;
    }

    public int maxFrameBytes() {
        return maxFrameBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        while (in.isReadable()) {
            int start = in.readerIndex();
            long length = 0;
            int shift = 0;
            int prefixBytes = 0;
            boolean complete = false;
            while (in.isReadable()) {
                byte b = in.readByte();
                prefixBytes++;
                length |= (long) (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    complete = true;
                    break;
                }
                shift += 7;
                if (prefixBytes == MAX_VARINT32_BYTES) {
                    fail(in);
                    throw new CorruptedFrameException(
                            "frame length prefix longer than " + MAX_VARINT32_BYTES + " bytes");
                }
            }
            if (!complete) {
                in.readerIndex(start); // wait for the rest of the prefix
                return;
            }
            if (length > Integer.MAX_VALUE) {
                fail(in);
                throw new CorruptedFrameException("frame length " + length + " does not fit a varint32");
            }
            if (length > maxFrameBytes) {
                fail(in);
                throw new TooLongFrameException(
                        "frame of " + length + " bytes exceeds the maximum of " + maxFrameBytes + " bytes");
            }
            if (in.readableBytes() < length) {
                in.readerIndex(start); // wait for the whole body
                return;
            }
            out.add(in.readRetainedSlice((int) length));
        }
    }

    private void fail(ByteBuf in) {
        failed = true;
        in.skipBytes(in.readableBytes());
    }
}
