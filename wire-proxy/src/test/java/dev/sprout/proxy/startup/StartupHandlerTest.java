package dev.sprout.proxy.startup;

import static dev.sprout.proxy.startup.StartupDecoderTest.cancel;
import static dev.sprout.proxy.startup.StartupDecoderTest.concat;
import static dev.sprout.proxy.startup.StartupDecoderTest.frame;
import static dev.sprout.proxy.startup.StartupDecoderTest.hex;
import static dev.sprout.proxy.startup.StartupDecoderTest.startup;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sprout.protocol.tls.TlsSettings;
import dev.sprout.proxy.ProxyConfig;
import dev.sprout.proxy.ProxyMetrics;
import dev.sprout.proxy.cancel.CancelKeys;
import dev.sprout.proxy.tls.ServerTls;
import dev.sprout.proxy.wake.Endpoints;
import dev.sprout.proxy.wake.WakeResult;
import dev.sprout.proxy.wake.WakeUp;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.MockTicker;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link StartupHandler} in the pipeline {@code WireProxy} builds, on an {@link EmbeddedChannel} with auto-read off
 * as the server sets it. Every exchange is run with each client message whole, then again with the client's bytes cut
 * in two at every byte boundary, and must answer byte for byte the same (Netty's
 * {@code RedisDecoderTest.splitEOLDoesNotInfiniteLoop} idea).
 *
 * <p>About EmbeddedChannel: {@code writeInbound} delivers bytes whether or not a read was asked for, and
 * {@code read()} does nothing but travel the pipeline, so the handler's read demand is observed with a counting
 * handler at the pipeline's head. The wake-up runs on a virtual thread and posts its outcome with
 * {@code ctx.executor().execute}; EmbeddedEventLoop's task queue is a plain ArrayDeque that every thread is "in", so
 * the test's Endpoints waits at a gate until the client's bytes are all written, and the test joins that thread
 * before running the posted task: no two threads ever touch the queue at once.
 */
class StartupHandlerTest {
    private static final int PROTOCOL_3_0 = 3 << 16;
    private static final int SSL = 1234 << 16 | 5679;
    private static final int GSSENC = 1234 << 16 | 5680;
    private static final byte[] SSL_REQUEST = frame(SSL, new byte[0]);
    private static final byte[] GSSENC_REQUEST = frame(GSSENC, new byte[0]);
    private static final String N = "4e";
    private static final Endpoints NO_SUCH_BRANCH = branch -> new WakeResult.NoSuchBranch();

    @TempDir
    Path tempDir;

    // ---- SSLRequest and GSSENCRequest -------------------------------------------------------------------------

    @Test
    void sslRequestWithoutTlsIsAnsweredNThenAnUnknownBranchIsRefused() {
        Exchange exchange = new Exchange(
                Setup.plain(NO_SUCH_BRANCH),
                SSL_REQUEST,
                startup(PROTOCOL_3_0, "user", "alice", "database", "db@nope"));
        Outcome outcome = exchange.run();

        assertEquals(List.of(N), outcome.answers().get(0), "exactly one byte 'N'");
        assertTrue(outcome.openAfterTurn().get(0), "the connection stays open for the StartupMessage");
        List<String> last = outcome.answers().get(1);
        assertEquals(1, last.size());
        assertFatal(
                last.getFirst(), "3D000", "branch \"nope\" does not exist", "`sprout branch list` shows the branches.");
        assertFalse(outcome.open());
        assertEquals(List.of("nope"), outcome.wakes());
        assertEquals(0, outcome.admitted(), "the closed connection gave its slot back");
        assertEquals(Map.of("3D000", 1.0), outcome.errors());
        exchange.assertSameAtEverySplit(outcome);
    }

    @Test
    void gssEncRequestIsAnsweredNAndTheClientMayGoOn() {
        Exchange exchange = new Exchange(
                Setup.plain(NO_SUCH_BRANCH),
                GSSENC_REQUEST,
                startup(PROTOCOL_3_0, "user", "alice", "options", "branch=feature"));
        Outcome outcome = exchange.run();
        assertEquals(List.of(N), outcome.answers().get(0));
        assertTrue(outcome.openAfterTurn().get(0));
        assertFatal(
                single(outcome.answers().get(1)),
                "3D000",
                "branch \"feature\" does not exist",
                "`sprout branch list` shows the branches.");
        assertEquals(List.of("feature"), outcome.wakes());
        exchange.assertSameAtEverySplit(outcome);
    }

