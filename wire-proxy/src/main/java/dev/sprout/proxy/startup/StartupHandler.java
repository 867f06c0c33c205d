package dev.sprout.proxy.startup;

import dev.sprout.proxy.cancel.CancelKey;
import dev.sprout.proxy.cancel.CancelKeys;
import dev.sprout.proxy.error.ProxyError;
import dev.sprout.proxy.error.SqlState;
import dev.sprout.proxy.relay.BackendStartupDecoder;
import dev.sprout.proxy.relay.RelayHandler;
import dev.sprout.proxy.route.Route;
import dev.sprout.proxy.tls.ServerTls;
import dev.sprout.proxy.wire.Messages;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, from accept to close: the startup state machine, then the session's client side.
 *
 * <pre>
 * AWAIT_STARTUP --SSLRequest--> 'S' --> TLS_HANDSHAKE --done--> AWAIT_STARTUP   (once; 'N' without TLS)
 * AWAIT_STARTUP --GSSENCRequest--> 'N' --> AWAIT_STARTUP                         (once)
 * (first byte 0x16)  --> TLS_HANDSHAKE (ALPN "postgresql" required) --> AWAIT_STARTUP
 * AWAIT_STARTUP --CancelRequest--> forwarded to the session's compute if open, then close
 * AWAIT_STARTUP --StartupMessage 3.0-3.2--> route --> WAKING --> CONNECTING --> AUTHENTICATING --ReadyForQuery--> RELAYING
 * any state --error--> FATAL ErrorResponse (never a ReadyForQuery) --> CLOSED
 * </pre>
 *
 * <p>Until the compute is connected the client channel's auto-read is off and this handler asks for each read, so
 * a client cannot push bytes while its compute is being woken. From then on a {@link RelayHandler} in each
 * direction copies bytes with backpressure by writability; this handler stays in front of the client's relay to
 * end the session (cancel key, counts) and to answer timeouts. The compute's channel runs on the same event loop, so
 * all of a session's state is touched by one thread. Not thread-safe otherwise: one per channel.
 */
public final class StartupHandler extends ChannelInboundHandlerAdapter {
    public static final String NAME = "startup";
    public static final String TLS_HANDLER = "tls";
    public static final String DECODER = "startup-decoder";
    private static final Logger LOG = LoggerFactory.getLogger(StartupHandler.class);
    /** The newest protocol minor version spoken (3.2 = PostgreSQL 18, which only lengthens cancel keys). */
    static final int NEWEST_MINOR = 2;
    /** Between asking again for a compute whose address refused the connection. */
    private static final long RECONNECT_DELAY_MS = 50;

    enum State { AWAIT_STARTUP, TLS_HANDSHAKE, WAKING, CONNECTING, AUTHENTICATING, RELAYING, CLOSED }

    private final Services services;
    private State state = State.AWAIT_STARTUP;
    private boolean sslAsked;
    private boolean gssAsked;
    private boolean directTls;
    private boolean tlsInUse;
    private Optional<String> serverName = Optional.empty();
    private long acceptedAt;
    private ScheduledFuture<?> loginTimer;
    private Route route;
    private SequencedMap<String, String> forward;
    private int clientMinor;
    private boolean admitted;
    private boolean counted;
    private long deadline;
    /** Compute addresses that refused this connection so far (then the wake-up skips the fast path). */
    private int refusedAddresses;
    private Channel compute;
    private InetSocketAddress computeAddress;
    private CancelKey issuedKey;
    /** Bytes the client sent behind its StartupMessage, held until the compute is connected (one read at most). */
    private final ArrayDeque<ByteBuf> early = new ArrayDeque<>();

    public StartupHandler(Services services) {
        this.services = services;
    }

    State state() {
        return state;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        acceptedAt = System.nanoTime();
        long login = services.config().loginTimeout().toNanos();
        loginTimer = ctx.executor().schedule(() -> loginTimedOut(ctx), login, TimeUnit.NANOSECONDS);
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        switch (state) {
            case AWAIT_STARTUP -> {
                if (msg instanceof StartupPacket packet) {
                    onPacket(ctx, packet);
                } else {
                    ReferenceCountUtil.release(msg);
                }
            }
            case WAKING, CONNECTING -> {
                if (msg instanceof ByteBuf b) {
                    early.add(b);
                } else {
                    ReferenceCountUtil.release(msg);
                }
            }
            case AUTHENTICATING, RELAYING -> ctx.fireChannelRead(msg); // to the RelayHandler behind this one
            case TLS_HANDSHAKE, CLOSED -> ReferenceCountUtil.release(msg);
        }
    }

