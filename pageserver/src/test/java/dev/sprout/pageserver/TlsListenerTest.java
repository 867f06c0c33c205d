package dev.sprout.pageserver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.http.client.ApiClient;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.pageserver.config.PageserverTls;
import dev.sprout.protocol.client.AttachMode;
import dev.sprout.protocol.client.ClientOptions;
import dev.sprout.protocol.client.ConnectionLostException;
import dev.sprout.protocol.client.PageClient;
import dev.sprout.protocol.client.PageSession;
import dev.sprout.protocol.tls.SelfSignedCertificate;
import dev.sprout.protocol.tls.TlsSettings;
import dev.sprout.protocol.v1.Ping;
import dev.sprout.protocol.v1.Request;
import dev.sprout.protocol.v1.TimelineList;
import dev.sprout.storage.timeline.TimelineId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page service and the HTTP API on TLS, against a real pageserver over real sockets: plaintext is refused on both
 * ports (closed, nothing answered in the clear), a client that trusts the pageserver's certificate works, one that
 * trusts another certificate is refused with a sentence naming the handshake, and an address that is not loopback
 * takes TLS.
 */
class TlsListenerTest {
    /** TLS content type 21: an alert record. The only bytes a TLS listener may send a plaintext client. */
    private static final int TLS_ALERT = 0x15;

    @TempDir
    Path dir;

    private Pageserver startSelfSigned(String address) {
        PageserverConfig config = PageserverConfig.defaults(dir.resolve("pages"))
                .withEphemeralPorts()
                .withListen(
                        address,
                        new TlsSettings.SelfSigned(PageserverConfig.selfSignedDirectory(dir.resolve("pages"))));
        return Pageserver.start(config);
    }