    @Test
    void gssEncThenSslIsWhatLibpqSendsByDefaultAndBothAreRefusedPolitely() {
        // gssencmode=prefer then sslmode=prefer: one request of each kind is allowed.
        Exchange exchange = new Exchange(
                Setup.plain(NO_SUCH_BRANCH), GSSENC_REQUEST, SSL_REQUEST, startup(PROTOCOL_3_0, "user", "alice"));
        Outcome outcome = exchange.run();
        assertEquals(List.of(N), outcome.answers().get(0));
        assertEquals(List.of(N), outcome.answers().get(1));
        assertFatal(
                single(outcome.answers().get(2)),
                "3D000",
                "branch \"main\" does not exist",
                "`sprout branch list` shows the branches.");
        exchange.assertSameAtEverySplit(outcome);
    }

    @Test
    void aSecondGssEncRequestIsAProtocolViolation() {
        Exchange exchange = new Exchange(Setup.plain(NO_SUCH_BRANCH), GSSENC_REQUEST, GSSENC_REQUEST);
        Outcome outcome = exchange.run();
        assertEquals(List.of(N), outcome.answers().get(0));
        assertFatal(single(outcome.answers().get(1)), "08P01", "second GSSENCRequest", null);
        assertFalse(outcome.open());
        assertEquals(List.of(), outcome.wakes());
        assertEquals(Map.of("08P01", 1.0), outcome.errors());
        exchange.assertSameAtEverySplit(outcome);
    }

    @Test
    void aSecondSslRequestIsAProtocolViolation() {
        Exchange exchange = new Exchange(Setup.plain(NO_SUCH_BRANCH), SSL_REQUEST, SSL_REQUEST);
        Outcome outcome = exchange.run();
        assertEquals(List.of(N), outcome.answers().get(0));
        assertFatal(single(outcome.answers().get(1)), "08P01", "second SSLRequest", null);
        assertFalse(outcome.open());
        exchange.assertSameAtEverySplit(outcome);
    }

    @Test
    void bytesBehindAnSslRequestInTheSameReadAreRefusedWithoutAnAnswerToTheRequest() {
        byte[] startup = startup(PROTOCOL_3_0, "user", "alice");
        Exchange exchange = new Exchange(Setup.plain(NO_SUCH_BRANCH), concat(SSL_REQUEST, startup));
        Outcome outcome = exchange.run();
        assertFatal(
                single(outcome.answers().get(0)),
                "08P01",
                "received unencrypted data after SSLRequest (" + startup.length + " bytes)",
                null);
        assertFalse(outcome.open());
        assertEquals(List.of(), outcome.wakes());
        // (Not split: a cut right behind the SSLRequest is a client that waited for the answer, a different exchange.)
    }

    // ---- protocol versions ---------------------------------------------------------------------------------------

    @Test
    void protocol20IsNotSupported() {
        Exchange exchange = new Exchange(Setup.plain(NO_SUCH_BRANCH), startup(2 << 16, "user", "alice"));
        Outcome outcome = exchange.run();
        assertFatal(
                single(outcome.answers().get(0)),
                "0A000",
                "unsupported frontend protocol 2.0: the proxy supports protocol 3.0 to 3.2",
                null);
        assertFalse(outcome.open());
        assertEquals(List.of(), outcome.wakes());
        exchange.assertSameAtEverySplit(outcome);
    }

    @Test
    void protocol35IsNegotiatedDownTo32BeforeAnythingElse() {
        Exchange exchange = new Exchange(Setup.plain(NO_SUCH_BRANCH), startup(3 << 16 | 5, "user", "alice"));
        Outcome outcome = exchange.run();
        List<String> answers = outcome.answers().get(0);
        assertEquals(2, answers.size(), answers.toString());
        assertNegotiate(answers.get(0), 3 << 16 | 2, List.of());
        assertFatal(
                answers.get(1), "3D000", "branch \"main\" does not exist", "`sprout branch list` shows the branches.");
        exchange.assertSameAtEverySplit(outcome);
    }

