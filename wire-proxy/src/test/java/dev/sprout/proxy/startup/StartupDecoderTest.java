package dev.sprout.proxy.startup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sprout.proxy.error.ProxyError;
import dev.sprout.proxy.error.SqlState;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import org.junit.jupiter.api.Test;

/**
 * {@link StartupDecoder} on byte-exact frames, each fed whole, split in two at every byte boundary and one byte at a
 * time. The frames are written here by hand (not with the proxy's own encoders) so that the decoder is checked against
 * the protocol, not against the code it shares a module with.
 */
class StartupDecoderTest {
    private static final int PROTOCOL_3_0 = 3 << 16;
    private static final int PROTOCOL_3_2 = 3 << 16 | 2;
    private static final int CANCEL = 1234 << 16 | 5678;
    private static final int SSL = 1234 << 16 | 5679;
    private static final int GSSENC = 1234 << 16 | 5680;

    // ---- well-formed packets --------------------------------------------------------------------------------

    @Test
    void sslRequestIsTheEightBytesEveryClientSends() {
        byte[] frame = hex("0000000804d2162f");
        assertArrayEquals(frame, frame(SSL, new byte[0]), "the helper writes the same bytes as libpq");
        assertDecodesAtEverySplit(frame, new StartupPacket.SslRequest());
    }

    @Test
    void gssEncRequest() {
        byte[] frame = hex("0000000804d21630");
        assertEquals(80877104, GSSENC);
        assertArrayEquals(frame, frame(GSSENC, new byte[0]));
        assertDecodesAtEverySplit(frame, new StartupPacket.GssEncRequest());
    }

    @Test
    void cancelRequestOfProtocol30HasAFourByteSecret() {
        byte[] frame = hex("00000010" + "04d2162e" + "00003039" + "deadbeef");
        assertDecodesAtEverySplit(frame, new StartupPacket.CancelRequest(12345, hex("deadbeef")));
    }

    @Test
    void cancelRequestOfProtocol32HasALongSecret() {
        byte[] secret = new byte[32];
        for (int i = 0; i < secret.length; i++) {
            secret[i] = (byte) (0xA0 + i);
        }
        byte[] frame = cancel(-7, secret);
        assertEquals(44, frame.length);
        assertDecodesAtEverySplit(frame, new StartupPacket.CancelRequest(-7, secret));
        // The record's equals compares the secret's bytes: one other byte is another key.
        byte[] other = secret.clone();
        other[31] ^= 1;
        assertNotEquals(new StartupPacket.CancelRequest(-7, secret), new StartupPacket.CancelRequest(-7, other));
    }

    @Test
    void cancelSecretsFromFourTo256BytesAreAccepted() {
        for (int length : new int[] {4, 5, 255, 256}) {
            byte[] secret = new byte[length];
            Arrays.fill(secret, (byte) length);
            assertEquals(
                    List.of(new StartupPacket.CancelRequest(1, secret)),
                    decodeWhole(cancel(1, secret)),
                    "secret of " + length);
        }
    }

    @Test
    void startupMessage30KeepsItsParametersInOrder() {
        byte[] frame = startup(
                PROTOCOL_3_0,
                "user",
                "alice",
                "database",
                "db@feature-x",
                "options",
                "-c search_path=a\\ b",
                "application_name",
                "psql");
        SequencedMap<String, String> parameters = new LinkedHashMap<>();
        parameters.put("user", "alice");
        parameters.put("database", "db@feature-x");
        parameters.put("options", "-c search_path=a\\ b");
        parameters.put("application_name", "psql");
        StartupPacket.Startup expected = new StartupPacket.Startup(3, 0, parameters);
        assertDecodesAtEverySplit(frame, expected);
        StartupPacket.Startup decoded =
                (StartupPacket.Startup) decodeWhole(frame).getFirst();
        assertEquals(
                List.of("user", "database", "options", "application_name"),
                List.copyOf(decoded.parameters().keySet()));
    }