    @Test
    void theSelfSignedCertificateIsMadeOnceKeptPrivateAndTrustedByItsClients() throws Exception {
        byte[] first;
        TimelineId timeline = TimelineId.random();
        try (Pageserver server = startSelfSigned("127.0.0.1")) {
            Path cert = server.tlsCertificate().orElseThrow();
            Path tls = dir.resolve("pages").resolve("tls");
            assertEquals(tls.resolve(PageserverTls.CERTIFICATE_FILE), cert);
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tls)));
            assertEquals(
                    "rw-------",
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(tls.resolve(PageserverTls.KEY_FILE))));
            first = Files.readAllBytes(cert);
            server.store().createRoot(timeline, 0, 0);

            // The page service: ping, and a session opened with the timeline's credential, over TLS.
            try (PageClient client = PageClient.connect(ClientOptions.defaults("127.0.0.1", server.pagePort())
                    .withCredential(server.credentials().forTimeline(timeline.toString()))
                    .withTls(cert))) {
                assertEquals(server.store().lastLsn(), client.ping().join());
                PageSession session = client.attach(timeline.toString(), AttachMode.takeOver())
                        .join();
                assertEquals(timeline.toString(), session.timelineId());
            }
            // By name: the certificate names localhost too.
            try (PageClient byName = PageClient.connect(
                    ClientOptions.defaults("localhost", server.pagePort()).withTls(cert))) {
                assertEquals(server.store().lastLsn(), byName.ping().join());
            }

            // The HTTP API over https with the admin token.
            try (ApiClient api = new ApiClient(
                    "localhost",
                    server.httpPort(),
                    Optional.of(server.credentials().admin().value()),
                    Optional.of(cert))) {
                assertEquals("https", api.scheme());
                TimelineList list =
                        api.get("/v1/timelines", TimelineList.newBuilder()).build();
                assertEquals(1, list.getTimelinesCount(), list.toString());
                assertEquals(timeline.toString(), list.getTimelines(0).getTimelineId());
            }
        }
        // A restart keeps the certificate: a client that pinned it still trusts the server.
        try (Pageserver again = startSelfSigned("127.0.0.1")) {
            assertArrayEquals(first, Files.readAllBytes(again.tlsCertificate().orElseThrow()));
        }
    }

    @Test
    void aSessionSurvivesARestartOverTlsTheReconnectRedoingTheHandshake() throws Exception {
        Pageserver server = startSelfSigned("127.0.0.1");
        int pagePort = server.pagePort();
        int httpPort = server.httpPort();
        TimelineId timeline = TimelineId.random();
        server.store().createRoot(timeline, 0, 0);
        Path cert = server.tlsCertificate().orElseThrow();
        try (PageClient client = PageClient.connect(ClientOptions.defaults("127.0.0.1", pagePort)
                .withCredential(server.credentials().forTimeline(timeline.toString()))
                .withMaxReconnectTime(java.time.Duration.ofSeconds(30))
                .withTls(cert))) {
            PageSession session =
                    client.attach(timeline.toString(), AttachMode.takeOver()).join();
            long file = session.create("/f", 0600, 0, 0).join().fileId();
            server.close();
            server = Pageserver.start(PageserverConfig.defaults(dir.resolve("pages"))
                    .withPorts(pagePort, httpPort)
                    .withListen(
                            "127.0.0.1",
                            new TlsSettings.SelfSigned(PageserverConfig.selfSignedDirectory(dir.resolve("pages")))));
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
            long lsn;
            while (true) { // the first call after the restart may fail: it was in flight as the link broke
                try {
                    lsn = session.create("/g", 0600, 0, 0).join().lsn();
                    break;
                } catch (java.util.concurrent.CompletionException e) {
                    if (!(e.getCause() instanceof ConnectionLostException) || System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(50);
                }
            }
            assertTrue(lsn > 0 && file > 0, "re-attached over TLS and committed at " + lsn);
        } finally {
            server.close();
        }
    }

    @Test
    void aTlsListenerClosesAPlaintextConnectionWithoutAnsweringIt() throws Exception {
        try (Pageserver server = startSelfSigned("127.0.0.1")) {
            // A well-formed HTTP request: a plaintext server would answer 401 (or 200 for /healthz).
            byte[] http = answer(
                    server.httpPort(),
                    "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertNotPlaintext(http);
            assertFalse(new String(http, StandardCharsets.ISO_8859_1).contains("HTTP/1.1"));

            // A well-formed Ping frame: a plaintext page service would answer a Pong.
            ByteArrayOutputStream ping = new ByteArrayOutputStream();
            Request.newBuilder()
                    .setId(1)
                    .setPing(Ping.getDefaultInstance())
                    .build()
                    .writeDelimitedTo(ping);
            assertNotPlaintext(answer(server.pagePort(), ping.toByteArray()));

            // The Java clients without TLS get no answer either.
            try (ApiClient plain = new ApiClient(
                    "127.0.0.1",
                    server.httpPort(),
                    Optional.of(server.credentials().admin().value()))) {
                assertThrows(ApiClient.Unreachable.class, () -> plain.get("/v1/timelines"));
            }
        }
    }

    @Test
    void aClientThatTrustsAnotherCertificateIsRefusedWithASentence() throws Exception {
        Path other = SelfSignedCertificate.inDirectory(
                        dir.resolve("other"),
                        new SelfSignedCertificate.Subject(
                                "other.crt",
                                "other.key",
                                "not the pageserver",
                                List.of("localhost"),
                                List.of(InetAddress.getLoopbackAddress())))
                .certificateChain();
        try (Pageserver server = startSelfSigned("127.0.0.1")) {
            ConnectionLostException pages = assertThrows(
                    ConnectionLostException.class,
                    () -> PageClient.connect(ClientOptions.defaults("127.0.0.1", server.pagePort())
                                    .withTls(other))
                            .close());
            assertTrue(
                    pages.getMessage()
                            .startsWith("TLS handshake with 127.0.0.1:" + server.pagePort()
                                    + " failed: its certificate is not signed by the trust anchor " + other),
                    pages.getMessage());

            try (ApiClient api = new ApiClient(
                    "localhost",
                    server.httpPort(),
                    Optional.of(server.credentials().admin().value()),
                    Optional.of(other))) {
                ApiClient.Unreachable http = assertThrows(ApiClient.Unreachable.class, () -> api.get("/v1/timelines"));
                assertTrue(
                        http.getMessage()
                                .startsWith("TLS handshake with localhost:" + server.httpPort()
                                        + " failed: its certificate is not signed by the trust anchor " + other),
                        http.getMessage());
            }
        }
    }

    @Test
    void aClientChecksTheCertificateNamesTheHostItConnectedTo() throws Exception {
        // A certificate that the client trusts but that names another host: refused all the same.
        Path elsewhere = SelfSignedCertificate.inDirectory(
                        dir.resolve("elsewhere"),
                        new SelfSignedCertificate.Subject(
                                "e.crt", "e.key", "elsewhere", List.of("elsewhere.example"), List.of()))
                .certificateChain();
        PageserverConfig config = PageserverConfig.defaults(dir.resolve("pages"))
                .withEphemeralPorts()
                .withListen(
                        "127.0.0.1",
                        new TlsSettings.Files(
                                elsewhere, dir.resolve("elsewhere").resolve("e.key")));
        try (Pageserver server = Pageserver.start(config)) {
            ConnectionLostException e = assertThrows(
                    ConnectionLostException.class,
                    () -> PageClient.connect(ClientOptions.defaults("127.0.0.1", server.pagePort())
                                    .withTls(elsewhere))
                            .close());
            assertTrue(e.getMessage().contains("its certificate does not name the host connected to"), e.getMessage());
        }
    }

    @Test
    void anAddressThatIsNotLoopbackIsRefusedWithoutTlsAndServedWithIt() throws Exception {
        PageserverConfig loopback = PageserverConfig.defaults(dir.resolve("pages"));
        for (String address : new String[] {"0.0.0.0", "::"}) {
            IllegalArgumentException refused = assertThrows(
                    IllegalArgumentException.class, () -> loopback.withListen(address, new TlsSettings.Disabled()));
            assertEquals(
                    "refusing to listen on " + address + " without TLS: it is not a loopback address, and the HTTP"
                            + " API and the page service would carry tokens, credentials and pages in the clear to"
                            + " the network; add --tls-self-signed, or --tls-cert FILE --tls-key FILE, or listen on"
                            + " 127.0.0.1",
                    refused.getMessage());
        }
        // Loopback stays as it was: TLS optional.
        assertEquals(
                "127.0.0.2",
                loopback.withListen("127.0.0.2", new TlsSettings.Disabled()).bindAddress());
        assertEquals(
                "localhost",
                loopback.withListen("localhost", new TlsSettings.Disabled()).bindAddress());
        assertFalse(Files.exists(dir.resolve("pages")), "nothing was started or made");

        Optional<InetAddress> own = ownAddress();
        if (own.isEmpty()) {
            return; // no interface but loopback here: the refusal above is the whole test
        }
        String address = own.get().getHostAddress();
        assertThrows(IllegalArgumentException.class, () -> loopback.withListen(address, new TlsSettings.Disabled()));
        try (Pageserver server = startSelfSigned(address)) {
            Path cert = server.tlsCertificate().orElseThrow();
            try (PageClient client = PageClient.connect(
                    ClientOptions.defaults(address, server.pagePort()).withTls(cert))) {
                assertEquals(server.store().lastLsn(), client.ping().join());
            }
            assertNotPlaintext(answer(
                    address, server.httpPort(), "GET /healthz HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        }
    }

    /** The machine's own IPv4 address on an interface that is up and not loopback, if it has one. */
    static Optional<InetAddress> ownAddress() throws SocketException {
        for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
            if (nic.isUp() && !nic.isLoopback()) {
                Optional<InetAddress> a = nic.inetAddresses()
                        .filter(Inet4Address.class::isInstance)
                        .findFirst();
                if (a.isPresent()) {
                    return a;
                }
            }
        }
        return Optional.empty();
    }

    private static byte[] answer(int port, byte[] request) throws IOException {
        return answer("127.0.0.1", port, request);
    }

    /** Sends {@code request} in plaintext and reads what comes back until the server closes the connection. */
    private static byte[] answer(String host, int port, byte[] request) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 5_000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            try {
                return in.readAllBytes(); // returns at the server's close
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the TLS listener kept a plaintext connection open for 10 s", e);
            } catch (SocketException e) {
                return new byte[0]; // reset: closed all the same
            }
        }
    }

    /** Nothing, or a TLS alert record: never an answer in the clear. */
    private static void assertNotPlaintext(byte[] answer) {
        assertTrue(
                answer.length == 0 || (answer[0] & 0xff) == TLS_ALERT,
                "a TLS listener answered plaintext with " + answer.length + " bytes: "
                        + new String(answer, StandardCharsets.ISO_8859_1));
    }
}
