package dev.sprout.proxy.startup;

import static dev.sprout.proxy.startup.StartupDecoderTest.hex;
import static dev.sprout.proxy.startup.StartupDecoderTest.startup;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.protocol.tls.TlsSettings;
import dev.sprout.proxy.ProxyConfig;
import dev.sprout.proxy.cancel.CancelKey;
import dev.sprout.proxy.cancel.CancelKeys;
import dev.sprout.proxy.route.Route;
import dev.sprout.proxy.startup.ConnectionState.Admission;
import dev.sprout.proxy.startup.ConnectionState.Authenticating;
import dev.sprout.proxy.startup.ConnectionState.Relaying;
import dev.sprout.proxy.startup.StartupHandlerTest.Run;
import dev.sprout.proxy.startup.StartupHandlerTest.Setup;
import dev.sprout.proxy.wake.Deadline;
import dev.sprout.proxy.wake.Endpoints;
import dev.sprout.proxy.wake.WakeResult;
import io.micrometer.core.instrument.Timer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The proxy's timeouts on a clock the test moves: the connection's event loop runs on a {@link MockTicker}, and so
 * do the login timer, the idle timeout, the wake-up's deadline and its backoff sleeps, and the handshake and wake-up
 * timings. Each timeout is checked at its exact edge (one millisecond before: nothing; at it: the answer), without
 * waiting for wall time.
 */
class ProxyClockTest {
    private static final int PROTOCOL_3_0 = 3 << 16;
    private static final Endpoints STARTING = branch -> new WakeResult.Starting("still starting");

    private static Setup setup(Duration login, Duration wake, Duration idle, Endpoints endpoints) {
        return new Setup(
                ProxyConfig.defaults(0, new TlsSettings.Disabled()).withTimeouts(login, wake, idle),
                Optional.empty(),
                endpoints,
                0);
    }

    private static void advance(MockTicker ticker, Run run, long millis) {
        ticker.advance(millis, TimeUnit.MILLISECONDS);
        run.channel.runPendingTasks(); // due scheduled tasks too
    }

    @Test
    void aClientThatSaysNothingIsClosedWithoutAWordAtTheLoginTimeout() throws Exception {
        MockTicker ticker = Ticker.newMockTicker();
        try (Run run = new Run(
                setup(Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ZERO, STARTING), Optional.of(ticker))) {
            advance(ticker, run, 59_999);
            assertTrue(run.channel.isOpen(), "open until the login timeout");
            advance(ticker, run, 1);
            assertFalse(run.channel.isOpen(), "closed at the login timeout");
            assertEquals(
                    List.of(), run.drain(), "as PostgreSQL: no answer to a client that never sent its startup packet");
            assertEquals(Map.of("57014", 1.0), run.errors());
            assertInstanceOf(ConnectionState.Closed.class, run.handler.state());
        }
    }

    @Test
    void theLoginTimeoutCutsAWakeUpThatTakesLonger() throws Exception {
        MockTicker ticker = Ticker.newMockTicker();
        try (Run run = new Run(
                setup(Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ZERO, STARTING), Optional.of(ticker))) {
            run.write(startup(PROTOCOL_3_0, "user", "alice", "database", "db@slow"));
            run.gate.countDown(); // the wake-up asks, hears "starting", and sleeps on the mock clock
            assertInstanceOf(ConnectionState.Waking.class, run.handler.state());
            advance(ticker, run, 999);
            assertTrue(run.channel.isOpen());
            assertEquals(List.of(), run.drain());
            advance(ticker, run, 1);
            List<String> answers = run.drain();
            assertEquals(1, answers.size(), answers.toString());
            assertFatal(answers.getFirst(), "57014", "canceling authentication due to timeout (login timeout 1 s)");
            assertFalse(run.channel.isOpen());
            assertEquals(0, run.admitted.get(), "the slot is given back");
            assertEquals(Map.of("57014", 1.0), run.errors());
        }
    }

    @Test
    void aComputeStillStartingAtTheWakeTimeoutIsAnswered57P03() throws Exception {
        MockTicker ticker = Ticker.newMockTicker();
        try (Run run = new Run(
                setup(Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ZERO, STARTING), Optional.of(ticker))) {
            run.write(startup(PROTOCOL_3_0, "user", "alice", "database", "db@slow"));
            run.gate.countDown();
            Thread wake = awaitWakeThread(run);
            // The wake-up backs off 25, 50, 100 ms ... on the mock clock: move it until the deadline has passed.
            long moved = 0;
            while (wake.isAlive() && moved < 5_000) {
                ticker.advance(100, TimeUnit.MILLISECONDS);
                moved += 100;
                wake.join(20);
            }
            wake.join(5_000);
            assertFalse(wake.isAlive(), "the wake-up gave up");
            assertTrue(moved >= 1_000 && moved <= 1_200, "gave up at the 1 s wake timeout, after " + moved + " ms");
            run.channel.runPendingTasks(); // the wake-up's answer, posted to the event loop
            List<String> answers = run.drain();
            assertEquals(1, answers.size(), answers.toString());
            assertFatal(
                    answers.getFirst(),
                    "57P03",
                    "the compute of branch \"slow\" did not become ready in time: still starting",
                    "Try again in a moment.");
            Timer failed = run.registry
                    .find("sprout.proxy.wakeup")
                    .tag("outcome", "failed")
                    .timer();
            assertNotNull(failed);
            assertEquals(
                    moved, (long) failed.totalTime(TimeUnit.MILLISECONDS), "the wake-up is timed on the mock clock");
            assertEquals(Map.of("57P03", 1.0), run.errors());
        }
    }

