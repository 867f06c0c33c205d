package dev.sprout.protocol.client;

import dev.sprout.protocol.frame.FrameEncoder;
import dev.sprout.protocol.frame.VarintFrameDecoder;
import dev.sprout.protocol.tls.TlsContexts;
import dev.sprout.protocol.v1.Ping;
import dev.sprout.protocol.v1.Request;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The asynchronous, pipelined client of the page service: one TCP connection to one pageserver, many requests
 * in flight on it, answers matched to requests by id in whatever order they come.
 *
 * <pre>{@code
 * try (PageClient client = PageClient.connect(ClientOptions.defaults("127.0.0.1", 6400))) {
 *     PageSession s = client.attach(timelineId, AttachMode.takeOver()).join();
 *     long lsn = s.commit(List.of(write), List.of()).join();
 *     PagesRead read = s.getPages(PageSession.SESSION_LSN, List.of(ref)).join();
 * }
 * }</pre>
 *
 * <p><b>Concurrency.</b> Thread-safe: any thread may call any method. Each call takes an in-flight slot and hands
 * the request to the client's single I/O thread (a Netty event loop), which writes it and flushes once per
 * burst of calls, so a lone request is sent at once and many pipelined ones share a syscall. One thread's
 * calls reach the server in call order.
 *
 * <p><b>Which thread completes the futures.</b> By default ({@link ClientOptions#EVENT_LOOP}) the event loop
 * itself, the lowest latency: callbacks attached with {@code thenApply}, {@code whenComplete} and the like then
 * run on the I/O thread and <em>must not block</em> (no {@code join()}, no disk I/O), or every request of the
 * client stalls behind them. Give {@link ClientOptions#withCallbackExecutor} an executor to complete futures
 * there instead. Callers that {@code join()} from their own threads (the FUSE compute) need neither.
 *
 * <p><b>In-flight bound.</b> At most {@link ClientOptions#maxInFlight()} requests are pending (written and not
 * answered, or waiting for a reconnect). A call beyond that <em>blocks the calling thread</em> until a slot
 * frees, at most until the request timeout, then fails with {@link RequestTimeoutException}; the bound is what
 * keeps a fast producer from queueing without limit. A call made on the event loop itself (from a callback)
 * cannot wait for a slot, since only that thread frees them: it fails at once instead.
 *
 * <p><b>Timeouts.</b> Every request fails with {@link RequestTimeoutException} when no answer came within
 * {@link ClientOptions#requestTimeout()} of the call; a late answer is dropped.
 *
 * <p><b>Connection loss.</b> Requests in flight fail with {@link ConnectionLostException}; they are not resent,
 * since the server may have applied them (a Commit whose answer was lost is <em>unknown</em>, not failed). The
 * client reconnects with exponential backoff for up to {@link ClientOptions#maxReconnectTime()} and re-attaches
 * every open session before sending anything else; calls made meanwhile wait (their timeout keeps running) and
 * go out on the new connection. When it gives up, every waiting and later call fails with
 * {@link ConnectionLostException} saying how long it tried, and the client stays unusable: make a new one.
 * The first connect is not retried: {@link #connect} throws.
 *
 * <p><b>Close.</b> {@link #close()} is idempotent: it fails every pending request with
 * {@link ClientClosedException}, closes the connection and stops the I/O thread. It does not detach sessions
 * (the server drops them with the connection, staged pages included).
 */
public final class PageClient implements AutoCloseable {
    private final ClientOptions options;
    /** The I/O thread of a connected client; null for an in-process one. */
    private final EventLoopGroup group;

    private final EventLoop loop;
    private final Calls dispatcher;
    private final AtomicBoolean closed = new AtomicBoolean();

    private PageClient(ClientOptions options, EventLoopGroup group, EventLoop loop, Calls dispatcher) {
        this.options = options;
        this.group = group;
        this.loop = loop;
        this.dispatcher = dispatcher;
    }

    /**
     * A client of the page service of this process: every call runs on its caller's thread, with no socket,
     * encoding or hand-off, and answers as a connection to that pageserver would ({@link InProcessPageService}).
     * {@code options} gives the credential its Attach carries and the address its messages name; its timeouts
     * and TLS settings do not apply.
     */
    public static PageClient inProcess(InProcessPageService service, ClientOptions options) {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(options, "options");
        return new PageClient(options, null, null, new InProcessCalls(service.open(), "the in-process page service"));
    }

    /**
     * Connects to the pageserver. Blocks until connected.
     *
     * @throws ConnectionLostException when the connection cannot be made within the connect timeout, or (with TLS)
     *     the handshake fails: a message that says why (the certificate is not the trust anchor's, names another
     *     host, or the server does not speak TLS)
     * @throws java.io.UncheckedIOException when the TLS trust anchor cannot be read
     */
    public static PageClient connect(ClientOptions options) {
        return connect(options, null);
    }

    /**
     * {@link #connect(ClientOptions)} with the reconnect backoff on {@code timer} (null: the client's own, on
     * {@link System#nanoTime()} and its event loop), so tests can drive reconnect timing.
     */
    static PageClient connect(ClientOptions options, ReconnectTimer timer) {
        Objects.requireNonNull(options, "options");
        SslContext tls = options.tlsTrustAnchor().map(TlsContexts::client).orElse(null);
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(
                1, new DefaultThreadFactory("sprout-page-client-" + options.port(), true), io);
        try {
            EventLoop loop = group.next();
            Bootstrap bootstrap = new Bootstrap()
                    .group(loop)
                    .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.SO_KEEPALIVE, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)
                            Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis()))
                    .remoteAddress(options.host(), options.port());
            Dispatcher dispatcher =
                    new Dispatcher(options, bootstrap, loop, timer != null ? timer : ReconnectTimer.monotonic(loop));
            bootstrap.handler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                            .addLast("frames", new VarintFrameDecoder(options.maxFrameBytes()))
                            .addLast("responses", new ResponseHandler(dispatcher))
                            .addLast("encoder", FrameEncoder.INSTANCE);
                    if (tls != null) { // first: every frame goes through TLS, nothing is written before the handshake
                        ch.pipeline()
                                .addFirst(
                                        TlsContexts.HANDLER,
                                        TlsContexts.clientHandler(tls, ch.alloc(), options.host(), options.port()));
                    }
                }
            });
            dispatcher.start();
            return new PageClient(options, group, loop, dispatcher);
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw e;
        }
    }

    /**
     * Opens a session on a timeline. Read-write with generation 0 takes the timeline over (fencing older
     * writers); see {@link AttachMode}. Fails with a {@link RefusedException} (e.g. {@code UNKNOWN_TIMELINE},
     * {@code LSN_OUT_OF_RANGE}, {@code FENCED} for a stale generation).
     */
    public CompletableFuture<PageSession> attach(String timelineId, AttachMode mode) {
        Objects.requireNonNull(timelineId, "timelineId");
        Objects.requireNonNull(mode, "mode");
        if (timelineId.isEmpty()) {
            throw new IllegalArgumentException("timelineId is empty");
        }
        return dispatcher.call(
                null,
                Request.newBuilder().setAttach(PageSession.attachRequest(timelineId, mode, options.credential())),
                dispatcher.sessionFactory(this, timelineId, mode));
    }

    /** The store's last LSN; a round trip that needs no session. */
    public CompletableFuture<Long> ping() {
        return dispatcher.call(
                null,
                Request.newBuilder().setPing(Ping.getDefaultInstance()),
                r -> r.getPong().getLastLsn());
    }

    public ClientOptions options() {
        return options;
    }

    /**
     * Fails every pending request with {@link ClientClosedException}, closes the connection and stops the I/O
     * thread (waiting for it unless called on it). Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        dispatcher.close();
        if (group == null) {
            return;
        }
        var terminated = group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        if (!loop.inEventLoop()) {
            terminated.awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    @Override
    public String toString() {
        return "PageClient[" + (group == null ? "in-process" : options.address()) + (closed.get() ? ", closed" : "")
                + "]";
    }
}
