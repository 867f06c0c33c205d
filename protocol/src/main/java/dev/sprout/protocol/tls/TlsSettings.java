package dev.sprout.protocol.tls;

import java.nio.file.Path;

/**
 * Where a listener's TLS certificate comes from, if it speaks TLS at all: the wire proxy's (which offers TLS to
 * PostgreSQL clients), the page service's and the HTTP API's (which, with TLS, take nothing else).
 */
public sealed interface TlsSettings {
    /** No TLS: the proxy answers SSLRequest {@code N} and refuses direct TLS; the pageserver speaks plaintext. */
    record Disabled() implements TlsSettings {}

    /** A configured certificate chain and its private key, both PEM files (the key PKCS#8, unencrypted). */
    record Files(Path certificateChain, Path privateKey) implements TlsSettings {}

    /**
     * A self-signed certificate, generated on the first start and kept in {@code directory} so that it stays the same
     * across restarts (a client can pin it). Which names it is for is the listener's choice
     * ({@link SelfSignedCertificate.Subject}).
     */
    record SelfSigned(Path directory) implements TlsSettings {}

    /** Whether these settings turn TLS on. */
    default boolean enabled() {
        return !(this instanceof Disabled);
    }
}
