package dev.sprout.proxy.startup;

import dev.sprout.proxy.error.ProxyError;
import dev.sprout.proxy.error.SqlState;
import dev.sprout.proxy.relay.BackendStartupDecoder;
import dev.sprout.proxy.relay.RelayHandler;
import dev.sprout.proxy.route.Route;
import dev.sprout.proxy.startup.ConnectionState.Admission;
import dev.sprout.proxy.startup.ConnectionState.Authenticating;
import dev.sprout.proxy.startup.ConnectionState.Closed;
import dev.sprout.proxy.startup.ConnectionState.Closing;
import dev.sprout.proxy.startup.ConnectionState.Connecting;
import dev.sprout.proxy.startup.ConnectionState.Encrypted;
import dev.sprout.proxy.startup.ConnectionState.Plaintext;
import dev.sprout.proxy.startup.ConnectionState.Relaying;
import dev.sprout.proxy.startup.ConnectionState.TlsHandshake;
import dev.sprout.proxy.startup.ConnectionState.Waking;
import dev.sprout.proxy.wire.Messages;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.util.concurrent.Ticker;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compute connection stage of one client connection, from its admitted StartupMessage to a connected compute:
 * wakes the branch's compute through {@link dev.sprout.proxy.wake.WakeUp}, connects to the address it answers
 * (asking again after {@value #RECONNECT_DELAY_MS} ms when that address refuses, until the wake-up deadline), then
 * sends the compute the rewritten StartupMessage and whatever the client sent behind its own, and lets the
 * compute's authentication exchange flow through {@link BackendStartupDecoder} (one {@link RelayHandler} each way).
 * The {@link RelayStage} takes over at the compute's ReadyForQuery.
 *
 * <pre>
 * Waking --address--> Connecting --connected--> Authenticating
 *   ^                    | refused before the deadline: Waking again, asked after RECONNECT_DELAY_MS
 *   +--------------------+
 * Waking --wake-up failed--> 57P03 (or the wake-up's own error);  Connecting --refused past the deadline--> 57P03
 * </pre>
 *
 * <p>The wake-up's answer and the connect's outcome arrive asynchronously; each acts only if the connection is
 * still in the very state that started it, so an answer for a connection closed meanwhile is dropped. On the
 * connection's event loop only; the compute's channel runs on the same loop.
 */
final class ComputeStage {
    /** Between asking again for a compute whose address refused the connection. */
    static final long RECONNECT_DELAY_MS = 50;

    private static final Logger LOG = LoggerFactory.getLogger(ComputeStage.class);

    private final StartupHandler connection;
    private final ChannelHandlerContext ctx;
    private final Services services;
    private final RelayStage relay;

    ComputeStage(StartupHandler connection, ChannelHandlerContext ctx, Services services, RelayStage relay) {
        this.connection = connection;
        this.ctx = ctx;
        this.services = services;
        this.relay = relay;
    }

    /** Starts the stage for an admitted session: the first wake-up. */
    void start(Admission admission) {
        Waking waking = new Waking(admission, 0, new ArrayDeque<>());
        connection.enter(waking);
        wake(waking);
    }

    private void wake(Waking waking) {
        Ticker ticker = ctx.executor().ticker();
        long started = ticker.nanoTime();
        Route route = waking.admission().route();
        services.wakeUp()
                .wake(
                        route.branch(),
                        route.forwarded().getOrDefault("user", ""),
                        waking.admission().deadline(),
                        waking.refusedAddresses() == 0)
                .whenComplete((address, error) -> ctx.executor().execute(() -> {
                    services.metrics().wakeUp(ticker.nanoTime() - started, error == null ? "ready" : "failed");
                    woken(waking, address, error);
                }));
    }

    private void woken(Waking waking, InetSocketAddress address, Throwable error) {
        switch (connection.state()) {
            case Waking now
            when now == waking -> {
                if (error != null) {
                    connection.fail(ctx, asProxyError(error));
                    return;
                }
                if (!waking.counted()) {
                    // Counted by branch only once the branch is known to exist: names from clients are not trusted
                    // to bound the number of meters.
                    services.metrics().opened(waking.admission().route().branch());
                }
                connect(waking, address);
            }
            case Closing _, Closed _ -> {
                // closed meanwhile: nothing to do
            }
            case Plaintext _, TlsHandshake _, Encrypted _, Waking _, Connecting _, Authenticating _, Relaying _ ->
                throw new IllegalStateException("a wake-up answered in " + connection.state());
        }
    }

    private void connect(Waking waking, InetSocketAddress address) {
        Channel client = ctx.channel();
        long left = Math.max(
                1, TimeUnit.NANOSECONDS.toMillis(waking.admission().deadline().leftNanos()));
        ChannelFuture connecting = new Bootstrap()
                .group(client.eventLoop())
                .channel(services.computeChannel())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(left, 10_000))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline()
                                .addLast(
                                        new BackendStartupDecoder(relay),
                                        new RelayHandler(
                                                client, services.metrics().toClient()));
                    }
                })
                .connect(address);
        Connecting attempt = new Connecting(
                waking.admission(), waking.refusedAddresses(), connecting.channel(), address, waking.early());
        connection.enter(attempt);
        connecting.addListener((ChannelFutureListener) f -> connected(attempt, f));
    }

    private void connected(Connecting attempt, ChannelFuture f) {
        switch (connection.state()) {
            case Connecting now
            when now == attempt -> {
                if (f.isSuccess()) {
                    authenticate(attempt);
                } else {
                    refused(attempt, f.cause());
                }
            }
            case Closing _, Closed _ -> f.channel().close();
            case Plaintext _, TlsHandshake _, Encrypted _, Waking _, Connecting _, Authenticating _, Relaying _ -> {
                f.channel().close();
                throw new IllegalStateException("a connect to the compute completed in " + connection.state());
            }
        }
    }

    private void refused(Connecting attempt, Throwable cause) {
        String branch = attempt.admission().route().branch();
        if (attempt.admission().deadline().passed()) {
            connection.fail(
                    ctx,
                    new ProxyError(
                            SqlState.CANNOT_CONNECT_NOW,
                            "cannot reach the compute of branch \"" + branch + "\" at " + attempt.address() + ": "
                                    + cause.getMessage(),
                            "Try again in a moment."));
            return;
        }
        // A compute suspended (or restarted on another port) since the wake-up answered: ask again.
        LOG.debug("cannot connect to the compute of branch {} at {}; asking again", branch, attempt.address(), cause);
        Waking again = new Waking(attempt.admission(), attempt.refusedAddresses() + 1, attempt.early());
        connection.enter(again);
        ctx.executor()
                .schedule(
                        () -> {
                            if (connection.state() == again) {
                                wake(again);
                            }
                        },
                        RECONNECT_DELAY_MS,
                        TimeUnit.MILLISECONDS);
    }

    private void authenticate(Connecting attempt) {
        Channel compute = attempt.compute();
        connection.enter(new Authenticating(attempt.admission(), compute, attempt.address(), Optional.empty()));
        compute.write(
                Messages.startupMessage(ctx.alloc(), attempt.admission().route().forwarded()));
        for (ByteBuf early; (early = attempt.early().poll()) != null; ) {
            compute.write(early);
        }
        compute.flush();
        // The client's authentication answers, and later its queries, go to the compute as they come.
        ctx.pipeline()
                .addAfter(
                        StartupHandler.NAME,
                        "relay",
                        new RelayHandler(compute, services.metrics().toCompute()));
        RelayHandler.start(ctx.channel(), compute);
    }

    private static ProxyError asProxyError(Throwable t) {
        Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        return c instanceof ProxyError e
                ? e
                : new ProxyError(SqlState.CANNOT_CONNECT_NOW, "cannot wake the compute: " + c.getMessage());
    }
}