    @Test
    void unknownProtocolOptionsAreListedAndTheVersionKept() {
        Exchange exchange =
                new Exchange(Setup.plain(NO_SUCH_BRANCH), startup(PROTOCOL_3_0, "user", "alice", "_pq_.foo", "1"));
        Outcome outcome = exchange.run();
        List<String> answers = outcome.answers().get(0);
        assertEquals(2, answers.size(), answers.toString());
        assertNegotiate(answers.get(0), PROTOCOL_3_0, List.of("_pq_.foo"));
        assertFatal(
                answers.get(1), "3D000", "branch \"main\" does not exist", "`sprout branch list` shows the branches.");
        exchange.assertSameAtEverySplit(outcome);
    }

    @Test
    void aNewerVersionAndSeveralOptionsInOneNegotiation() {
        Exchange exchange = new Exchange(
                Setup.plain(NO_SUCH_BRANCH), startup(3 << 16 | 9, "_pq_.b", "x", "user", "alice", "_pq_.a", "y"));
        Outcome outcome = exchange.run();
        List<String> answers = outcome.answers().get(0);
        assertNegotiate(answers.get(0), 3 << 16 | 2, List.of("_pq_.b", "_pq_.a"));
        assertEquals(2, answers.size());
        exchange.assertSameAtEverySplit(outcome);
    }

    @Test
    void theNegotiationGoesOutEvenWhenTheStartupIsThenRefused() {
        Exchange exchange = new Exchange(Setup.plain(NO_SUCH_BRANCH), startup(3 << 16 | 5, "database", "d"));
        Outcome outcome = exchange.run();
        List<String> answers = outcome.answers().get(0);
        assertEquals(2, answers.size(), answers.toString());
        assertNegotiate(answers.get(0), 3 << 16 | 2, List.of());
        assertFatal(answers.get(1), "28000", "no PostgreSQL user name specified in startup packet", null);
        exchange.assertSameAtEverySplit(outcome);
    }

    // ---- refusals ----------------------------------------------------------------------------------------------

    @Test
    void noUser() {
        for (byte[] startup : List.of(startup(PROTOCOL_3_0, "database", "db"), startup(PROTOCOL_3_0, "user", ""))) {
            Exchange exchange = new Exchange(Setup.plain(NO_SUCH_BRANCH), startup);
            Outcome outcome = exchange.run();
            assertFatal(
                    single(outcome.answers().get(0)),
                    "28000",
                    "no PostgreSQL user name specified in startup packet",
                    null);
            assertFalse(outcome.open());
            assertEquals(List.of(), outcome.wakes());
            assertEquals(0, outcome.admitted());
            exchange.assertSameAtEverySplit(outcome);
        }
    }

    @Test
    void anInvalidBranchNameIsRefusedBeforeTheControlPlaneIsAsked() {
        Exchange exchange = new Exchange(
                Setup.plain(NO_SUCH_BRANCH), startup(PROTOCOL_3_0, "user", "alice", "options", "branch=Bad!"));
        Outcome outcome = exchange.run();
        assertFatal(
                single(outcome.answers().get(0)),
                "42602",
                "invalid branch name \"Bad!\" in the options",
                "A branch name has 1 to 63 lowercase letters, digits, '-', '_' or '/', starting with a letter or digit.");
        assertFalse(outcome.open());
        assertEquals(List.of(), outcome.wakes());
        assertEquals(0, outcome.admitted());
        exchange.assertSameAtEverySplit(outcome);
    }

    @Test
    void twoNamesForTheBranchAreRefused() {
        Exchange exchange = new Exchange(
                Setup.plain(NO_SUCH_BRANCH),
                startup(PROTOCOL_3_0, "user", "alice", "options", "branch=a", "database", "db@b"));
        Outcome outcome = exchange.run();
        assertFatal(
                single(outcome.answers().get(0)),
                "22023",
                "the connection names two branches: \"a\" (options) and \"b\" (database name)",
                "Name the branch in one place only.");
        assertEquals(List.of(), outcome.wakes());
        exchange.assertSameAtEverySplit(outcome);
    }

