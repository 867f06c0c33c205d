package dev.sprout.proxy.wire;

import dev.sprout.proxy.error.ProxyError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Encoders of the few PostgreSQL protocol messages the proxy writes itself (the formats are those of the
 * PostgreSQL manual, "Message Formats"). Every method returns a new buffer that the caller writes (and so releases).
 */
public final class Messages {
    /** Protocol version 3.0, as sent in a StartupMessage (major in the high 16 bits). */
    public static final int PROTOCOL_3_0 = 3 << 16;

    private Messages() {}

    /** One byte: {@code S} (TLS accepted) or {@code N} (refused), the answer to SSLRequest and GSSENCRequest. */
    public static ByteBuf answer(ByteBufAllocator alloc, char answer) {
        return alloc.buffer(1).writeByte(answer);
    }

    /** ErrorResponse with severity FATAL: the proxy closes the connection after it. */
    public static ByteBuf fatal(ByteBufAllocator alloc, ProxyError error) {
        ByteBuf b = alloc.buffer(64 + error.getMessage().length());
        b.writeByte('E');
        int lengthAt = b.writerIndex();
        b.writeInt(0);
        field(b, 'S', "FATAL");
        field(b, 'V', "FATAL"); // the non-localized severity (PostgreSQL 9.6+), which clients prefer
        field(b, 'C', error.state().code());
        field(b, 'M', error.getMessage());
        error.hint().ifPresent(h -> field(b, 'H', h));
        b.writeByte(0);
        b.setInt(lengthAt, b.writerIndex() - lengthAt);
        return b;
    }

    /**
     * NegotiateProtocolVersion: the newest minor version the proxy speaks for the requested major version, and the
     * protocol options ({@code _pq_.*}) it did not recognize. The version goes out whole ({@code 3 << 16 | minor}),
     * as PostgreSQL sends it ({@code FrontendProtocol}) and libpq 18 reads it: a bare minor would be refused as a
     * "downgrade to pre-3.0 protocol version".
     */
    public static ByteBuf negotiateProtocolVersion(ByteBufAllocator alloc, int newestMinor, List<String> unrecognized) {
        ByteBuf b = alloc.buffer();
        b.writeByte('v');
        int lengthAt = b.writerIndex();
        b.writeInt(0);
        b.writeInt(PROTOCOL_3_0 | newestMinor);
        b.writeInt(unrecognized.size());
        unrecognized.forEach(o -> cstring(b, o));
        b.setInt(lengthAt, b.writerIndex() - lengthAt);
        return b;
    }

    /** BackendKeyData: the process id and secret key a client quotes in a CancelRequest. */
    public static ByteBuf backendKeyData(ByteBufAllocator alloc, int processId, byte[] secret) {
        ByteBuf b = alloc.buffer(9 + secret.length);
        b.writeByte('K').writeInt(8 + secret.length).writeInt(processId).writeBytes(secret);
        return b;
    }

    /** A StartupMessage of protocol 3.0 with these parameters, in their order. */
    public static ByteBuf startupMessage(ByteBufAllocator alloc, Map<String, String> parameters) {
        ByteBuf b = alloc.buffer();
        int lengthAt = b.writerIndex();
        b.writeInt(0).writeInt(PROTOCOL_3_0);
        parameters.forEach((k, v) -> {
            cstring(b, k);
            cstring(b, v);
        });
        b.writeByte(0);
        b.setInt(lengthAt, b.writerIndex() - lengthAt);
        return b;
    }

    /** A CancelRequest quoting this process id and secret key. */
    public static ByteBuf cancelRequest(ByteBufAllocator alloc, int processId, byte[] secret) {
        ByteBuf b = alloc.buffer(12 + secret.length);
        b.writeInt(12 + secret.length)
                .writeInt(StartupCodes.CANCEL_REQUEST)
                .writeInt(processId)
                .writeBytes(secret);
        return b;
    }

    private static void field(ByteBuf b, char type, String value) {
        b.writeByte(type);
        cstring(b, value);
    }

    private static void cstring(ByteBuf b, String s) {
        b.writeCharSequence(s.replace('\0', ' '), StandardCharsets.UTF_8);
        b.writeByte(0);
    }
}
