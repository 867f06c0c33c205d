package dev.sprout.proxy.startup;

import dev.sprout.proxy.cancel.CancelKey;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;

/**
 * What a client may send before its session exists, decoded by {@link StartupDecoder}. A sealed family, so that
 * {@link StartupHandler}'s switch over it is checked for completeness by the compiler.
 */
public sealed interface StartupPacket {
    /** SSLRequest: the client asks to continue over TLS. */
    record SslRequest() implements StartupPacket {}

    /** GSSENCRequest: the client asks for GSSAPI encryption (always refused with {@code N}). */
    record GssEncRequest() implements StartupPacket {}

    /**
     * CancelRequest: cancel the query running in the session with this key. Protocol 3.0 keys have a 4-byte secret;
     * 3.2 allows up to 256 bytes.
     */
    record CancelRequest(CancelKey key) implements StartupPacket {
        public CancelRequest(int processId, byte[] secret) {
            this(new CancelKey(processId, secret));
        }
    }

    /** StartupMessage: the protocol version asked for and the parameters (user, database, options, ...) in order. */
    record Startup(int major, int minor, SequencedMap<String, String> parameters) implements StartupPacket {
        public Startup {
            parameters = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(parameters));
        }

        /** The value of a parameter, or null. */
        public String parameter(String name) {
            return parameters.get(name);
        }

        public static Startup of(int major, int minor, Map<String, String> parameters) {
            return new Startup(major, minor, new LinkedHashMap<>(parameters));
        }
    }
}
