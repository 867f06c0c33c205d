package dev.sprout.proxy.tls;

import java.nio.file.Path;

/** Where the proxy's TLS certificate comes from, if it offers TLS at all. */
public sealed interface TlsSettings {
    /** No TLS: SSLRequest is answered {@code N} and direct TLS is refused. */
    record Disabled() implements TlsSettings {}

    /** A configured certificate chain and its private key, both PEM files (the key PKCS#8, unencrypted). */
    record Files(Path certificateChain, Path privateKey) implements TlsSettings {}

    /**
     * A self-signed certificate for {@code localhost}, {@code *.localhost} and 127.0.0.1, generated on the first
     * start and kept in {@code directory} so that it stays the same across restarts (a client can pin it).
     */
    record SelfSigned(Path directory) implements TlsSettings {}
}
