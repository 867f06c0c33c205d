package dev.sprout.protocol.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS for the page service and the HTTP API, both ends: the server's context from a certificate and key (PEM), the
 * handler that goes first in a server's pipeline (and closes a connection that does not start with a TLS
 * ClientHello: a TLS listener answers nothing in the clear), and the clients' contexts from a trust anchor, a PEM
 * file of one or more certificates (the server's own self-signed certificate, or the CA that issued it). TLS 1.3 and
 * 1.2 through the JDK's provider; clients verify the server's name or address against its certificate.
 */
public final class TlsContexts {
    private static final Logger log = LoggerFactory.getLogger(TlsContexts.class);

    /** The name of the {@link SslHandler} in a pipeline. */
    public static final String HANDLER = "tls";

    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private TlsContexts() {}

    /**
     * The server context for a certificate chain and its key.
     *
     * @throws UncheckedIOException naming the file when one cannot be read or used
     */
    public static SslContext server(TlsSettings.Files files) {
        requireReadable(files.certificateChain());
        requireReadable(files.privateKey());
        try {
            return SslContextBuilder.forServer(
                            files.certificateChain().toFile(),
                            files.privateKey().toFile())
                    .sslProvider(SslProvider.JDK)
                    .protocols(PROTOCOLS)
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new UncheckedIOException(new IOException(
                    "cannot use the TLS certificate " + files.certificateChain() + " with key " + files.privateKey()
                            + ": " + e.getMessage(),
                    e));
        }
    }

    /**
     * Puts TLS first in a server connection's pipeline: an {@link SslHandler}, and behind it a guard that closes the
     * connection when the handshake fails, the client's first bytes not being a TLS record included (so nothing
     * after it ever reads plaintext, and nothing is answered in the clear).
     */
    public static void addServerHandler(ChannelPipeline pipeline, SslContext context) {
        pipeline.addFirst("tls-guard", new HandshakeGuard());
        pipeline.addFirst(HANDLER, context.newHandler(pipeline.channel().alloc()));
    }

    /**
     * The Netty client context that trusts the certificates in {@code trustAnchor} (PEM) and nothing else.
     *
     * @throws UncheckedIOException naming the file when it cannot be read or holds no certificate
     */
    public static SslContext client(Path trustAnchor) {
        X509Certificate[] anchors = certificates(trustAnchor);
        try {
            return SslContextBuilder.forClient()
                    .sslProvider(SslProvider.JDK)
                    .protocols(PROTOCOLS)
                    .trustManager(anchors)
                    .build();
        } catch (SSLException e) {
            throw new UncheckedIOException(
                    new IOException("cannot use the TLS trust anchor " + trustAnchor + ": " + e.getMessage(), e));
        }
    }

    /**
     * A client handler for {@code host:port} that checks the server's certificate names {@code host} (a DNS name or
     * an IP address, as the client connects).
     */
    public static SslHandler clientHandler(SslContext context, ByteBufAllocator alloc, String host, int port) {
        SslHandler handler = context.newHandler(alloc, host, port);
        SSLEngine engine = handler.engine();
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        engine.setSSLParameters(parameters);
        return handler;
    }

    /**
     * The JDK client context (for {@code java.net.http.HttpClient}) that trusts the certificates in
     * {@code trustAnchor} (PEM) and nothing else; the HTTP client checks the host name itself.
     *
     * @throws UncheckedIOException naming the file when it cannot be read or holds no certificate
     */
    public static SSLContext jdkClient(Path trustAnchor) {
        X509Certificate[] anchors = certificates(trustAnchor);
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            for (int i = 0; i < anchors.length; i++) {
                store.setCertificateEntry("anchor-" + i, anchors[i]);
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new UncheckedIOException(
                    new IOException("cannot use the TLS trust anchor " + trustAnchor + ": " + e.getMessage(), e));
        }
    }

    /**
     * A sentence for a failed client handshake with {@code address}: a server whose certificate the anchor does not
     * vouch for, or whose certificate names another host, or that does not speak TLS.
     */
    public static String handshakeFailure(String address, Path trustAnchor, Throwable cause) {
        Throwable root = rootCause(cause);
        String detail = String.valueOf(root.getMessage());
        String why;
        if (root instanceof NotSslRecordException) {
            why = "it does not speak TLS (a server without TLS, or not the one meant)";
        } else if (detail.contains("No subject alternative") || detail.contains("No name matching")) {
            why = "its certificate does not name the host connected to (" + detail + ")";
        } else if (detail.contains("PKIX") || detail.contains("certification path")) {
            why = "its certificate is not signed by the trust anchor " + trustAnchor + " (" + detail + ")";
        } else {
            why = detail;
        }
        return "TLS handshake with " + address + " failed: " + why;
    }

    private static Throwable rootCause(Throwable t) {
        Throwable cause = t;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static X509Certificate[] certificates(Path pem) {
        requireReadable(pem);
        try (InputStream in = Files.newInputStream(pem)) {
            Collection<? extends Certificate> read =
                    CertificateFactory.getInstance("X.509").generateCertificates(in);
            X509Certificate[] certificates = read.stream()
                    .filter(X509Certificate.class::isInstance)
                    .map(X509Certificate.class::cast)
                    .toArray(X509Certificate[]::new);
            if (certificates.length == 0) {
                throw new UncheckedIOException(
                        new IOException("the TLS trust anchor " + pem + " holds no PEM certificate"));
            }
            return certificates;
        } catch (IOException | GeneralSecurityException e) {
            throw new UncheckedIOException(new IOException(
                    "cannot read the TLS trust anchor " + pem + " (expected PEM certificates): " + e.getMessage(), e));
        }
    }

    private static void requireReadable(Path file) {
        if (!Files.isReadable(file)) {
            throw new UncheckedIOException(new IOException("TLS file " + file + " does not exist or cannot be read"));
        }
    }

    /** Closes a server connection whose TLS handshake failed; the failure goes no further down the pipeline. */
    private static final class HandshakeGuard extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent done && !done.isSuccess()) {
                log.debug(
                        "TLS handshake from {} failed: {}",
                        ctx.channel().remoteAddress(),
                        done.cause().toString());
                ctx.close();
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Throwable root = rootCause(cause);
            if (root instanceof NotSslRecordException || root instanceof SSLException) {
                log.debug(
                        "closing {}: not TLS or a broken TLS stream ({})",
                        ctx.channel().remoteAddress(),
                        root.toString());
                ctx.close();
                return;
            }
            ctx.fireExceptionCaught(cause);
        }
    }
}