    /**
     * The relay stage without a compute process: the compute is an EmbeddedChannel, the connection is put in
     * Authenticating by hand, and the stage is driven as the compute's {@code BackendStartupDecoder} drives it.
     */
    @Test
    void theRelayStageIssuesTheKeyEndsTheLoginAndCutsAnIdleSession() throws Exception {
        MockTicker ticker = Ticker.newMockTicker();
        try (Run run = new Run(
                setup(Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(10), STARTING),
                Optional.of(ticker))) {
            EmbeddedChannel compute = new EmbeddedChannel();
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", 5432);
            assertTrue(run.services.admit());
            Admission admission = new Admission(
                    Route.of(Map.of("user", "alice"), Optional.empty(), "localhost"),
                    2,
                    Deadline.after(ticker, Duration.ofSeconds(30)));
            run.channel.pipeline().remove(StartupHandler.DECODER); // as the compute stage does when it starts
            run.handler.enter(new Authenticating(admission, compute, address, Optional.empty()));
            ChannelHandlerContext ctx = run.channel.pipeline().context(StartupHandler.NAME);
            RelayStage relay = run.handler.relayStage(ctx);

            CancelKey computeKey = new CancelKey(4242, hex("01020304"));
            CancelKey first = relay.keyFromCompute(computeKey);
            CancelKey issued = relay.keyFromCompute(computeKey);
            assertNotEquals(first, issued);
            assertEquals(32, issued.secret().length, "a protocol 3.2 client gets a long secret");
            assertEquals(
                    Optional.empty(), run.services.cancelKeys().find(first), "a key sent again replaces the first");
            assertEquals(
                    Optional.of(new CancelKeys.Target(address, computeKey, "main")),
                    run.services.cancelKeys().find(issued));

            advance(ticker, run, 250);
            relay.ready();
            assertEquals(new Relaying(admission, compute, Optional.of(issued)), run.handler.state());
            Timer handshake = run.registry.find("sprout.proxy.handshake").timer();
            assertEquals(
                    250,
                    (long) handshake.totalTime(TimeUnit.MILLISECONDS),
                    "accept to ReadyForQuery, on the mock clock");
            assertEquals(
                    List.of("idle", StartupHandler.NAME),
                    run.channel
                            .pipeline()
                            .names()
                            .subList(
                                    run.channel.pipeline().names().indexOf("idle"),
                                    run.channel.pipeline().names().indexOf(StartupHandler.NAME) + 1));
            assertInstanceOf(IdleStateHandler.class, run.channel.pipeline().get("idle"));

            advance(ticker, run, 5_000); // past the 1 s login timeout: nothing happens to a session past ReadyForQuery
            assertTrue(run.channel.isOpen());
            run.channel.writeInbound(Unpooled.copiedBuffer("Q", StandardCharsets.US_ASCII)); // traffic at 5.25 s
            advance(ticker, run, 9_999);
            assertTrue(run.channel.isOpen(), "idle for 9.999 s");
            assertEquals(List.of(), run.drain());
            advance(ticker, run, 1);
            List<String> answers = run.drain();
            assertEquals(1, answers.size(), answers.toString());
            assertFatal(
                    answers.getFirst(),
                    "57P05",
                    "terminating connection due to idle-session timeout (10 s without traffic)");
            assertFalse(run.channel.isOpen());
            assertFalse(compute.isOpen(), "the compute connection is closed with the session");
            assertEquals(0, run.services.cancelKeys().size(), "the session's key is forgotten");
            assertEquals(0, run.admitted.get());
            assertEquals(Map.of("57P05", 1.0), run.errors());
            compute.finishAndReleaseAll();
        }
    }

    private static Thread awaitWakeThread(Run run) throws InterruptedException {
        for (int i = 0; i < 5_000 && run.wakeThreads.isEmpty(); i++) {
            Thread.sleep(1);
        }
        Thread thread = run.wakeThreads.peek();
        assertNotNull(thread, "the wake-up never asked the control plane");
        return thread;
    }

    private static void assertFatal(String message, String code, String text) {
        assertFatal(message, code, text, null);
    }

    /** An ErrorResponse with severity FATAL, this SQLSTATE, message and (when not null) hint. */
    private static void assertFatal(String message, String code, String text, String hint) {
        ByteBuf b = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(message));
        assertEquals('E', (char) b.readByte());
        int length = b.readInt();
        assertEquals(length - 4, b.readableBytes(), "length field");
        String fields = b.toString(StandardCharsets.UTF_8);
        String expected =
                "SFATAL\0VFATAL\0C" + code + "\0M" + text + "\0" + (hint == null ? "" : "H" + hint + "\0") + "\0";
        assertEquals(expected, fields);
    }
}