    @Test
    void startupMessage32WithUtf8AndEmptyValues() {
        byte[] frame = startup(PROTOCOL_3_2, "user", "zoë", "application_name", "", "_pq_.foo", "bar");
        SequencedMap<String, String> parameters = new LinkedHashMap<>();
        parameters.put("user", "zoë");
        parameters.put("application_name", "");
        parameters.put("_pq_.foo", "bar");
        assertDecodesAtEverySplit(frame, new StartupPacket.Startup(3, 2, parameters));
    }

    @Test
    void startupMessageWithoutParametersIsJustTheTerminator() {
        assertDecodesAtEverySplit(
                hex("00000009" + "00030000" + "00"), new StartupPacket.Startup(3, 0, new LinkedHashMap<>()));
    }

    @Test
    void otherProtocolVersionsAreDecodedForTheHandlerToAnswer() {
        assertDecodesAtEverySplit(
                startup(2 << 16, "user", "u"), StartupPacket.Startup.of(2, 0, java.util.Map.of("user", "u")));
        assertDecodesAtEverySplit(
                startup(3 << 16 | 0xFFFF, "user", "u"),
                StartupPacket.Startup.of(3, 0xFFFF, java.util.Map.of("user", "u")));
    }

    @Test
    void packetsBackToBackInOneBufferAreAllDecoded() {
        byte[] both = concat(frame(GSSENC, new byte[0]), startup(PROTOCOL_3_0, "user", "u"));
        assertEquals(
                List.of(
                        new StartupPacket.GssEncRequest(),
                        StartupPacket.Startup.of(3, 0, java.util.Map.of("user", "u"))),
                decodeWhole(both));
    }

    @Test
    void aPacketOfExactlyTheLimitIsAccepted() {
        byte[] frame = startupOfLength(StartupDecoder.MAX_STARTUP_PACKET);
        assertEquals(10_000, frame.length);
        List<Object> decoded = decodeWhole(frame);
        StartupPacket.Startup startup = assertInstanceOf(StartupPacket.Startup.class, decoded.getFirst());
        assertEquals("u", startup.parameter("user"));
        assertEquals(
                10_000 - 8 - 7 - 17 - 2, startup.parameter("application_name").length());
    }

    // ---- lengths ------------------------------------------------------------------------------------------------

    @Test
    void aLengthAboveTheLimitFailsFromTheFourLengthBytesAlone() {
        // 10001 announced, and only the 4 length bytes sent: the decoder must not wait for (or buffer) the rest.
        assertViolation(hex("00002711"), "invalid length of startup packet: 10001 bytes (expected: 8 to 10000)");
        assertViolation(hex("7fffffff"), "invalid length of startup packet: 2147483647 bytes (expected: 8 to 10000)");
        assertViolation(hex("ffffffff"), "invalid length of startup packet: 4294967295 bytes (expected: 8 to 10000)");
    }

    @Test
    void aLengthAboveTheLimitFailsAtTheFourthByteWhenFedOneByteAtATime() {
        EmbeddedChannel channel = new EmbeddedChannel(new StartupDecoder());
        byte[] start = hex("00002711" + "00030000");
        for (int i = 0; i < 3; i++) {
            channel.writeInbound(Unpooled.wrappedBuffer(start, i, 1));
            assertNull(channel.readInbound(), "nothing decoded after " + (i + 1) + " bytes");
        }
        DecoderException e =
                assertThrows(DecoderException.class, () -> channel.writeInbound(Unpooled.wrappedBuffer(start, 3, 1)));
        assertEquals(
                "invalid length of startup packet: 10001 bytes (expected: 8 to 10000)",
                violation(e).getMessage());
        discard(channel);
    }

    @Test
    void aLengthBelowEightFails() {
        assertViolation(hex("00000007"), "invalid length of startup packet: 7 bytes (expected: 8 to 10000)");
        assertViolation(hex("00000000"), "invalid length of startup packet: 0 bytes (expected: 8 to 10000)");
    }

