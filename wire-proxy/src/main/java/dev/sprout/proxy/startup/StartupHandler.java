package dev.sprout.proxy.startup;

import dev.sprout.proxy.error.ProxyError;
import dev.sprout.proxy.error.SqlState;
import dev.sprout.proxy.relay.RelayHandler;
import dev.sprout.proxy.startup.ConnectionState.Admission;
import dev.sprout.proxy.startup.ConnectionState.Authenticating;
import dev.sprout.proxy.startup.ConnectionState.AwaitingStartup;
import dev.sprout.proxy.startup.ConnectionState.Closed;
import dev.sprout.proxy.startup.ConnectionState.Closing;
import dev.sprout.proxy.startup.ConnectionState.Connecting;
import dev.sprout.proxy.startup.ConnectionState.Encrypted;
import dev.sprout.proxy.startup.ConnectionState.Plaintext;
import dev.sprout.proxy.startup.ConnectionState.Relaying;
import dev.sprout.proxy.startup.ConnectionState.TlsHandshake;
import dev.sprout.proxy.startup.ConnectionState.Waking;
import dev.sprout.proxy.wake.Deadline;
import dev.sprout.proxy.wire.Messages;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection in the pipeline, from accept to close: holds its {@link ConnectionState}, hands each event
 * to the stage it belongs to, and ends the connection. The stages:
 *
 * <pre>
 * client startup ({@link ClientStage}):      Plaintext, TlsHandshake, Encrypted --StartupMessage--> admitted
 * compute connection ({@link ComputeStage}): Waking --> Connecting --> Authenticating
 * relay ({@link RelayStage}):                Authenticating --ReadyForQuery--> Relaying
 * any state --error, login or idle timeout--> FATAL ErrorResponse (never a ReadyForQuery) --> Closing --> Closed
 * </pre>
 *
 * (the full diagram is {@link ConnectionState}'s). Until the compute is connected the client channel's auto-read is
 * off and this handler asks for each read, so a client cannot push bytes while its compute is being woken. From
 * then on a {@link RelayHandler} in each direction copies bytes with backpressure by writability; this handler stays
 * in front of the client's relay to end the session and to answer timeouts. The compute's channel runs on the same
 * event loop, so all of a connection's state is touched by one thread. Not thread-safe otherwise: one per channel.
 */
public final class StartupHandler extends ChannelInboundHandlerAdapter {
    public static final String NAME = "startup";
    public static final String TLS_HANDLER = "tls";
    public static final String DECODER = "startup-decoder";
    private static final Logger LOG = LoggerFactory.getLogger(StartupHandler.class);

    private final Services services;
    private final ClientStage clientStage;
    private ConnectionState state = Plaintext.NEW;
    private long acceptedAt;
    private ScheduledFuture<?> loginTimer;

    public StartupHandler(Services services) {
        this.services = services;
        this.clientStage = new ClientStage(
                services.tls().isPresent(), services.config().serverNameDomain(), services.tlsRequired());
    }

    /** Where the connection stands now. */
    ConnectionState state() {
        return state;
    }

    /** Moves the connection to {@code next}; for the stages, on the event loop. */
    void enter(ConnectionState next) {
        state = next;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        acceptedAt = ctx.executor().ticker().nanoTime();
        long login = services.config().loginTimeout().toNanos();
        loginTimer = ctx.executor().schedule(() -> loginTimedOut(ctx), login, TimeUnit.NANOSECONDS);
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        switch (state) {
            case AwaitingStartup awaiting -> {
                if (msg instanceof StartupPacket packet) {
                    take(ctx, clientStage.onPacket(awaiting, packet));
                } else {
                    ReferenceCountUtil.release(msg);
                }
            }
            case Waking w -> hold(w.early(), msg);
            case Connecting c -> hold(c.early(), msg);
            case Authenticating _, Relaying _ -> ctx.fireChannelRead(msg); // to the RelayHandler behind this one
            case TlsHandshake _, Closing _, Closed _ -> ReferenceCountUtil.release(msg);
        }
    }

    private static void hold(ArrayDeque<ByteBuf> early, Object msg) {
        if (msg instanceof ByteBuf b) {
            early.add(b);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    /** Takes a step of the client startup stage. */
    private void take(ChannelHandlerContext ctx, ClientStage.Step step) {
        switch (step) {
            case ClientStage.Answer a -> {
                state = a.next();
                ctx.writeAndFlush(Messages.answer(ctx.alloc(), a.answer()));
                ctx.read();
            }
            case ClientStage.StartTls t -> {
                // startTls: the 'S' below still goes out in the clear, everything after it through TLS.
                SslHandler tls = new SslHandler(services.tls().orElseThrow().newEngine(ctx.alloc()), true);
                ctx.pipeline().addFirst(TLS_HANDLER, tls);
                state = t.next();
                ctx.writeAndFlush(Messages.answer(ctx.alloc(), 'S'));
            }
            case ClientStage.Read r -> {
                state = r.next();
                ctx.read();
            }
            case ClientStage.Cancel c -> {
                state = new Closing(state); // a cancel connection carries nothing else
                CancelForward.forward(ctx, services, c.key());
            }
            case ClientStage.Refuse r -> {
                r.negotiation().ifPresent(n -> negotiate(ctx, n));
                fail(ctx, r.error());
            }
            case ClientStage.Start s -> {
                s.negotiation().ifPresent(n -> negotiate(ctx, n));
                start(ctx, s);
            }
        }
    }

    private static void negotiate(ChannelHandlerContext ctx, ClientStage.Negotiation n) {
        ctx.write(Messages.negotiateProtocolVersion(ctx.alloc(), n.minor(), n.unknownOptions()));
    }

    private void start(ChannelHandlerContext ctx, ClientStage.Start start) {
        if (!services.admit()) {
            fail(
                    ctx,
                    new ProxyError(
                            SqlState.TOO_MANY_CONNECTIONS,
                            "too many connections to the proxy (limit "
                                    + services.config().maxConnections() + ")",
                            "Close idle connections or raise the proxy's limit."));
            return;
        }
        Admission admission = new Admission(
                start.route(),
                start.clientMinor(),
                Deadline.after(ctx.executor().ticker(), services.config().wakeTimeout()));
        // From here on the client's bytes are the session's: the decoder goes, handing over anything buffered.
        if (ctx.pipeline().get(DECODER) != null) {
            ctx.pipeline().remove(DECODER);
        }
        new ComputeStage(this, ctx, services, relayStage(ctx)).start(admission);
    }

    /** The relay stage of this connection, which stops its login timer at the compute's ReadyForQuery. */
    RelayStage relayStage(ChannelHandlerContext ctx) {
        return new RelayStage(this, ctx, services, acceptedAt, loginTimer);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == TlsSniffer.DIRECT_TLS) {
            state = new TlsHandshake(true);
        } else if (evt instanceof SslHandshakeCompletionEvent done) {
            handshakeDone(ctx, done);
        } else if (evt instanceof IdleStateEvent) {
            fail(
                    ctx,
                    new ProxyError(
                            SqlState.IDLE_SESSION_TIMEOUT,
                            "terminating connection due to idle-session timeout ("
                                    + services.config().idleTimeout().toSeconds() + " s without traffic)"));
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    private void handshakeDone(ChannelHandlerContext ctx, SslHandshakeCompletionEvent done) {
        if (!(state instanceof TlsHandshake handshake)) {
            return;
        }
        if (!done.isSuccess()) {
            LOG.debug("TLS handshake with {} failed", ctx.channel().remoteAddress(), done.cause());
            close(ctx);
            return;
        }
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        Optional<String> serverName = serverName(tls.engine().getSession());
        state = new Encrypted(serverName); // TLS is in use whatever follows: a refusal goes out over it
        take(ctx, ClientStage.handshakeDone(handshake, tls.applicationProtocol(), serverName));
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

    private void loginTimedOut(ChannelHandlerContext ctx) {
        switch (state) {
            case Relaying _, Closing _, Closed _ -> {
                // logged in, or gone
            }
            case Plaintext _, TlsHandshake _, Encrypted _ -> {
                services.metrics().error(SqlState.QUERY_CANCELED);
                close(ctx); // PostgreSQL, too, closes without a word on a client that never sent its startup packet
            }
            case Waking _, Connecting _, Authenticating _ ->
                fail(
                        ctx,
                        new ProxyError(
                                SqlState.QUERY_CANCELED,
                                "canceling authentication due to timeout (login timeout "
                                        + services.config().loginTimeout().toSeconds() + " s)"));
        }
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
            LOG.warn(
                    "unexpected failure on the connection from {}",
                    ctx.channel().remoteAddress(),
                    cause);
            close(ctx);
        }
    }

    /** Answers a FATAL ErrorResponse (in plain text or over TLS, whichever the client speaks now) and closes. */
    void fail(ChannelHandlerContext ctx, ProxyError error) {
        if (state instanceof Closing || state instanceof Closed) {
            return; // already answered (e.g. the decoder failing again on its buffered bytes as the channel closes)
        }
        services.metrics().error(error.state());
        LOG.debug(
                "refusing {}: {} {}",
                ctx.channel().remoteAddress(),
                error.state().code(),
                error.getMessage());
        boolean canSpeak = !(state instanceof TlsHandshake) && ctx.channel().isActive();
        compute(state).ifPresent(Channel::close);
        state = new Closing(state);
        if (canSpeak) {
            ctx.writeAndFlush(Messages.fatal(ctx.alloc(), error)).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    /** The connection to the compute, in the states that have one. */
    private static Optional<Channel> compute(ConnectionState state) {
        return switch (state) {
            case Plaintext _, TlsHandshake _, Encrypted _, Waking _, Closing _, Closed _ -> Optional.empty();
            case Connecting c -> Optional.of(c.compute());
            case Authenticating a -> Optional.of(a.compute());
            case Relaying r -> Optional.of(r.compute());
        };
    }

    private void close(ChannelHandlerContext ctx) {
        if (!(state instanceof Closing || state instanceof Closed)) {
            state = new Closing(state);
        }
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        ConnectionState held = switch (state) {
            case Closing c -> c.held();
            case Closed c -> c;
            case Plaintext _, TlsHandshake _, Encrypted _, Waking _, Connecting _, Authenticating _, Relaying _ ->
                state;
        };
        state = new Closed();
        if (loginTimer != null) {
            loginTimer.cancel(false);
        }
        RelayStage.end(services, held);
        ctx.fireChannelInactive();
    }
}