    @Test
    void aComputeThatCannotStart() {
        Exchange exchange =
                new Exchange(Setup.plain(branch -> new WakeResult.Failed("x")), startup(PROTOCOL_3_0, "user", "alice"));
        Outcome outcome = exchange.run();
        assertFatal(single(outcome.answers().get(0)), "57P03", "the compute of branch \"main\" cannot start: x", null);
        assertFalse(outcome.open());
        assertEquals(List.of("main"), outcome.wakes());
        assertEquals(0, outcome.admitted());
        exchange.assertSameAtEverySplit(outcome);
    }

    @Test
    void tooManyConnections() {
        Setup full = new Setup(
                ProxyConfig.defaults(0, new TlsSettings.Disabled()).withMaxConnections(1),
                Optional.empty(),
                NO_SUCH_BRANCH,
                1);
        Exchange exchange = new Exchange(full, startup(PROTOCOL_3_0, "user", "alice"));
        Outcome outcome = exchange.run();
        assertFatal(
                single(outcome.answers().get(0)),
                "53300",
                "too many connections to the proxy (limit 1)",
                "Close idle connections or raise the proxy's limit.");
        assertFalse(outcome.open());
        assertEquals(List.of(), outcome.wakes());
        assertEquals(1, outcome.admitted(), "a refused connection takes no slot and gives none back");
        exchange.assertSameAtEverySplit(outcome);
    }

    @Test
    void aMalformedPacketIsAnsweredOnceFromItsLengthAlone() {
        // 10001 announced, then a few bytes: the answer comes after the 4 length bytes, and the error is counted once
        // although the decoder sees its bad bytes again when the channel closes.
        Exchange exchange = new Exchange(Setup.plain(NO_SUCH_BRANCH), hex("00002711" + "00030000" + "7573657200"));
        Outcome outcome = exchange.run();
        assertFatal(
                single(outcome.answers().get(0)),
                "08P01",
                "invalid length of startup packet: 10001 bytes (expected: 8 to 10000)",
                null);
        assertFalse(outcome.open());
        assertEquals(Map.of("08P01", 1.0), outcome.errors());
        exchange.assertSameAtEverySplit(outcome);
    }

    @Test
    void aCancelRequestWithAnUnknownKeyIsDroppedSilently() {
        Exchange exchange = new Exchange(Setup.plain(NO_SUCH_BRANCH), cancel(42, hex("01020304")));
        Outcome outcome = exchange.run();
        assertEquals(List.of(List.of()), outcome.answers(), "PostgreSQL answers a CancelRequest with nothing");
        assertFalse(outcome.open());
        assertEquals(Map.of(), outcome.errors());
        exchange.assertSameAtEverySplit(outcome);
    }

    // ---- read demand -------------------------------------------------------------------------------------------

    @Test
    void theClientIsReadFromOnlyWhenTheHandlerAsks() throws Exception {
        Run run = new Run(Setup.plain(NO_SUCH_BRANCH));
        assertEquals(1, run.reads.get(), "channelActive asks for the first read");
        run.write(SSL_REQUEST);
        assertEquals(2, run.reads.get(), "after answering 'N' the handler asks for the StartupMessage");
        run.write(startup(PROTOCOL_3_0, "user", "alice"));
        assertInstanceOf(ConnectionState.Waking.class, run.handler.state());
        assertEquals(2, run.reads.get(), "no read while the compute wakes: the client cannot push bytes meanwhile");
        assertNull(run.channel.pipeline().get(StartupHandler.DECODER), "the decoder is gone once the session starts");
        run.settle();
        assertInstanceOf(ConnectionState.Closed.class, run.handler.state());
        run.close();
    }

    // ---- TLS -----------------------------------------------------------------------------------------------------