    @Test
    void fewerThanFourBytesAreWaitedFor() {
        EmbeddedChannel channel = new EmbeddedChannel(new StartupDecoder());
        channel.writeInbound(Unpooled.wrappedBuffer(hex("000027")));
        assertNull(channel.readInbound());
        discard(channel);
    }

    // ---- malformed StartupMessages ------------------------------------------------------------------------------

    @Test
    void missingFinalTerminator() {
        // "user\0alice\0" and no closing NUL
        assertViolation(
                frame(PROTOCOL_3_0, cstrings("user", "alice")),
                "invalid startup packet layout: expected terminator as last byte");
        // no parameters and no terminator at all
        assertViolation(
                hex("00000008" + "00030000"), "invalid startup packet layout: expected terminator as last byte");
    }

    @Test
    void aValueWithoutItsNul() {
        byte[] body = concat(cstrings("user"), "alice".getBytes(StandardCharsets.US_ASCII));
        assertViolation(
                frame(PROTOCOL_3_0, body),
                "invalid startup packet layout: value of parameter \"user\" is not NUL-terminated");
    }

    @Test
    void bytesAfterTheTerminator() {
        byte[] body = concat(cstrings("user", "alice"), hex("00" + "78" + "79"));
        assertViolation(frame(PROTOCOL_3_0, body), "invalid startup packet layout: 2 bytes after the terminator");
    }

    @Test
    void duplicateParameter() {
        assertViolation(
                startup(PROTOCOL_3_0, "user", "alice", "database", "d", "user", "mallory"),
                "startup packet repeats parameter \"user\"");
    }

    @Test
    void nonUtf8Value() {
        byte[] body =
                concat(cstrings("user"), hex("c328" + "00" + "00")); // C3 28: a lead byte without its continuation
        assertViolation(
                frame(PROTOCOL_3_0, body), "invalid startup packet: value of parameter \"user\" is not valid UTF-8");
    }

    @Test
    void nonUtf8Name() {
        byte[] body = concat(hex("ff" + "00"), cstrings("x"), hex("00"));
        assertViolation(frame(PROTOCOL_3_0, body), "invalid startup packet: parameter name is not valid UTF-8");
    }

    // ---- malformed requests ------------------------------------------------------------------------------------

    @Test
    void unencryptedBytesBehindAnSslRequestInTheSameBuffer() {
        // CVE-2021-23214: what arrived in the clear behind the SSLRequest must not be read as if it came over TLS.
        byte[] both = concat(frame(SSL, new byte[0]), startup(PROTOCOL_3_0, "user", "u"));
        assertViolation(both, "received unencrypted data after SSLRequest (" + (both.length - 8) + " bytes)");
        assertViolation(
                concat(frame(SSL, new byte[0]), hex("00")), "received unencrypted data after SSLRequest (1 bytes)");
    }

    @Test
    void sslAndGssEncRequestsOfTheWrongLength() {
        assertViolation(frame(SSL, hex("00000000")), "invalid length of SSLRequest: 12 bytes (expected: 8)");
        assertViolation(frame(GSSENC, hex("00")), "invalid length of GSSENCRequest: 9 bytes (expected: 8)");
    }

    @Test
    void cancelSecretsOutsideFourTo256Bytes() {
        assertViolation(cancel(1, new byte[3]), "invalid length of CancelRequest: 15 bytes (expected: 16 to 268)");
        assertViolation(cancel(1, new byte[257]), "invalid length of CancelRequest: 269 bytes (expected: 16 to 268)");
        assertViolation(cancel(1, new byte[0]), "invalid length of CancelRequest: 12 bytes (expected: 16 to 268)");
        assertViolation(frame(CANCEL, new byte[0]), "invalid length of CancelRequest: 8 bytes (expected: 16 to 268)");
    }

    @Test
    void unknownRequestCode() {
        assertViolation(frame(1234 << 16 | 9999, new byte[0]), "unsupported startup request code 1234.9999");
        assertViolation(
                frame(1234 << 16 | 5681, cstrings("user", "u", "")), "unsupported startup request code 1234.5681");
    }