    private void onPacket(ChannelHandlerContext ctx, StartupPacket packet) {
        switch (packet) {
            case StartupPacket.SslRequest _ -> {
                if (sslAsked || tlsInUse) {
                    throw violation(tlsInUse ? "SSLRequest on a connection that already uses TLS" : "second SSLRequest");
                }
                sslAsked = true;
                if (services.tls().isEmpty()) {
                    ctx.writeAndFlush(Messages.answer(ctx.alloc(), 'N'));
                    ctx.read();
                    return;
                }
                // startTls: the 'S' below still goes out in the clear, everything after it through TLS.
                SslHandler tls = new SslHandler(services.tls().get().newEngine(ctx.alloc()), true);
                ctx.pipeline().addFirst(TLS_HANDLER, tls);
                state = State.TLS_HANDSHAKE;
                ctx.writeAndFlush(Messages.answer(ctx.alloc(), 'S'));
            }
            case StartupPacket.GssEncRequest _ -> {
                if (gssAsked || tlsInUse) {
                    throw violation(tlsInUse ? "GSSENCRequest on a connection that already uses TLS" : "second GSSENCRequest");
                }
                gssAsked = true;
                ctx.writeAndFlush(Messages.answer(ctx.alloc(), 'N')); // no GSSAPI: the client goes on without it
                ctx.read();
            }
            case StartupPacket.CancelRequest cancel -> cancel(ctx, cancel.key());
            case StartupPacket.Startup startup -> startup(ctx, startup);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == TlsSniffer.DIRECT_TLS) {
            directTls = true;
            sslAsked = true;
            state = State.TLS_HANDSHAKE;
        } else if (evt instanceof SslHandshakeCompletionEvent done) {
            if (!done.isSuccess()) {
                LOG.debug("TLS handshake with {} failed", ctx.channel().remoteAddress(), done.cause());
                close(ctx);
                return;
            }
            tlsInUse = true;
            SslHandler tls = ctx.pipeline().get(SslHandler.class);
            serverName = serverName(tls.engine().getSession());
            state = State.AWAIT_STARTUP;
            if (directTls && !ServerTls.ALPN_POSTGRESQL.equals(tls.applicationProtocol())) {
                fail(ctx, violation("direct TLS connection without the ALPN protocol \"" + ServerTls.ALPN_POSTGRESQL + "\""));
                return;
            }
            ctx.read();
        } else if (evt instanceof IdleStateEvent) {
            fail(ctx, new ProxyError(SqlState.IDLE_SESSION_TIMEOUT, "terminating connection due to idle-session timeout ("
                    + services.config().idleTimeout().toSeconds() + " s without traffic)"));
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    private static Optional<String> serverName(SSLSession session) {
        if (session instanceof ExtendedSSLSession extended) {
            return extended.getRequestedServerNames().stream()
                    .filter(SNIHostName.class::isInstance)
                    .map(n -> ((SNIHostName) n).getAsciiName())
                    .findFirst();
        }
        return Optional.empty();
    }

    private void startup(ChannelHandlerContext ctx, StartupPacket.Startup startup) {
        if (startup.major() != 3) {
            throw new ProxyError(SqlState.FEATURE_NOT_SUPPORTED, "unsupported frontend protocol " + startup.major() + "."
                    + startup.minor() + ": the proxy supports protocol 3.0 to 3." + NEWEST_MINOR);
        }
        clientMinor = Math.min(startup.minor(), NEWEST_MINOR);
        List<String> unknownOptions = new ArrayList<>();
        LinkedHashMap<String, String> parameters = new LinkedHashMap<>();
        startup.parameters().forEach((k, v) -> {
            if (k.startsWith("_pq_.")) {
                unknownOptions.add(k); // the proxy knows no protocol extension yet
            } else {
                parameters.put(k, v);
            }
        });
        if (startup.minor() > NEWEST_MINOR || !unknownOptions.isEmpty()) {
            ctx.write(Messages.negotiateProtocolVersion(ctx.alloc(), clientMinor, unknownOptions));
        }
        String user = parameters.get("user");
        if (user == null || user.isEmpty()) {
            throw new ProxyError(SqlState.INVALID_AUTHORIZATION_SPECIFICATION, "no PostgreSQL user name specified in startup packet");
        }
        route = Route.of(parameters, serverName, services.config().serverNameDomain());
        forward = route.forwarded();
        if (!services.admit()) {
            throw new ProxyError(SqlState.TOO_MANY_CONNECTIONS, "too many connections to the proxy (limit "
                    + services.config().maxConnections() + ")", "Close idle connections or raise the proxy's limit.");
        }
        admitted = true;
        state = State.WAKING;
        deadline = System.nanoTime() + services.config().wakeTimeout().toNanos();
        // From here on the client's bytes are the session's: the decoder goes, handing over anything buffered.
        if (ctx.pipeline().get(DECODER) != null) {
            ctx.pipeline().remove(DECODER);
        }
        wake(ctx);
    }

    private void wake(ChannelHandlerContext ctx) {
        state = State.WAKING;
        long started = System.nanoTime();
        boolean askNowFirst = refusedAddresses == 0;
        services.wakeUp().wake(route.branch(), deadline, askNowFirst).whenComplete((address, error) -> ctx.executor().execute(() -> {
            services.metrics().wakeUp(System.nanoTime() - started, error == null ? "ready" : "failed");
            if (state == State.CLOSED) {
                return;
            }
            if (error != null) {
                fail(ctx, asProxyError(error));
                return;
            }
            if (!counted) {
                // Counted by branch only once the branch is known to exist: names from clients are not trusted
                // to bound the number of meters.
                counted = true;
                services.metrics().opened(route.branch());
            }
            connect(ctx, address);
        }));
    }

    private void connect(ChannelHandlerContext ctx, InetSocketAddress address) {
        state = State.CONNECTING;
        computeAddress = address;
        Channel client = ctx.channel();
        long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        ChannelFuture connecting = new Bootstrap()
                .group(client.eventLoop())
                .channel(services.computeChannel())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(left, 10_000))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new BackendStartupDecoder(new ComputeSide(ctx)),
                                new RelayHandler(client, services.metrics().toClient()));
                    }
                })
                .connect(address);
        compute = connecting.channel();
        connecting.addListener((ChannelFutureListener) f -> {
            if (state == State.CLOSED) {
                f.channel().close();
                return;
            }
            if (!f.isSuccess()) {
                refusedAddresses++;
                if (System.nanoTime() - deadline < 0) {
                    // A compute suspended (or restarted on another port) since the wake-up answered: ask again.
                    LOG.debug("cannot connect to the compute of branch {} at {}; asking again", route.branch(), address, f.cause());
                    ctx.executor().schedule(() -> {
                        if (state == State.CONNECTING) {
                            wake(ctx);
                        }
                    }, RECONNECT_DELAY_MS, TimeUnit.MILLISECONDS);
                } else {
                    fail(ctx, new ProxyError(SqlState.CANNOT_CONNECT_NOW, "cannot reach the compute of branch \""
                            + route.branch() + "\" at " + address + ": " + f.cause().getMessage(), "Try again in a moment."));
                }
                return;
            }
            state = State.AUTHENTICATING;
            compute.write(Messages.startupMessage(ctx.alloc(), forward));
            while (!early.isEmpty()) {
                compute.write(early.poll());
            }
            compute.flush();
            // The client's authentication answers, and later its queries, go to the compute as they come.
            ctx.pipeline().addAfter(NAME, "relay", new RelayHandler(compute, services.metrics().toCompute()));
            RelayHandler.start(client, compute);
        });
    }

    /** The compute connection's view of this session. */
    private final class ComputeSide implements BackendStartupDecoder.Listener {
        private final ChannelHandlerContext ctx;

        ComputeSide(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public CancelKey keyFromCompute(CancelKey computeKey) {
            if (issuedKey != null) {
                services.cancelKeys().remove(issuedKey);
            }
            issuedKey = services.cancelKeys().issue(
                    new CancelKeys.Target(computeAddress, computeKey, route.branch()), clientMinor >= 2);
            return issuedKey;
        }

        @Override
        public void ready() {
            if (state != State.AUTHENTICATING) {
                return;
            }
            state = State.RELAYING;
            loginTimer.cancel(false);
            services.metrics().handshake(System.nanoTime() - acceptedAt);
            long idle = services.config().idleTimeout().toNanos();
            if (idle > 0) {
                ctx.pipeline().addBefore(NAME, "idle", new IdleStateHandler(0, 0, idle, TimeUnit.NANOSECONDS));
            }
        }
    }

    private void cancel(ChannelHandlerContext ctx, CancelKey key) {
        state = State.CLOSED; // a cancel connection carries nothing else
        Optional<CancelKeys.Target> target = services.cancelKeys().find(key);
        if (target.isEmpty()) {
            services.metrics().cancel("unknown_key");
            ctx.close();
            return;
        }
        CancelKeys.Target t = target.get();
        services.metrics().cancel("forwarded");
        CancelKey real = t.computeKey();
        new Bootstrap().group(ctx.channel().eventLoop()).channel(services.computeChannel())
                .handler(new ChannelInboundHandlerAdapter())
                .connect(t.compute())
                .addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        ctx.close();
                        return;
                    }
                    // The client learns that its cancel was handled when its connection closes, as with PostgreSQL:
                    // so close it only once the compute has read the request and closed its side.
                    f.channel().writeAndFlush(Messages.cancelRequest(f.channel().alloc(), real.processId(), real.secret()));
                    f.channel().closeFuture().addListener(c -> ctx.close());
                });
    }

    private void loginTimedOut(ChannelHandlerContext ctx) {
        if (state == State.RELAYING || state == State.CLOSED) {
            return;
        }
        if (state == State.AWAIT_STARTUP || state == State.TLS_HANDSHAKE) {
            services.metrics().error(SqlState.QUERY_CANCELED);
            close(ctx); // PostgreSQL, too, closes without a word on a client that never sent its startup packet
            return;
        }
        fail(ctx, new ProxyError(SqlState.QUERY_CANCELED, "canceling authentication due to timeout (login timeout "
                + services.config().loginTimeout().toSeconds() + " s)"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (c instanceof ProxyError e) {
            fail(ctx, e);
        } else if (c instanceof IOException || cause instanceof DecoderException) {
            LOG.debug("connection from {} failed", ctx.channel().remoteAddress(), cause); // reset, TLS garbage, ...
            close(ctx);
        } else {
            LOG.warn("unexpected failure on the connection from {}", ctx.channel().remoteAddress(), cause);
            close(ctx);
        }
    }

    /** Answers a FATAL ErrorResponse (in plain text or over TLS, whichever the client speaks now) and closes. */
    private void fail(ChannelHandlerContext ctx, ProxyError error) {
        if (state == State.CLOSED) {
            return; // already answered (e.g. the decoder failing again on its buffered bytes as the channel closes)
        }
        services.metrics().error(error.state());
        LOG.debug("refusing {}: {} {}", ctx.channel().remoteAddress(), error.state().code(), error.getMessage());
        boolean canSpeak = state != State.TLS_HANDSHAKE && ctx.channel().isActive();
        state = State.CLOSED;
        if (compute != null) {
            compute.close();
        }
        if (canSpeak) {
            ctx.writeAndFlush(Messages.fatal(ctx.alloc(), error)).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    private void close(ChannelHandlerContext ctx) {
        state = State.CLOSED;
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        state = State.CLOSED;
        if (loginTimer != null) {
            loginTimer.cancel(false);
        }
        while (!early.isEmpty()) {
            early.poll().release();
        }
        if (issuedKey != null) {
            services.cancelKeys().remove(issuedKey);
        }
        if (admitted) {
            admitted = false;
            services.release();
        }
        if (counted) {
            counted = false;
            services.metrics().closed(route.branch());
        }
        if (compute != null) {
            RelayHandler.closeOnFlush(compute);
        }
        ctx.fireChannelInactive();
    }

    private static ProxyError violation(String message) {
        return new ProxyError(SqlState.PROTOCOL_VIOLATION, message);
    }

    private static ProxyError asProxyError(Throwable t) {
        Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        return c instanceof ProxyError e ? e
                : new ProxyError(SqlState.CANNOT_CONNECT_NOW, "cannot wake the compute: " + c.getMessage());
    }
}