    @Test
    void withTlsAnSslRequestIsAnsweredSAndTlsTakesOverThePipeline() throws Exception {
        Run run = new Run(Setup.tls(tls(), NO_SUCH_BRANCH));
        run.write(SSL_REQUEST);
        assertEquals(List.of("53"), run.drain(), "exactly one byte 'S', in the clear");
        assertTrue(run.channel.isOpen());
        assertInstanceOf(SslHandler.class, run.channel.pipeline().first());
        assertEquals(StartupHandler.TLS_HANDLER, run.channel.pipeline().names().getFirst());
        assertEquals(new ConnectionState.TlsHandshake(false), run.handler.state());
        run.close();
    }

    @Test
    void withTlsOnAPlaintextClientStillGetsItsAnswers() throws Exception {
        // The sniffer sees a first byte 0 and steps aside, passing on what it buffered (at every split, too).
        Exchange exchange = new Exchange(Setup.tls(tls(), NO_SUCH_BRANCH), startup(PROTOCOL_3_0, "database", "db"));
        Outcome outcome = exchange.run();
        assertFatal(
                single(outcome.answers().get(0)), "28000", "no PostgreSQL user name specified in startup packet", null);
        assertFalse(outcome.open());
        exchange.assertSameAtEverySplit(outcome);
    }

    @Test
    void directTlsWithGarbageClosesWithoutAPlaintextError() throws Exception {
        SslContext tls = tls();
        // Not a TLS record at all behind the 0x16, and a TLS record header with a garbage handshake in it.
        for (String garbage : List.of("16" + "ffff" + "0005" + "0102030405", "16" + "0301" + "0005" + "0102030405")) {
            Exchange exchange = new Exchange(Setup.tls(tls, NO_SUCH_BRANCH), hex(garbage));
            Outcome outcome = exchange.run();
            assertFalse(outcome.open(), garbage);
            for (String answer : outcome.answers().getFirst()) {
                // Only TLS records may go out (an alert, 0x15); an ErrorResponse would start with 'E' (0x45).
                assertTrue(answer.startsWith("15"), "not a TLS alert: " + answer);
            }
            assertEquals(List.of(), outcome.wakes());
            assertEquals(Map.of(), outcome.errors(), "no SQLSTATE answered for a failed TLS handshake");
        }
    }

    // ---- harness -------------------------------------------------------------------------------------------------

    /** What a connection is made with. */
    record Setup(ProxyConfig config, Optional<SslContext> tls, Endpoints endpoints, int alreadyAdmitted) {
        static Setup plain(Endpoints endpoints) {
            return new Setup(ProxyConfig.defaults(0, new TlsSettings.Disabled()), Optional.empty(), endpoints, 0);
        }

        static Setup tls(SslContext context, Endpoints endpoints) {
            return new Setup(ProxyConfig.defaults(0, new TlsSettings.Disabled()), Optional.of(context), endpoints, 0);
        }
    }

    /**
     * What the server did: its writes (hex, one string per message) after each client turn, whether the connection
     * was open after each turn and at the end, which branches the control plane was asked for, the admitted-connection
     * count at the end, and the errors counted by SQLSTATE.
     */
    record Outcome(
            List<List<String>> answers,
            List<Boolean> openAfterTurn,
            boolean open,
            List<String> wakes,
            int admitted,
            Map<String, Double> errors) {}

    /** A client's turns (each sent only after the server answered the previous one) against a fresh connection. */
    record Exchange(Setup setup, List<byte[]> turns) {
        Exchange(Setup setup, byte[]... turns) {
            this(setup, List.of(turns));
        }

        Outcome run() {
            List<List<byte[]>> whole = new ArrayList<>();
            for (byte[] turn : turns) {
                whole.add(List.of(turn));
            }
            return runPieces(whole);
        }