    // ---- feeding ------------------------------------------------------------------------------------------------

    /** Whole, in two pieces at every split point, and one byte at a time: always exactly {@code expected}. */
    private static void assertDecodesAtEverySplit(byte[] frame, StartupPacket expected) {
        assertEquals(List.of(expected), decodeWhole(frame), "whole");
        for (int split = 1; split < frame.length; split++) {
            EmbeddedChannel channel = new EmbeddedChannel(new StartupDecoder());
            channel.writeInbound(Unpooled.wrappedBuffer(frame, 0, split));
            assertNull(channel.readInbound(), "decoded early from the first " + split + " bytes");
            channel.writeInbound(Unpooled.wrappedBuffer(frame, split, frame.length - split));
            assertEquals(expected, channel.readInbound(), "split at " + split);
            assertNull(channel.readInbound(), "one packet only, split at " + split);
            channel.checkException();
            assertEquals(false, channel.finish());
        }
        EmbeddedChannel channel = new EmbeddedChannel(new StartupDecoder());
        for (int i = 0; i < frame.length; i++) {
            channel.writeInbound(Unpooled.wrappedBuffer(frame, i, 1));
            if (i < frame.length - 1) {
                assertNull(channel.readInbound(), "decoded early after byte " + i);
            }
        }
        assertEquals(expected, channel.readInbound(), "one byte at a time");
        assertEquals(false, channel.finish());
    }

    private static List<Object> decodeWhole(byte[] frame) {
        EmbeddedChannel channel = new EmbeddedChannel(new StartupDecoder());
        channel.writeInbound(Unpooled.wrappedBuffer(frame));
        List<Object> out = new ArrayList<>();
        for (Object o; (o = channel.readInbound()) != null; ) {
            out.add(o);
        }
        channel.checkException();
        assertEquals(false, channel.finish(), "nothing left over");
        return out;
    }

    private static void assertViolation(byte[] input, String message) {
        EmbeddedChannel channel = new EmbeddedChannel(new StartupDecoder());
        DecoderException e =
                assertThrows(DecoderException.class, () -> channel.writeInbound(Unpooled.wrappedBuffer(input)));
        assertEquals(message, violation(e).getMessage());
        assertNull(
                channel.readInbound(), "nothing decoded from " + HexFormat.of().formatHex(input));
        discard(channel);
    }

    private static ProxyError violation(DecoderException e) {
        ProxyError error = assertInstanceOf(ProxyError.class, e.getCause());
        assertEquals(SqlState.PROTOCOL_VIOLATION, error.state());
        return error;
    }

    /** Closes a channel whose decoder still holds the bad bytes (decodeLast fails on them again). */
    private static void discard(EmbeddedChannel channel) {
        try {
            channel.finishAndReleaseAll();
        } catch (DecoderException expected) {
            // the same violation once more, from channelInactive
        }
    }

    // ---- frames -------------------------------------------------------------------------------------------------

    static byte[] frame(int code, byte[] body) {
        return ByteBuffer.allocate(8 + body.length)
                .putInt(8 + body.length)
                .putInt(code)
                .put(body)
                .array();
    }

    /** A StartupMessage: name/value pairs, each NUL-terminated, then one more NUL. */
    static byte[] startup(int version, String... namesAndValues) {
        return frame(version, concat(cstrings(namesAndValues), new byte[] {0}));
    }

    static byte[] cancel(int processId, byte[] secret) {
        return frame(
                CANCEL,
                ByteBuffer.allocate(4 + secret.length)
                        .putInt(processId)
                        .put(secret)
                        .array());
    }

    /** A 3.0 StartupMessage of exactly {@code total} bytes: user=u and a long application_name. */
    static byte[] startupOfLength(int total) {
        int fixed = 8 + "user\0u\0".length() + "application_name\0".length() + 1 + 1;
        return startup(PROTOCOL_3_0, "user", "u", "application_name", "x".repeat(total - fixed));
    }

    static byte[] cstrings(String... strings) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String s : strings) {
            out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex);
    }
}
