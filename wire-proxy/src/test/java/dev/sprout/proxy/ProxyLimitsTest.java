package dev.sprout.proxy;

import static dev.sprout.testkit.Sql.queryString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.protocol.tls.TlsSettings;
import dev.sprout.proxy.wake.Endpoints;
import dev.sprout.proxy.wake.WakeResult;
import dev.sprout.testkit.Ports;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Limits, timeouts, wake-up retries and the cancel keys' lifetime, against real computes over real sockets. */
@ExtendWith(ProxyFixture.Resolver.class)
class ProxyLimitsTest {

    private static WireProxy proxy(ProxyConfig config, Endpoints endpoints) {
        return WireProxy.start(config, endpoints, new SimpleMeterRegistry());
    }

    private static WakeResult.Ready main(ProxyFixture fx) {
        return new WakeResult.Ready(new InetSocketAddress("127.0.0.1", fx.main.port()));
    }

    private static Connection connect(WireProxy proxy, String database, String sslmode) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", ProxyFixture.PASSWORD);
        p.setProperty("sslmode", sslmode);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + database, p);
    }

    @Test
    void theConnectionLimitAnswers53300AndFreesItsSlotOnClose(ProxyFixture fx) throws Exception {
        try (WireProxy proxy =
                proxy(ProxyConfig.defaults(0, new TlsSettings.Disabled()).withMaxConnections(1), b -> main(fx))) {
            Connection first = connect(proxy, "postgres", "disable");
            SQLException refused = assertThrows(
                    SQLException.class,
                    () -> connect(proxy, "postgres", "disable").close());
            assertEquals("53300", refused.getSQLState());
            assertTrue(
                    refused.getMessage().contains("too many connections to the proxy (limit 1)"), refused.getMessage());
            first.close();
            awaitSessions(proxy, 0);
            try (Connection again = connect(proxy, "postgres", "disable")) {
                assertEquals("main", queryString(again, "SELECT name FROM marker"));
            }
        }
    }

    @Test
    void wakeUpRetriesAStartingComputeAndAnAddressThatRefusesThenSucceeds(ProxyFixture fx) throws Exception {
        AtomicInteger asked = new AtomicInteger();
        int nobody = Ports.free();
        Endpoints endpoints = branch -> switch (asked.incrementAndGet()) {
            case 1, 2 -> new WakeResult.Starting("compute starting");
            case 3 -> new WakeResult.Ready(new InetSocketAddress("127.0.0.1", nobody)); // suspended again meanwhile
            default -> main(fx);
        };
        try (WireProxy proxy = proxy(ProxyConfig.defaults(0, new TlsSettings.Disabled()), endpoints);
                Connection c = connect(proxy, "postgres", "disable")) {
            assertEquals("main", queryString(c, "SELECT name FROM marker"));
            assertEquals(4, asked.get(), "two 'starting' answers and one refused address were asked again");
        }
    }

    @Test
    void aRunningComputeIsAnsweredAtOnceAndARefusedFastAnswerFallsBackToWake(ProxyFixture fx) throws Exception {
        AtomicInteger woken = new AtomicInteger();
        AtomicInteger asked = new AtomicInteger();
        int nobody = Ports.free();
        Endpoints endpoints = new Endpoints() {
            @Override
            public WakeResult wake(String branch) {
                woken.incrementAndGet();
                return main(fx);
            }

            @Override
            public java.util.Optional<WakeResult> now(String branch) {
                // main: the fast answer; stale: a fast answer whose compute has just gone away
                asked.incrementAndGet();
                return java.util.Optional.of(
                        branch.equals("stale")
                                ? new WakeResult.Ready(new InetSocketAddress("127.0.0.1", nobody))
                                : main(fx));
            }
        };
        try (WireProxy proxy = proxy(ProxyConfig.defaults(0, new TlsSettings.Disabled()), endpoints)) {
            for (int i = 0; i < 3; i++) {
                try (Connection c = connect(proxy, "postgres", "disable")) {
                    assertEquals("main", queryString(c, "SELECT name FROM marker"));
                }
            }
            assertEquals(3, asked.get());
            assertEquals(0, woken.get(), "a running compute needs no wake-up");
            try (Connection c = connect(proxy, "postgres@stale", "disable")) {
                assertEquals("main", queryString(c, "SELECT name FROM marker"));
            }
            assertEquals(4, asked.get(), "the retry after the refused address does not ask the fast path again");
            assertEquals(1, woken.get());
        }
    }

    @Test
    void aComputeThatCannotStartAnswers57P03WithTheReason(ProxyFixture fx) throws Exception {
        Endpoints endpoints = branch -> branch.equals("broken")
                ? new WakeResult.Failed("the pageserver is unreachable")
                : new WakeResult.Starting("still starting");
        ProxyConfig config = ProxyConfig.defaults(0, new TlsSettings.Disabled())
                .withTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ZERO);
        try (WireProxy proxy = proxy(config, endpoints)) {
            SQLException failed = assertThrows(
                    SQLException.class,
                    () -> connect(proxy, "postgres@broken", "disable").close());
            assertEquals("57P03", failed.getSQLState());
            assertTrue(
                    failed.getMessage()
                            .contains("the compute of branch \"broken\" cannot start: the pageserver is unreachable"),
                    failed.getMessage());
            long started = System.nanoTime();
            SQLException slow = assertThrows(
                    SQLException.class,
                    () -> connect(proxy, "postgres@slow", "disable").close());
            assertEquals("57P03", slow.getSQLState());
            assertTrue(slow.getMessage().contains("did not become ready in time: still starting"), slow.getMessage());
            assertTrue(
                    Duration.ofNanos(System.nanoTime() - started).toMillis() < 10_000,
                    "gave up near the 1 s wake timeout");
        }
    }

    @Test
    void loginAndIdleTimeouts(ProxyFixture fx) throws Exception {
        Endpoints endpoints = branch -> branch.equals("slow") ? new WakeResult.Starting("still starting") : main(fx);
        ProxyConfig config = ProxyConfig.defaults(0, new TlsSettings.Disabled())
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(1));
        try (WireProxy proxy = proxy(config, endpoints)) {
            SQLException timedOut = assertThrows(
                    SQLException.class,
                    () -> connect(proxy, "postgres@slow", "disable").close());
            assertEquals("57014", timedOut.getSQLState(), timedOut.getMessage());
            assertTrue(
                    timedOut.getMessage().contains("canceling authentication due to timeout"), timedOut.getMessage());

            // A client that connects and says nothing is closed without a word, as PostgreSQL does.
            try (Socket silent = new Socket("127.0.0.1", proxy.port())) {
                silent.setSoTimeout(10_000);
                assertEquals(-1, silent.getInputStream().read());
            }

            try (Connection idle = connect(proxy, "postgres", "disable")) {
                assertEquals("main", queryString(idle, "SELECT name FROM marker"));
                awaitSessions(
                        proxy, 0); // cut after 1 s without traffic (the edges are ProxyClockTest's, on a mock clock)
                SQLException cut = assertThrows(SQLException.class, () -> queryString(idle, "SELECT 1"));
                assertEquals("57P05", cut.getSQLState(), cut.getMessage());
                assertTrue(
                        cut.getMessage().contains("terminating connection due to idle-session timeout"),
                        cut.getMessage());
            }
        }
    }

    @Test
    void cancelKeysLiveExactlyAsLongAsTheirSession(ProxyFixture fx) throws Exception {
        Connection c = fx.viaProxy("postgres");
        assertTrue(fx.proxy.cancelKeys() >= 1);
        c.close();
        awaitSessions(fx.proxy, 0);
        assertEquals(0, fx.proxy.cancelKeys(), "a closed session's key is forgotten");
        double before = count(fx, "unknown_key");
        try (Socket s = new Socket("127.0.0.1", fx.proxy.port())) {
            s.getOutputStream()
                    .write(ByteBuffer.allocate(16)
                            .putInt(16)
                            .putInt(80877102)
                            .putInt(42)
                            .putInt(7)
                            .array());
            s.setSoTimeout(10_000);
            assertEquals(-1, s.getInputStream().read(), "a CancelRequest gets no answer; the proxy closes");
        }
        assertEquals(before + 1, count(fx, "unknown_key"));
    }

    private static double count(ProxyFixture fx, String outcome) {
        var counter =
                fx.registry.find("sprout.proxy.cancels").tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void directTlsWithAlpnWorksAndWithoutAlpnIsRefused(ProxyFixture fx) throws Exception {
        Properties direct = new Properties();
        direct.setProperty("sslNegotiation", "direct"); // PostgreSQL 17's TLS without SSLRequest; pgjdbc sends ALPN
        direct.setProperty("sslmode", "require");
        try (Connection c = fx.viaProxy("postgres@feature", direct)) {
            assertEquals("feature", queryString(c, "SELECT name FROM marker"));
        }

        SSLContext trustAll = SSLContext.getInstance("TLS");
        trustAll.init(
                null,
                new TrustManager[] {
                    new X509TrustManager() {
                        @Override
                        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

                        @Override
                        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

                        @Override
                        public X509Certificate[] getAcceptedIssuers() {
                            return new X509Certificate[0];
                        }
                    }
                },
                null);
        try (SSLSocket s = (SSLSocket) trustAll.getSocketFactory().createSocket("127.0.0.1", fx.proxy.port())) {
            s.setSoTimeout(10_000);
            s.startHandshake(); // no ALPN offered
            String error = readError(s.getInputStream());
            assertTrue(error.contains("C08P01"), error);
            assertTrue(error.contains("direct TLS connection without the ALPN protocol \"postgresql\""), error);
        }
    }

    /** Reads one ErrorResponse and returns its fields as "Xvalue" joined by '|'. */
    static String readError(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        int type = d.read();
        if (type != 'E') {
            throw new EOFException("expected an ErrorResponse, got " + type);
        }
        byte[] body = new byte[d.readInt() - 4];
        d.readFully(body);
        return new String(body, StandardCharsets.UTF_8).replace('\0', '|');
    }

    private static void awaitSessions(WireProxy proxy, int n) throws InterruptedException {
        for (int i = 0; i < 200 && proxy.sessions() != n; i++) {
            Thread.sleep(25);
        }
        assertEquals(n, proxy.sessions());
    }
}