        /**
         * Every cut of the client's bytes in two (turn boundaries are always cuts: the client waits for the answer to
         * an SSLRequest or GSSENCRequest), then one byte at a time: the same outcome each time.
         */
        void assertSameAtEverySplit(Outcome expected) {
            for (int t = 0; t < turns.size(); t++) {
                byte[] turn = turns.get(t);
                for (int split = 1; split < turn.length; split++) {
                    List<List<byte[]>> pieces = new ArrayList<>();
                    for (int u = 0; u < turns.size(); u++) {
                        byte[] b = turns.get(u);
                        pieces.add(
                                u == t
                                        ? List.of(
                                                java.util.Arrays.copyOfRange(b, 0, split),
                                                java.util.Arrays.copyOfRange(b, split, b.length))
                                        : List.of(b));
                    }
                    assertEquals(expected, runPieces(pieces), "turn " + t + " split at byte " + split);
                }
            }
            List<List<byte[]>> bytes = new ArrayList<>();
            for (byte[] turn : turns) {
                List<byte[]> one = new ArrayList<>();
                for (byte b : turn) {
                    one.add(new byte[] {b});
                }
                bytes.add(one);
            }
            assertEquals(expected, runPieces(bytes), "one byte at a time");
        }

        private Outcome runPieces(List<List<byte[]>> pieces) {
            try (Run run = new Run(setup)) {
                List<List<String>> answers = new ArrayList<>();
                List<Boolean> openAfter = new ArrayList<>();
                for (List<byte[]> turn : pieces) {
                    for (byte[] piece : turn) {
                        if (run.channel.isOpen()) {
                            run.write(piece);
                        }
                    }
                    if (turn == pieces.getLast()) {
                        run.settle();
                    }
                    answers.add(run.drain());
                    openAfter.add(run.channel.isOpen());
                }
                Outcome outcome = new Outcome(
                        answers,
                        openAfter,
                        run.channel.isOpen(),
                        List.copyOf(run.wakes),
                        run.admitted.get(),
                        run.errors());
                for (List<String> turn : answers) {
                    for (String answer : turn) {
                        assertNotEquals(
                                'Z',
                                (char) HexFormat.fromHexDigits(answer, 0, 2),
                                "a ReadyForQuery from the proxy: " + answer);
                    }
                }
                if (!outcome.open()) {
                    assertInstanceOf(ConnectionState.Closed.class, run.handler.state());
                }
                return outcome;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }

    /** One connection: the server's pipeline on an EmbeddedChannel, and what its services saw. */
    static final class Run implements AutoCloseable {
        final AtomicInteger admitted;
        final AtomicInteger reads = new AtomicInteger();
        final ConcurrentLinkedQueue<String> wakes = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Thread> wakeThreads = new ConcurrentLinkedQueue<>();
        final CountDownLatch gate = new CountDownLatch(1);
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        final WakeUp wakeUp;
        final Services services;
        final StartupHandler handler;
        final EmbeddedChannel channel;

        Run(Setup setup) throws Exception {
            this(setup, Optional.empty());
        }

        /** With {@code ticker}, the channel's event loop (and so every timeout of the proxy) runs on that clock. */
        Run(Setup setup, Optional<MockTicker> ticker) throws Exception {
            admitted = new AtomicInteger(setup.alreadyAdmitted());
            wakeUp = new WakeUp(branch -> {
                wakeThreads.add(Thread.currentThread());
                wakes.add(branch);
                gate.await();
                return setup.endpoints().wake(branch);
            });
            services = new Services(
                    setup.config(),
                    setup.tls(),
                    wakeUp,
                    new CancelKeys(),
                    new ProxyMetrics(registry),
                    admitted,
                    NioSocketChannel.class,
                    setup.config().requiresTls());
            handler = new StartupHandler(services);
            channel = ticker.isEmpty()
                    ? new EmbeddedChannel(false, false)
                    : EmbeddedChannel.builder()
                            .register(false)
                            .hasDisconnect(false)
                            .ticker(ticker.get())
                            .build();
            channel.config().setAutoRead(false); // childOption(AUTO_READ, false), as WireProxy.bind sets it
            channel.pipeline().addLast("reads", new ChannelOutboundHandlerAdapter() {
                @Override
                public void read(ChannelHandlerContext ctx) {
                    reads.incrementAndGet();
                    ctx.read();
                }
            });
            setup.tls().ifPresent(t -> channel.pipeline().addLast("tls-sniffer", new TlsSniffer(t)));
            channel.pipeline().addLast(StartupHandler.DECODER, new StartupDecoder());
            channel.pipeline().addLast(StartupHandler.NAME, handler);
            channel.register(); // fires channelActive, as the accepted channel's registration does
        }

        void write(byte[] bytes) {
            channel.writeInbound(Unpooled.wrappedBuffer(bytes));
            channel.checkException();
        }

        /** Lets a wake-up in progress finish and runs what it posted to the channel's event loop. */
        void settle() throws InterruptedException {
            gate.countDown();
            if (!(handler.state() instanceof ConnectionState.Waking)) {
                return;
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (wakeThreads.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    fail("the wake-up never asked the control plane");
                }
                Thread.sleep(1);
            }
            Thread thread = wakeThreads.peek();
            thread.join(5_000);
            assertFalse(thread.isAlive(), "the wake-up did not finish");
            channel.runPendingTasks();
        }

        /** The server's writes so far, one hex string per message (SslHandler's empty flushes are no bytes on the wire). */
        List<String> drain() {
            List<String> out = new ArrayList<>();
            for (Object o; (o = channel.readOutbound()) != null; ) {
                ByteBuf b = (ByteBuf) o;
                if (b.isReadable()) {
                    out.add(ByteBufUtil.hexDump(b));
                }
                b.release();
            }
            return out;
        }

        Map<String, Double> errors() {
            Map<String, Double> errors = new TreeMap<>();
            for (Counter c : registry.find("sprout.proxy.errors").counters()) {
                errors.put(c.getId().getTag("sqlstate"), c.count());
            }
            return errors;
        }

        @Override
        public void close() {
            gate.countDown();
            channel.finishAndReleaseAll();
            wakeUp.close();
        }
    }

    private SslContext tls() {
        return ServerTls.context(new TlsSettings.SelfSigned(tempDir)).orElseThrow();
    }

    // ---- server messages ---------------------------------------------------------------------------------------

    private static String single(List<String> answers) {
        assertEquals(1, answers.size(), "one message: " + answers);
        return answers.getFirst();
    }

    /** An ErrorResponse with exactly the fields S, V, C, M (and H when a hint is expected), severity FATAL. */
    private static void assertFatal(String message, String code, String text, String hint) {
        ByteBuffer b = ByteBuffer.wrap(HexFormat.of().parseHex(message));
        assertEquals('E', (char) b.get(), "ErrorResponse: " + message);
        assertEquals(b.capacity() - 1, b.getInt(), "length field");
        Map<Character, String> fields = new LinkedHashMap<>();
        for (byte type; (type = b.get()) != 0; ) {
            fields.put((char) type, cstring(b));
        }
        assertFalse(b.hasRemaining(), "bytes after the ErrorResponse's terminator");
        Map<Character, String> expected = new LinkedHashMap<>();
        expected.put('S', "FATAL");
        expected.put('V', "FATAL");
        expected.put('C', code);
        expected.put('M', text);
        if (hint != null) {
            expected.put('H', hint);
        }
        assertEquals(expected, fields);
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(fields.keySet()), "field order");
    }

    /**
     * NegotiateProtocolVersion: as PostgreSQL sends it ({@code SendNegotiateProtocolVersion} writes the whole version
     * number, {@code FrontendProtocol}), and as libpq 18 reads it ({@code pqGetNegotiateProtocolVersion3} refuses a
     * value below {@code PG_PROTOCOL(3, 0)} as a "downgrade to pre-3.0").
     */
    private static void assertNegotiate(String message, int version, List<String> unrecognized) {
        ByteBuffer b = ByteBuffer.wrap(HexFormat.of().parseHex(message));
        assertEquals('v', (char) b.get(), "NegotiateProtocolVersion: " + message);
        assertEquals(b.capacity() - 1, b.getInt(), "length field");
        assertEquals(
                Integer.toHexString(version),
                Integer.toHexString(b.getInt()),
                "protocol version (major << 16 | minor)");
        int n = b.getInt();
        List<String> options = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            options.add(cstring(b));
        }
        assertEquals(unrecognized, options);
        assertFalse(b.hasRemaining());
    }

    private static String cstring(ByteBuffer b) {
        int start = b.position();
        while (b.get() != 0) {
            // scan to the NUL
        }
        byte[] bytes = new byte[b.position() - start - 1];
        b.get(start, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
