package dev.sprout.proxy.startup;

import dev.sprout.proxy.error.ProxyError;
import dev.sprout.proxy.error.SqlState;
import dev.sprout.proxy.wire.StartupCodes;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Frames and classifies the packets a client sends before its session exists: a 4-byte length (which counts
 * itself), a 4-byte code (a protocol version, or one of {@link StartupCodes}), and for a StartupMessage the
 * parameters as NUL-terminated name/value pairs closed by one more NUL.
 *
 * <p>Every length is checked before anything is allocated or waited for: a packet is 8 to
 * {@value #MAX_STARTUP_PACKET} bytes. The bound is the one PostgreSQL itself enforces
 * ({@code MAX_STARTUP_PACKET_LENGTH} in {@code pqcomm.h}); CrateDB and Neon's proxy cap at the same 10,000 bytes.
 * Anything else is a {@link ProxyError} with {@link SqlState#PROTOCOL_VIOLATION}, thrown out of the pipeline
 * (wrapped by Netty in a DecoderException) for {@link StartupHandler} to answer.
 *
 * <p>After an SSLRequest no further byte may be buffered: bytes that arrived behind it in the clear would otherwise
 * be read as if they had come over TLS (PostgreSQL's fix for CVE-2021-23214). Not thread-safe: one per channel, on
 * its event loop.
 */
public final class StartupDecoder extends ByteToMessageDecoder {
    /** The largest startup packet accepted, in bytes (PostgreSQL's {@code MAX_STARTUP_PACKET_LENGTH}). */
    public static final int MAX_STARTUP_PACKET = 10_000;
    /** The smallest: a length and a code. */
    static final int MIN_PACKET = 8;
    /** Protocol 3.0 cancel keys have 4 bytes of secret; 3.2 allows up to 256 (PostgreSQL 18's limit). */
    static final int MIN_CANCEL_SECRET = 4;

    static final int MAX_CANCEL_SECRET = 256;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < 4) {
            return;
        }
        int length = in.getInt(in.readerIndex());
        if (length < MIN_PACKET || length > MAX_STARTUP_PACKET) {
            throw violation("invalid length of startup packet: " + Integer.toUnsignedString(length)
                    + " bytes (expected: " + MIN_PACKET + " to " + MAX_STARTUP_PACKET + ")");
        }
        if (in.readableBytes() < length) {
            return;
        }
        int code = in.getInt(in.readerIndex() + 4);
        ByteBuf packet = in.readSlice(length).skipBytes(8);
        out.add(
                switch (code) {
                    case StartupCodes.SSL_REQUEST -> {
                        requireEmpty(packet, "SSLRequest");
                        if (in.isReadable()) {
                            throw violation(
                                    "received unencrypted data after SSLRequest (" + in.readableBytes() + " bytes)");
                        }
                        yield new StartupPacket.SslRequest();
                    }
                    case StartupCodes.GSSENC_REQUEST -> {
                        requireEmpty(packet, "GSSENCRequest");
                        yield new StartupPacket.GssEncRequest();
                    }
                    case StartupCodes.CANCEL_REQUEST -> cancel(packet);
                    default -> startup(code, packet);
                });
    }

    private static StartupPacket.CancelRequest cancel(ByteBuf packet) {
        int secretLength = packet.readableBytes() - 4;
        if (secretLength < MIN_CANCEL_SECRET || secretLength > MAX_CANCEL_SECRET) {
            throw violation("invalid length of CancelRequest: " + (packet.readableBytes() + 8) + " bytes (expected: "
                    + (12 + MIN_CANCEL_SECRET) + " to " + (12 + MAX_CANCEL_SECRET) + ")");
        }
        int pid = packet.readInt();
        byte[] secret = new byte[secretLength];
        packet.readBytes(secret);
        return new StartupPacket.CancelRequest(pid, secret);
    }

    private static StartupPacket.Startup startup(int version, ByteBuf packet) {
        int major = version >>> 16;
        int minor = version & 0xFFFF;
        if (major == 1234) {
            throw violation("unsupported startup request code " + major + "." + minor);
        }
        LinkedHashMap<String, String> parameters = new LinkedHashMap<>();
        while (true) {
            if (!packet.isReadable()) {
                throw violation("invalid startup packet layout: expected terminator as last byte");
            }
            String name = cstring(packet, "parameter name");
            if (name.isEmpty()) {
                if (packet.isReadable()) {
                    throw violation(
                            "invalid startup packet layout: " + packet.readableBytes() + " bytes after the terminator");
                }
                return new StartupPacket.Startup(major, minor, parameters);
            }
            String value = cstring(packet, "value of parameter \"" + name + "\"");
            if (parameters.putIfAbsent(name, value) != null) {
                throw violation("startup packet repeats parameter \"" + name + "\"");
            }
        }
    }

    private static String cstring(ByteBuf b, String what) {
        int nul = b.bytesBefore((byte) 0);
        if (nul < 0) {
            throw violation("invalid startup packet layout: " + what + " is not NUL-terminated");
        }
        String s;
        try {
            s = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(b.nioBuffer(b.readerIndex(), nul))
                    .toString();
        } catch (CharacterCodingException e) {
            throw violation("invalid startup packet: " + what + " is not valid UTF-8");
        }
        b.skipBytes(nul + 1);
        return s;
    }

    private static void requireEmpty(ByteBuf packet, String what) {
        if (packet.isReadable()) {
            throw violation("invalid length of " + what + ": " + (packet.readableBytes() + 8) + " bytes (expected: 8)");
        }
    }

    private static ProxyError violation(String message) {
        return new ProxyError(SqlState.PROTOCOL_VIOLATION, message);
    }
}
