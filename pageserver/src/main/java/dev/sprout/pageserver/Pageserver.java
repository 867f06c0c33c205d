package dev.sprout.pageserver;

import dev.sprout.http.ApiMounts;
import dev.sprout.http.BearerAuth;
import dev.sprout.http.HttpApi;
import dev.sprout.http.HttpServerInitializer;
import dev.sprout.http.auth.AuditLog;
import dev.sprout.http.auth.FailureLimiter;
import dev.sprout.http.auth.TokenStore;
import dev.sprout.http.auth.TokensApi;
import dev.sprout.pageserver.auth.Credentials;
import dev.sprout.pageserver.cache.PageCache;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.pageserver.config.PageserverTls;
import dev.sprout.pageserver.http.ManagementApi;
import dev.sprout.pageserver.metrics.PageServiceMetrics;
import dev.sprout.pageserver.metrics.StoreMetrics;
import dev.sprout.pageserver.page.PageOperations;
import dev.sprout.pageserver.page.PageServiceHandler;
import dev.sprout.pageserver.page.TimelineGates;
import dev.sprout.protocol.frame.FrameEncoder;
import dev.sprout.protocol.frame.VarintFrameDecoder;
import dev.sprout.protocol.tls.TlsContexts;
import dev.sprout.protocol.tls.TlsSettings;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.StoreOptions;
import dev.sprout.storage.timeline.TimelineId;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
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
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running pageserver: the storage engine on its data directory, the page service and the management API
 * on their ports, the page cache, metrics and background GC. Both ports ask for credentials ({@link Credentials},
 * kept in {@code DATA/secrets/}): the page service a secret in every Attach, the HTTP APIs a bearer token.
 *
 * <p>{@link #start} returns once both ports accept connections. {@link #close} is idempotent: it stops
 * accepting, closes connections, waits for running storage calls, then closes the store (everything
 * acknowledged is already durable; nothing else is promised).
 */
public final class Pageserver implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Pageserver.class);

    private final PageserverConfig config;
    private final PageStore store;
    private final Credentials credentials;
    private final TokenStore tokens;
    private final AuditLog audit;
    private final PrometheusMeterRegistry metrics;
    private final TimelineGates gates;
    private ApiMounts apis;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final ExecutorService storagePool;
    private final ScheduledExecutorService background;
    private final Channel pageChannel;
    private final Channel httpChannel;
    /** The page service for computes of this process: direct calls instead of the page port. */
    private final dev.sprout.pageserver.page.InProcessPageServer inProcess;

    private final Optional<TlsSettings.Files> tlsFiles;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Pageserver(PageserverConfig config, InstantSource clock) throws InterruptedException {
        this.config = config;
        // TLS first: a certificate that cannot be read or made stops the start before the store is opened.
        this.tlsFiles = PageserverTls.files(config);
        Optional<SslContext> tls = tlsFiles.map(TlsContexts::server);
        this.credentials = Credentials.loadOrCreate(config.dataDirectory());
        this.tokens =
                TokenStore.open(Credentials.directory(config.dataDirectory()).resolve(TokenStore.FILE), clock);
        this.store = PageStore.open(StoreOptions.defaults(config.dataDirectory())
                .withSyncCommits(config.syncCommits())
                .withPitrWindow(config.pitrWindow())
                .withClock(clock));
        this.audit = AuditLog.open(store.catalog(), clock);
        boolean started = false;
        try {
            this.metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            new JvmMemoryMetrics().bindTo(metrics);
            new JvmThreadMetrics().bindTo(metrics);
            this.storagePool = Executors.newFixedThreadPool(config.storageThreads(), named("sprout-storage-"));
            this.background = Executors.newSingleThreadScheduledExecutor(named("sprout-background-"));
            PageCache cache = new PageCache(config.pageCacheBytes());
            CaffeineCacheMetrics.monitor(metrics, cache.caffeine(), "sprout.page.cache");
            metrics.gauge("sprout.page.cache.bytes", cache, PageCache::weightedBytes);
            metrics.gauge(
                    "sprout.page.cache.hit.ratio",
                    cache,
                    c -> c.caffeine().stats().hitRate());
            StoreMetrics.bind(store, metrics);
            this.gates = new TimelineGates(store, cache);
            PageOperations ops = new PageOperations(store, cache, gates, config.maxStagedBytes());
            PageServiceMetrics pageMetrics = new PageServiceMetrics(metrics);
            this.inProcess =
                    new dev.sprout.pageserver.page.InProcessPageServer(ops, credentials, storagePool, pageMetrics);
            this.apis = new ApiMounts(new ManagementApi(store, metrics, gates::deleted));
            TokensApi tokensApi = new TokensApi(tokens, audit);
            apis.mount(TokensApi.TOKENS, tokensApi);
            apis.mount(TokensApi.AUDIT, tokensApi);

            boolean epoll = Epoll.isAvailable();
            IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
            Class<? extends ServerChannel> serverChannel =
                    epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
            this.bossGroup = new MultiThreadIoEventLoopGroup(1, named("sprout-accept-"), io);
            this.workerGroup = new MultiThreadIoEventLoopGroup(0, named("sprout-io-"), io);

            ServerBootstrap pageBootstrap = serverBootstrap(serverChannel)
                    .childOption(ChannelOption.SO_KEEPALIVE, true)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline()
                                    .addLast("frames", new VarintFrameDecoder(config.maxMessageBytes()))
                                    .addLast("encoder", FrameEncoder.INSTANCE)
                                    .addLast(
                                            "pages",
                                            new PageServiceHandler(
                                                    ops, credentials, storagePool, pageMetrics, config.maxInFlight()));
                            // with TLS, the first bytes must be a ClientHello; no frame is read before it
                            tls.ifPresent(t -> TlsContexts.addServerHandler(ch.pipeline(), t));
                        }
                    });
            this.pageChannel = bind(pageBootstrap, config.bindAddress(), config.pagePort(), "page service");
            ServerBootstrap httpBootstrap = serverBootstrap(serverChannel)
                    .childHandler(new HttpServerInitializer(
                            apis,
                            new BearerAuth(credentials.admin(), tokens, new FailureLimiter(clock)),
                            audit,
                            storagePool,
                            config.maxMessageBytes(),
                            tls));
            this.httpChannel = bind(httpBootstrap, config.bindAddress(), config.httpPort(), "management API");

            if (!config.gcInterval().isZero()) {
                long every = config.gcInterval().toMillis();
                background.scheduleWithFixedDelay(this::backgroundGc, every, every, TimeUnit.MILLISECONDS);
            }
            started = true;
        } finally {
            if (!started) { // a port was taken: give back what was made before
                for (EventLoopGroup g : new EventLoopGroup[] {bossGroupOrNull(), workerGroupOrNull()}) {
                    if (g != null) {
                        g.shutdownGracefully(0, 0, TimeUnit.SECONDS);
                    }
                }
                if (storagePoolOrNull() != null) {
                    storagePoolOrNull().shutdownNow();
                }
                if (backgroundOrNull() != null) {
                    backgroundOrNull().shutdownNow();
                }
                store.close();
            }
        }
    }

    /** What both listeners share: the event loops, the socket type, and the socket options. */
    private ServerBootstrap serverBootstrap(Class<? extends ServerChannel> serverChannel) {
        return new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(serverChannel)
                .option(ChannelOption.SO_REUSEADDR, true) // a restarted pageserver takes its port back at once
                .childOption(ChannelOption.TCP_NODELAY, true);
    }

    private static Channel bind(ServerBootstrap bootstrap, String address, int port, String what)
            throws InterruptedException {
        try {
            return bootstrap.bind(new InetSocketAddress(address, port)).sync().channel();
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) { // Netty rethrows the socket's checked BindException as is
            throw new IllegalStateException(
                    "cannot listen on " + address + ":" + port + " for the " + what + ": "
                            + (e instanceof java.net.BindException
                                    ? "the port is in use or the address is not this machine's"
                                    : e.toString()),
                    e);
        }
    }

    // Read in the constructor's failure path, where a final field may not be assigned yet (then it reads null).
    private EventLoopGroup bossGroupOrNull() {
        return bossGroup;
    }

    private EventLoopGroup workerGroupOrNull() {
        return workerGroup;
    }

    private ExecutorService storagePoolOrNull() {
        return storagePool;
    }

    private ScheduledExecutorService backgroundOrNull() {
        return background;
    }

    /** Opens the store and starts serving; fails with a sentence if a port is taken or the store cannot open. */
    public static Pageserver start(PageserverConfig config) {
        return start(config, InstantSource.system());
    }

    /**
     * {@link #start(PageserverConfig)} with the store's clock: the time of each commit, the PITR window, GC's horizon.
     * Tests pass one that moves when told instead of sleeping.
     */
    public static Pageserver start(PageserverConfig config, InstantSource clock) {
        try {
            Pageserver server = new Pageserver(config, clock);
            log.info(
                    "pageserver on {}: page service {}{}, management API {}://{}:{}/ (data directory {})",
                    config.bindAddress(),
                    server.pagePort(),
                    server.tlsFiles.isPresent() ? " (TLS)" : "",
                    server.tlsFiles.isPresent() ? "https" : "http",
                    config.bindAddress(),
                    server.httpPort(),
                    config.dataDirectory());
            return server;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the pageserver", e);
        }
    }

    public int pagePort() {
        return ((InetSocketAddress) pageChannel.localAddress()).getPort();
    }

    public int httpPort() {
        return ((InetSocketAddress) httpChannel.localAddress()).getPort();
    }

    public PageserverConfig config() {
        return config;
    }

    /**
     * The certificate both ports present (PEM; the self-signed one is its own trust anchor), or empty when they
     * speak plaintext.
     */
    public Optional<Path> tlsCertificate() {
        return tlsFiles.map(TlsSettings.Files::certificateChain);
    }

    /**
     * The page service as direct calls, for a compute in this process ({@code PageClient.inProcess}): the same
     * contract as the page port (credentials included) without its socket, encoding and thread hand-offs.
     */
    public dev.sprout.protocol.client.InProcessPageService inProcess() {
        return inProcess;
    }

    public PageStore store() {
        return store;
    }

    /**
     * What clients must present: the page-service secret (every compute's Attach) and the HTTP APIs' admin token,
     * kept in {@code DATA/secrets/}. For clients in this process; never log them.
     */
    public Credentials credentials() {
        return credentials;
    }

    /**
     * Serves {@code api} on the management API's port for {@code prefix} and the paths below it (the control
     * plane mounts {@code /v1/branches} in the all-in-one mode).
     */
    public void mountApi(String prefix, HttpApi api) {
        apis.mount(prefix, api);
    }

    /** Whether a read-write page session holding the current writer generation is attached to {@code timeline}. */
    public boolean writerAttached(TimelineId timeline) {
        return gates.writerAttached(timeline);
    }

    public PrometheusMeterRegistry metrics() {
        return metrics;
    }

    private void backgroundGc() {
        try {
            var report = store.gc();
            log.info(
                    "background GC: {} versions ({} bytes of pages) removed, {} timelines scanned, {} reclaimed",
                    report.versionsRemoved(),
                    report.pageBytesRemoved(),
                    report.timelinesScanned(),
                    report.timelinesReclaimed());
        } catch (RuntimeException e) {
            log.warn("background GC failed; it will run again in {}", config.gcInterval(), e);
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        inProcess.close();
        pageChannel.close().syncUninterruptibly();
        httpChannel.close().syncUninterruptibly();
        background.shutdownNow();
        workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        storagePool.shutdown();
        try {
            if (!storagePool.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("storage calls still running after 30 s; closing the store under them");
                storagePool.shutdownNow();
            }
            background.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.close();
        metrics.close();
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
