package dev.sprout.protocol.client;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sprout.protocol.frame.FrameEncoder;
import dev.sprout.protocol.frame.VarintFrameDecoder;
import dev.sprout.protocol.v1.Attach;
import dev.sprout.protocol.v1.AttachResult;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.Request;
import dev.sprout.protocol.v1.Response;
import dev.sprout.protocol.v1.Status;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A page-service server whose answers the test scripts: it decodes Requests with the real frame codec and
 * queues them for the test, which answers them in any order, late, never, with id 0, or by dropping the
 * connection. Attach is answered by itself (unless turned off) with the pageserver's writer-generation rule: a
 * read-write attach with generation 0 takes the timeline over (bumping its generation), one with a non-zero
 * generation is refused with FENCED unless it is the timeline's current generation.
 *
 * <p>Concurrency: the server runs on its own event loop; the test thread takes requests from a blocking queue
 * and answers through the request's channel (Netty hands the write over).
 */
final class ScriptedPageServer implements AutoCloseable {
    private static final Duration TAKE_TIMEOUT = Duration.ofSeconds(5);

    /** One request as it arrived, and the connection to answer it on. */
    record Received(Request request, Channel channel) {
        long id() {
            return request.getId();
        }

        void reply(Response.Builder response) {
            channel.writeAndFlush(response.setId(request.getId()).build());
        }

        void refuse(Code code, String message) {
            reply(Response.newBuilder()
                    .setStatus(Status.newBuilder().setCode(code).setMessage(message)));
        }
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final BlockingQueue<Received> requests = new LinkedBlockingQueue<>();
    private final BlockingQueue<Request> attaches = new LinkedBlockingQueue<>();
    private final Map<String, Long> generations = new ConcurrentHashMap<>();
    private final AtomicLong sessionIds = new AtomicLong(100);
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean answerAttaches = true;
    private volatile Function<Request, Optional<Response.Builder>> script = r -> Optional.empty();
    private final Channel listener;

    private ScriptedPageServer(int port) {
        listener = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.incrementAndGet();
                        connections.add(ch);
                        ch.pipeline()
                                .addLast(new VarintFrameDecoder(ClientOptions.DEFAULT_MAX_FRAME_BYTES))
                                .addLast(new RequestHandler())
                                .addLast(FrameEncoder.INSTANCE);
                    }
                })
                .bind("127.0.0.1", port)
                .syncUninterruptibly()
                .channel();
    }

    /** A server on an ephemeral port of 127.0.0.1. */
    static ScriptedPageServer start() {
        return new ScriptedPageServer(0);
    }

    int port() {
        return ((java.net.InetSocketAddress) listener.localAddress()).getPort();
    }

    /** The next request the test has to answer (attaches are answered already, unless turned off). */
    Received take() throws InterruptedException {
        Received r = requests.poll(TAKE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(r, "no request arrived within " + TAKE_TIMEOUT);
        return r;
    }

    List<Received> take(int n) throws InterruptedException {
        List<Received> all = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            all.add(take());
        }
        return all;
    }

    /** Asserts that no request arrives within {@code wait}. */
    void expectNothing(Duration wait) throws InterruptedException {
        Received r = requests.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        assertNull(r, () -> "unexpected request " + r.request());
    }

    /** The next Attach the server answered by itself. */
    Request takeAttach() throws InterruptedException {
        Request r = attaches.poll(TAKE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(r, "no attach arrived within " + TAKE_TIMEOUT);
        return r;
    }

    /** Asserts that the server answered no attach beyond those taken. */
    void expectNoAttach() {
        assertNull(attaches.poll(), "unexpected attach");
    }

    /** Off: attaches are queued for the test like any request. */
    void answerAttaches(boolean on) {
        answerAttaches = on;
    }

    /** Answers the requests {@code script} has an answer for at once, on the server's event loop. */
    void script(Function<Request, Optional<Response.Builder>> answers) {
        script = answers;
    }

    /** Another writer takes the timeline over: every older generation is fenced. */
    long takeOver(String timeline) {
        return generations.merge(timeline, 1L, Long::sum);
    }

    int connectionsAccepted() {
        return accepted.get();
    }

    /** Closes every client connection (the listener stays open, so clients can reconnect). */
    void dropConnections() {
        connections.close().syncUninterruptibly();
    }

    /** Writes bytes as they are, outside any framing the encoder would add. */
    void sendRaw(Channel channel, ByteBuf bytes) {
        channel.writeAndFlush(bytes).syncUninterruptibly();
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        connections.close().syncUninterruptibly();
        group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }

    private final class RequestHandler extends SimpleChannelInboundHandler<ByteBuf> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) throws IOException {
            Request request = Request.parseFrom(frame.nioBuffer());
            Received received = new Received(request, ctx.channel());
            if (request.hasAttach() && answerAttaches) {
                attaches.add(request);
                attach(received);
                return;
            }
            Optional<Response.Builder> scripted = script.apply(request);
            if (scripted.isPresent()) {
                received.reply(scripted.get());
            } else {
                requests.add(received);
            }
        }
    }

    /** Answers an Attach the way the pageserver does. */
    void attach(Received received) {
        Attach a = received.request().getAttach();
        long generation = 0;
        if (a.getMode() == Attach.Mode.READ_WRITE) {
            if (a.getGeneration() == 0) {
                generation = takeOver(a.getTimelineId());
            } else {
                long current = generations.getOrDefault(a.getTimelineId(), 0L);
                if (a.getGeneration() != current) {
                    received.refuse(
                            Code.FENCED,
                            "timeline " + a.getTimelineId() + " was taken over by writer generation " + current
                                    + "; this session holds generation " + a.getGeneration()
                                    + " and may no longer write");
                    return;
                }
                generation = current;
            }
        }
        received.reply(Response.newBuilder()
                .setAttached(AttachResult.newBuilder()
                        .setSession(sessionIds.incrementAndGet())
                        .setGeneration(generation)
                        .setLastLsn(1000)
                        .setMinReadableLsn(1)));
    }
}
