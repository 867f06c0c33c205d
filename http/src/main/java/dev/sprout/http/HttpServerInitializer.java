package dev.sprout.http;

import dev.sprout.http.auth.AuditLog;
import dev.sprout.protocol.tls.TlsContexts;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.ssl.SslContext;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * The pipeline of one management API connection: HTTP/1.1 codec, a bounded aggregator (whole requests of at
 * most {@code maxRequestBytes} of body), a flow-control buffer for pipelined requests, and {@link ApiHandler},
 * which refuses a request without the bearer token and runs {@link ManagementApi#handle} on {@code blocking} and never on the event loop.
 *
 * <p>With TLS, an {@link io.netty.handler.ssl.SslHandler} goes first ({@link TlsContexts#addServerHandler}): a
 * connection that does not start with a TLS ClientHello is closed without an answer, so nothing is said in clear.
 *
 * <p>The request line and headers are bounded by Netty's defaults (4,096 and 8,192 bytes): every route's path
 * and query fit in far less. Thread-safe: one instance serves every connection of a server.
 */
public final class HttpServerInitializer extends ChannelInitializer<Channel> {
    private final HttpApi api;
    private final BearerAuth auth;
    private final AuditLog audit;
    private final Executor blocking;
    private final int maxRequestBytes;
    private final Optional<SslContext> tls;

    /**
     * @param auth            who may call: every request but the liveness probe carries a valid bearer token
     * @param audit           where changes and refusals are recorded
     * @param blocking        where store calls run (never on the event loop)
     * @param maxRequestBytes bounds request bodies (HttpObjectAggregator); the largest message of the API, a
     *                        CreateTimelineRequest, needs a few hundred bytes
     */
    public HttpServerInitializer(HttpApi api, BearerAuth auth, AuditLog audit, Executor blocking, int maxRequestBytes) {
        this(api, auth, audit, blocking, maxRequestBytes, Optional.empty());
    }

    /** As above, over TLS with {@code tls} when present (then plaintext is refused). */
    public HttpServerInitializer(
            HttpApi api,
            BearerAuth auth,
            AuditLog audit,
            Executor blocking,
            int maxRequestBytes,
            Optional<SslContext> tls) {
        this.tls = Objects.requireNonNull(tls, "tls");
        this.api = Objects.requireNonNull(api, "api");
        this.auth = Objects.requireNonNull(auth, "auth");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.blocking = Objects.requireNonNull(blocking, "blocking");
        if (maxRequestBytes < 1) {
            throw new IllegalArgumentException("maxRequestBytes: " + maxRequestBytes + " (expected: > 0)");
        }
        this.maxRequestBytes = maxRequestBytes;
    }

    @Override
    protected void initChannel(Channel ch) {
        ch.pipeline()
                .addLast("http", new HttpServerCodec())
                .addLast("aggregator", new BoundedAggregator(maxRequestBytes))
                .addLast("flow", new FlowControlHandler())
                .addLast("api", new ApiHandler(api, auth, audit, blocking));
        tls.ifPresent(t -> TlsContexts.addServerHandler(ch.pipeline(), t));
    }
}
