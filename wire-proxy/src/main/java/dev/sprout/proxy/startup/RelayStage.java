package dev.sprout.proxy.startup;

import dev.sprout.proxy.cancel.CancelKey;
import dev.sprout.proxy.cancel.CancelKeys;
import dev.sprout.proxy.relay.BackendStartupDecoder;
import dev.sprout.proxy.relay.RelayHandler;
import dev.sprout.proxy.startup.ConnectionState.Authenticating;
import dev.sprout.proxy.startup.ConnectionState.Closed;
import dev.sprout.proxy.startup.ConnectionState.Closing;
import dev.sprout.proxy.startup.ConnectionState.Connecting;
import dev.sprout.proxy.startup.ConnectionState.Encrypted;
import dev.sprout.proxy.startup.ConnectionState.Plaintext;
import dev.sprout.proxy.startup.ConnectionState.Relaying;
import dev.sprout.proxy.startup.ConnectionState.TlsHandshake;
import dev.sprout.proxy.startup.ConnectionState.Waking;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The relay stage of one client connection: the session from the compute's BackendKeyData to its end. Issues the
 * client's cancel key in place of the compute's ({@link CancelKeys}); at the compute's first ReadyForQuery moves the
 * connection from Authenticating to Relaying, where a {@link RelayHandler} each way copies bytes unread (the login
 * timer stops, the handshake is timed, the idle timeout starts); and at the end releases what the session held: the
 * bytes held back, the cancel key, the connection slot, the branch's count, the compute connection.
 *
 * <pre>
 * Authenticating --BackendKeyData--> Authenticating(key)   (the client gets the proxy's key)
 * Authenticating --ReadyForQuery--> Relaying
 * </pre>
 *
 * On the connection's event loop only (the compute's channel, whose decoder calls it, runs on the same loop).
 */
final class RelayStage implements BackendStartupDecoder.Listener {
    private final StartupHandler connection;
    private final ChannelHandlerContext ctx;
    private final Services services;
    private final long acceptedAt;
    private final ScheduledFuture<?> loginTimer;

    RelayStage(
            StartupHandler connection,
            ChannelHandlerContext ctx,
            Services services,
            long acceptedAt,
            ScheduledFuture<?> loginTimer) {
        this.connection = connection;
        this.ctx = ctx;
        this.services = services;
        this.acceptedAt = acceptedAt;
        this.loginTimer = loginTimer;
    }

    @Override
    public CancelKey keyFromCompute(CancelKey computeKey) {
        if (!(connection.state() instanceof Authenticating a)) {
            // The compute's bytes still decoded as its connection closes: a key that opens no session.
            CancelKey unused =
                    services.cancelKeys().issue(new CancelKeys.Target(new InetSocketAddress(0), computeKey, ""), false);
            services.cancelKeys().remove(unused);
            return unused;
        }
        a.key().ifPresent(services.cancelKeys()::remove);
        CancelKey issued = services.cancelKeys()
                .issue(
                        new CancelKeys.Target(
                                a.address(), computeKey, a.admission().route().branch()),
                        a.admission().clientMinor() >= 2);
        connection.enter(new Authenticating(a.admission(), a.compute(), a.address(), Optional.of(issued)));
        return issued;
    }

    @Override
    public void ready() {
        if (!(connection.state() instanceof Authenticating a)) {
            return;
        }
        connection.enter(new Relaying(a.admission(), a.compute(), a.key()));
        loginTimer.cancel(false);
        services.metrics().handshake(ctx.executor().ticker().nanoTime() - acceptedAt);
        long idle = services.config().idleTimeout().toNanos();
        if (idle > 0) {
            ctx.pipeline()
                    .addBefore(StartupHandler.NAME, "idle", new IdleStateHandler(0, 0, idle, TimeUnit.NANOSECONDS));
        }
    }

    /**
     * Releases what a connection held in {@code held}, the state it was closed in: the bytes held back, the cancel
     * key, the connection slot, the branch's count, and the compute connection (closed once flushed).
     */
    static void end(Services services, ConnectionState held) {
        switch (held) {
            case Plaintext _, TlsHandshake _, Encrypted _, Closing _, Closed _ -> {
                // no session yet (or nothing left)
            }
            case Waking w -> {
                release(w.early());
                services.release();
                if (w.counted()) {
                    services.metrics().closed(w.admission().route().branch());
                }
            }
            case Connecting c -> {
                release(c.early());
                services.release();
                services.metrics().closed(c.admission().route().branch());
                RelayHandler.closeOnFlush(c.compute());
            }
            case Authenticating a -> {
                a.key().ifPresent(services.cancelKeys()::remove);
                services.release();
                services.metrics().closed(a.admission().route().branch());
                RelayHandler.closeOnFlush(a.compute());
            }
            case Relaying r -> {
                r.key().ifPresent(services.cancelKeys()::remove);
                services.release();
                services.metrics().closed(r.admission().route().branch());
                RelayHandler.closeOnFlush(r.compute());
            }
        }
    }

    private static void release(ArrayDeque<ByteBuf> early) {
        for (ByteBuf b; (b = early.poll()) != null; ) {
            b.release();
        }
    }
}
