package dev.sprout.protocol.frame;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.sprout.protocol.v1.PageWrite;
import dev.sprout.protocol.v1.PutPages;
import dev.sprout.protocol.v1.Request;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The frame codec, byte for byte, fed whole and split at every byte boundary (Netty's EmbeddedChannel). */
class VarintFrameDecoderTest {
    private static final int MAX = 1 << 20;

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private static byte[] body(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed + i * 31);
        }
        return b;
    }

    /** A frame as protobuf's writeDelimitedTo lays it out. */
    private static byte[] frame(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(varint(body.length));
        out.writeBytes(body);
        return out.toByteArray();
    }

    private static byte[] varint(int value) {
        byte[] b = new byte[CodedOutputStream.computeUInt32SizeNoTag(value)];
        try {
            CodedOutputStream c = CodedOutputStream.newInstance(b);
            c.writeUInt32NoTag(value);
            c.checkNoSpaceLeft();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Every frame the channel emitted so far, copied out and released. */
    private static List<byte[]> drain(EmbeddedChannel ch) {
        List<byte[]> frames = new ArrayList<>();
        ByteBuf b;
        while ((b = ch.readInbound()) != null) {
            frames.add(ByteBufUtil.getBytes(b));
            b.release();
        }
        return frames;
    }

    private static void assertFrames(List<byte[]> expected, List<byte[]> actual) {
        assertEquals(expected.size(), actual.size(), "frame count");
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), "frame " + i);
        }
    }

    @Test
    void oneFrame() {
        EmbeddedChannel ch = new EmbeddedChannel(new VarintFrameDecoder(MAX));
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(3, 0xa, 0xb, 0xc)));
        assertFrames(List.of(bytes(0xa, 0xb, 0xc)), drain(ch));
        assertFalse(ch.finish());
    }

    @Test
    void severalFramesInOneBuffer() {
        EmbeddedChannel ch = new EmbeddedChannel(new VarintFrameDecoder(MAX));
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(1, 7, 0, 2, 8, 9)));
        assertFrames(List.of(bytes(7), bytes(), bytes(8, 9)), drain(ch));
        assertFalse(ch.finish());
    }

    @Test
    void aZeroLengthFrameIsAnEmptyBody() {
        EmbeddedChannel ch = new EmbeddedChannel(new VarintFrameDecoder(MAX));
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(0)));
        assertFrames(List.of(bytes()), drain(ch));
        assertFalse(ch.finish());
    }

    /** Length prefixes of 1 to 4 bytes as protobuf writes them, and 5 with the largest length that fits the test. */
    @Test
    void lengthPrefixesOfOneToFiveBytes() {
        int[] lengths = {1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152};
        int[] prefixBytes = {1, 1, 2, 2, 3, 3, 4};
        for (int i = 0; i < lengths.length; i++) {
            assertEquals(prefixBytes[i], varint(lengths[i]).length, "prefix of " + lengths[i]);
            EmbeddedChannel ch = new EmbeddedChannel(new VarintFrameDecoder(4 << 20));
            byte[] body = body(lengths[i], i);
            ch.writeInbound(Unpooled.wrappedBuffer(frame(body)));
            assertFrames(List.of(body), drain(ch));
            assertFalse(ch.finish());
        }
        // A 5-byte prefix: protobuf reads padded varints, so does the decoder (3, padded to five bytes).
        for (int width = 1; width <= 5; width++) {
            byte[] prefix = new byte[width];
            Arrays.fill(prefix, (byte) 0x80);
            prefix[0] = (byte) (width == 1 ? 3 : 0x83);
            prefix[width - 1] = (byte) (width == 1 ? 3 : 0);
            EmbeddedChannel ch = new EmbeddedChannel(new VarintFrameDecoder(MAX));
            ch.writeInbound(Unpooled.wrappedBuffer(concat(prefix, bytes(1, 2, 3))));
            assertFrames(List.of(bytes(1, 2, 3)), drain(ch));
            assertFalse(ch.finish());
        }
        // And a real 5-byte length: refused as too long, but read whole first.
        EmbeddedChannel ch = new EmbeddedChannel(new VarintFrameDecoder(MAX));
        TooLongFrameException e = assertThrows(
                TooLongFrameException.class, () -> ch.writeInbound(Unpooled.wrappedBuffer(varint(1 << 28))));
        assertEquals("frame of 268435456 bytes exceeds the maximum of 1048576 bytes", e.getMessage());
    }

    /** The same stream, fed whole, byte by byte, and split in two at every boundary, yields the same frames. */
    @Test
    void splitAtEveryByteBoundaryYieldsTheSameFrames() {
        List<byte[]> bodies =
                List.of(body(5, 1), bytes(), body(130, 2), body(1, 3), body(300, 4), bytes(), body(127, 5));
        byte[] stream = stream(bodies);
        assertFrames(bodies, feedWhole(stream));
        assertFrames(bodies, feedByteByByte(stream));
        for (int split = 0; split <= stream.length; split++) {
            EmbeddedChannel ch = new EmbeddedChannel(new VarintFrameDecoder(MAX));
            ch.writeInbound(Unpooled.wrappedBuffer(stream, 0, split));
            List<byte[]> got = drain(ch);
            ch.writeInbound(Unpooled.wrappedBuffer(stream, split, stream.length - split));
            got.addAll(drain(ch));
            assertEquals(bodies.size(), got.size(), "split at " + split);
            for (int i = 0; i < bodies.size(); i++) {
                assertArrayEquals(bodies.get(i), got.get(i), "split at " + split + ", frame " + i);
            }
            assertFalse(ch.finish(), "split at " + split + " left bytes behind");
        }
    }

    /** A 3-byte prefix and a body longer than any socket read, fed one byte at a time. */
    @Test
    void aLargeFrameFedByteByByte() {
        List<byte[]> bodies = List.of(body(16_500, 6), body(2, 7));
        assertFrames(bodies, feedByteByByte(stream(bodies)));
    }

    private static byte[] stream(List<byte[]> bodies) {
        return concat(bodies.stream().map(VarintFrameDecoderTest::frame).toArray(byte[][]::new));
    }

    private static List<byte[]> feedWhole(byte[] stream) {
        EmbeddedChannel ch = new EmbeddedChannel(new VarintFrameDecoder(MAX));
        ch.writeInbound(Unpooled.wrappedBuffer(stream));
        List<byte[]> frames = drain(ch);
        assertFalse(ch.finish());
        return frames;
    }

    private static List<byte[]> feedByteByByte(byte[] stream) {
        EmbeddedChannel ch = new EmbeddedChannel(new VarintFrameDecoder(MAX));
        List<byte[]> frames = new ArrayList<>();
        for (byte b : stream) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
            frames.addAll(drain(ch));
        }
        assertFalse(ch.finish(), "bytes left behind");
        return frames;
    }

    @Test
    void anOversizedLengthIsRefusedAsSoonAsItsPrefixArrivesAndNothingIsBuffered() {
        EmbeddedChannel ch = new EmbeddedChannel(new VarintFrameDecoder(100));
        byte[] prefix = varint(200); // two bytes: 0xc8 0x01
        ByteBuf first = Unpooled.buffer().writeBytes(prefix, 0, 1);
        ch.writeInbound(first); // the length is not known yet: wait
        assertNull(ch.readInbound());
        ByteBuf second = Unpooled.buffer().writeBytes(prefix, 1, 1);
        TooLongFrameException e = assertThrows(TooLongFrameException.class, () -> ch.writeInbound(second));
        assertEquals("frame of 200 bytes exceeds the maximum of 100 bytes", e.getMessage());
        assertNull(ch.readInbound());
        assertEquals(0, first.refCnt(), "the prefix was not kept");
        assertEquals(0, second.refCnt(), "the prefix was not kept");

        // The stream cannot be resynchronised: what follows, even a valid frame, is discarded.
        ByteBuf later = Unpooled.wrappedBuffer(bytes(1, 42));
        ch.writeInbound(later);
        assertNull(ch.readInbound());
        assertEquals(0, later.refCnt());
        assertFalse(ch.finish());
    }

    @Test
    void aSixByteLengthPrefixIsCorrupt() {
        EmbeddedChannel ch = new EmbeddedChannel(new VarintFrameDecoder(MAX));
        ByteBuf in = Unpooled.wrappedBuffer(bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 7));
        CorruptedFrameException e = assertThrows(CorruptedFrameException.class, () -> ch.writeInbound(in));
        assertEquals("frame length prefix longer than 5 bytes", e.getMessage());
        assertEquals(0, in.refCnt());
        assertNull(ch.readInbound());
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(1, 42)));
        assertNull(ch.readInbound(), "input after a failure is discarded");
        assertFalse(ch.finish());
    }

    @Test
    void aLengthBeyondInt32IsCorrupt() {
        EmbeddedChannel ch = new EmbeddedChannel(new VarintFrameDecoder(MAX));
        CorruptedFrameException e = assertThrows(
                CorruptedFrameException.class,
                () -> ch.writeInbound(Unpooled.wrappedBuffer(bytes(0xff, 0xff, 0xff, 0xff, 0x0f))));
        assertEquals("frame length 4294967295 does not fit a varint32", e.getMessage());
        assertFalse(ch.finish());
    }

    @Test
    void maxFrameBytesMustBePositive() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new VarintFrameDecoder(0));
        assertEquals("maxFrameBytes: 0 (expected: > 0)", e.getMessage());
    }

    @Test
    void frameEncoderWritesWhatTheDecoderReads() throws Exception {
        Request small = Request.newBuilder().setId(17).setSession(3).build();
        PageWrite page = PageWrite.newBuilder()
                .setFileId(9)
                .setBlock(1)
                .setData(ByteString.copyFrom(body(8192, 7)))
                .build();
        Request large = Request.newBuilder()
                .setId(18)
                .setPutPages(PutPages.newBuilder().addPages(page).addPages(page))
                .build();

        EmbeddedChannel out = new EmbeddedChannel(FrameEncoder.INSTANCE);
        assertTrue(out.writeOutbound(small, large));
        ByteBuf a = out.readOutbound();
        ByteBuf b = out.readOutbound();
        byte[] wireA = ByteBufUtil.getBytes(a);
        byte[] wireB = ByteBufUtil.getBytes(b);
        a.release();
        b.release();
        assertArrayEquals(frame(small.toByteArray()), wireA, "varint length, then the message");
        assertArrayEquals(frame(large.toByteArray()), wireB);
        assertEquals(3, wireB.length - large.getSerializedSize(), "a 16 KiB message has a 3-byte prefix");
        assertFalse(out.finish());

        EmbeddedChannel in = new EmbeddedChannel(new VarintFrameDecoder(MAX));
        in.writeInbound(Unpooled.wrappedBuffer(concat(wireA, wireB)));
        List<byte[]> frames = drain(in);
        assertEquals(small, Request.parseFrom(frames.get(0)));
        assertEquals(large, Request.parseFrom(frames.get(1)));
        assertFalse(in.finish());
    }
}
