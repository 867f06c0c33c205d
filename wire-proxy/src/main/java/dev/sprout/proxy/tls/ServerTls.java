package dev.sprout.proxy.tls;

import dev.sprout.protocol.tls.SelfSignedCertificate;
import dev.sprout.protocol.tls.TlsSettings;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * The proxy's server-side TLS context, from its {@link TlsSettings}. TLS 1.2 and 1.3 through BoringSSL
 * (netty-tcnative) when its native library loads, else through the JDK's provider; in the select-only benchmark
 * BoringSSL cost the proxy far less CPU per transaction than the JDK's engine (docs/benchmarks.md). ALPN offers {@value #ALPN_POSTGRESQL}, the protocol name PostgreSQL 17 registered for direct TLS connections (a
 * client that starts TLS without an SSLRequest must send it).
 */
public final class ServerTls {
    public static final String ALPN_POSTGRESQL = "postgresql";

    /**
     * The proxy's self-signed certificate: for {@code localhost}, {@code *.localhost} (a branch named by the TLS server
     * name) and 127.0.0.1, kept as {@code proxy-tls.crt} and {@code proxy-tls.key}.
     */
    public static final SelfSignedCertificate.Subject SELF_SIGNED = new SelfSignedCertificate.Subject(
            "proxy-tls.crt",
            "proxy-tls.key",
            "Sprout proxy (self-signed)",
            List.of("localhost", "*.localhost"),
            List.of(InetAddress.getLoopbackAddress()));

    private ServerTls() {}

    /** BoringSSL when netty-tcnative's native library loads here (with ALPN), else the JDK's provider. */
    public static SslProvider provider() {
        return OpenSsl.isAvailable() && SslProvider.isAlpnSupported(SslProvider.OPENSSL)
                ? SslProvider.OPENSSL
                : SslProvider.JDK;
    }

    /**
     * The context for these settings, or empty when TLS is disabled.
     *
     * @throws UncheckedIOException naming the file when a configured certificate or key cannot be read or used
     */
    public static Optional<SslContext> context(TlsSettings settings) {
        TlsSettings.Files files = switch (settings) {
            case TlsSettings.Disabled _ -> null;
            case TlsSettings.Files f -> f;
            case TlsSettings.SelfSigned s -> {
                try {
                    yield SelfSignedCertificate.inDirectory(s.directory(), SELF_SIGNED);
                } catch (IOException e) {
                    throw new UncheckedIOException(
                            "cannot make the proxy's TLS certificate in " + s.directory() + ": " + e.getMessage(), e);
                }
            }
        };
        if (files == null) {
            return Optional.empty();
        }
        for (var f : new java.nio.file.Path[] {files.certificateChain(), files.privateKey()}) {
            if (!Files.isReadable(f)) {
                throw new UncheckedIOException(new IOException("TLS file " + f + " does not exist or cannot be read"));
            }
        }
        try {
            return Optional.of(SslContextBuilder.forServer(
                            files.certificateChain().toFile(),
                            files.privateKey().toFile())
                    .sslProvider(provider())
                    .protocols("TLSv1.3", "TLSv1.2")
                    .applicationProtocolConfig(new ApplicationProtocolConfig(
                            ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ALPN_POSTGRESQL))
                    .build());
        } catch (SSLException | IllegalArgumentException e) {
            throw new UncheckedIOException(new IOException(
                    "cannot use the TLS certificate " + files.certificateChain() + " with key " + files.privateKey()
                            + ": " + e.getMessage(),
                    e));
        }
    }
}
