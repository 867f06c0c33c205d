package dev.sprout.proxy;

import dev.sprout.proxy.cancel.CancelKeys;
import dev.sprout.proxy.startup.Services;
import dev.sprout.proxy.startup.StartupDecoder;
import dev.sprout.proxy.startup.StartupHandler;
import dev.sprout.proxy.startup.TlsSniffer;
import dev.sprout.proxy.tls.ServerTls;
import dev.sprout.proxy.wake.Endpoints;
import dev.sprout.proxy.wake.WakeUp;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The wire proxy: one PostgreSQL port in front of every branch's compute. Each connection names its branch
 * ({@link dev.sprout.proxy.route.Route}); the proxy wakes that branch's compute through {@link Endpoints}, relays the
 * compute's own authentication, and then copies bytes both ways ({@link StartupHandler} has the state machine).
 *
 * <p>{@link #start} returns once the port is bound; {@link #close} stops accepting, closes every connection, and is
 * idempotent. Thread-safe.
 */
public final class WireProxy implements AutoCloseable {
    private final ProxyConfig config;
    private final EventLoopGroup acceptGroup;
    private final EventLoopGroup ioGroup;
    private final ChannelGroup channels = new DefaultChannelGroup("sprout-proxy", GlobalEventExecutor.INSTANCE);
    private final WakeUp wakeUp;
    private final ProxyMetrics metrics;
    private final CancelKeys cancelKeys = new CancelKeys();
    private final AtomicInteger admitted = new AtomicInteger();
    private final Optional<SslContext> tls;
    private final AtomicBoolean closed = new AtomicBoolean();
    private Channel server;

    private WireProxy(ProxyConfig config, Endpoints endpoints, MeterRegistry registry) {
        this.config = config;
        this.tls = ServerTls.context(config.tls());
        this.metrics = new ProxyMetrics(registry);
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.acceptGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("sprout-proxy-accept"), io);
        this.ioGroup =
                new MultiThreadIoEventLoopGroup(config.ioThreads(), new DefaultThreadFactory("sprout-proxy-io"), io);
        this.wakeUp = new WakeUp(endpoints);
    }

    /**
     * Binds {@code config.bindAddress():config.port()} and starts serving.
     *
     * @throws java.io.UncheckedIOException when the TLS certificate cannot be made or read
     * @throws ProxyStartException          when the port cannot be bound (the message names it)
     */
    public static WireProxy start(ProxyConfig config, Endpoints endpoints, MeterRegistry registry) {
        if (config.requiresTls() && !config.tls().enabled()) {
            throw new ProxyStartException(
                    "the proxy would listen on " + config.bindAddress() + ", beyond loopback,"
                            + " without TLS: PostgreSQL traffic would cross the network in clear; give it a certificate",
                    null);
        }
        WireProxy proxy = new WireProxy(config, endpoints, registry);
        try {
            proxy.bind();
            return proxy;
        } catch (RuntimeException e) {
            proxy.close();
            throw e;
        }
    }

    private void bind() {
        boolean epoll = Epoll.isAvailable();
        Class<? extends ServerChannel> serverChannel =
                epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        Class<? extends SocketChannel> computeChannel = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        Services services =
                new Services(config, tls, wakeUp, cancelKeys, metrics, admitted, computeChannel, config.requiresTls());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptGroup, ioGroup)
                .channel(serverChannel)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        tls.ifPresent(t -> ch.pipeline().addLast("tls-sniffer", new TlsSniffer(t)));
                        ch.pipeline().addLast(StartupHandler.DECODER, new StartupDecoder());
                        ch.pipeline().addLast(StartupHandler.NAME, new StartupHandler(services));
                    }
                });
        try {
            server = bootstrap.bind(config.bindAddress(), config.port()).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProxyStartException("interrupted while binding the proxy's port", e);
        } catch (Exception e) {
            throw new ProxyStartException(
                    "cannot listen on " + config.bindAddress() + ":" + config.port() + " for the proxy: "
                            + e.getMessage(),
                    e);
        }
    }

    /** The address it listens on (the actual port when the configured one was 0). */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    public int port() {
        return address().getPort();
    }

    public ProxyConfig config() {
        return config;
    }

    public ProxyMetrics metrics() {
        return metrics;
    }

    /** Whether it offers TLS. */
    public boolean tls() {
        return tls.isPresent();
    }

    /** Which TLS implementation serves it ("OPENSSL" is BoringSSL through netty-tcnative, "JDK" the JDK's). */
    public Optional<String> tlsProvider() {
        return tls.map(t -> t.isServer() ? ServerTls.provider().name() : "");
    }

    /** Client connections admitted (past their StartupMessage) and still open. */
    public int sessions() {
        return admitted.get();
    }

    /** Cancel keys of open sessions (one per session that got past authentication). */
    public int cancelKeys() {
        return cancelKeys.size();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (server != null) {
            server.close().syncUninterruptibly();
        }
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        wakeUp.close();
        acceptGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        ioGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
