package dev.sprout.protocol.frame;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import java.io.IOException;

/**
 * Writes a protobuf message as one frame: its length as a varint32, then its bytes (the layout
 * {@link VarintFrameDecoder} reads), serialised straight into one pooled buffer.
 */
@ChannelHandler.Sharable
public final class FrameEncoder extends MessageToByteEncoder<MessageLite> {
    public static final FrameEncoder INSTANCE = new FrameEncoder();

    private FrameEncoder() {
        super(MessageLite.class);
    }

    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, MessageLite msg, boolean preferDirect) {
        int size = msg.getSerializedSize();
        return ctx.alloc().ioBuffer(CodedOutputStream.computeUInt32SizeNoTag(size) + size);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, MessageLite msg, ByteBuf out) throws IOException {
        int size = msg.getSerializedSize();
        int frame = CodedOutputStream.computeUInt32SizeNoTag(size) + size;
        out.ensureWritable(frame);
        if (out.nioBufferCount() == 1) {
            // Serialise straight into the buffer's memory: no intermediate array, no second copy of each page.
            java.nio.ByteBuffer target = out.internalNioBuffer(out.writerIndex(), frame);
            CodedOutputStream coded = CodedOutputStream.newInstance(target);
            coded.writeUInt32NoTag(size);
            msg.writeTo(coded);
            coded.flush();
            if (coded.getTotalBytesWritten() != frame) {
                throw new IOException("encoded " + coded.getTotalBytesWritten() + " bytes for a frame of " + frame);
            }
            out.writerIndex(out.writerIndex() + frame);
            return;
        }
        try (ByteBufOutputStream stream = new ByteBufOutputStream(out)) {
            CodedOutputStream coded = CodedOutputStream.newInstance(stream, frame);
            coded.writeUInt32NoTag(size);
            msg.writeTo(coded);
            coded.flush();
        }
    }
}
