package dev.sprout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.node.SproutNode;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.pageserver.config.PageserverTls;
import dev.sprout.protocol.tls.SelfSignedCertificate;
import dev.sprout.protocol.tls.TlsSettings;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `sprout up --listen` and `sprout pageserver --listen`: an address that is not loopback without TLS is a usage error
 * that starts nothing; with {@code --tls-self-signed} the CLI's commands and main's compute work over TLS, and
 * plaintext is refused.
 */
class ListenTest {
    /** A start that wrongly succeeded would wait for Ctrl-C; fail instead. */
    private static final Duration REFUSAL = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    private static String refusal(String address) {
        return "refusing to listen on " + address + " without TLS: it is not a loopback address, and the HTTP API and"
                + " the page service would carry tokens, credentials and pages in the clear to the network; add"
                + " --tls-self-signed, or --tls-cert FILE --tls-key FILE, or listen on 127.0.0.1";
    }

    @Test
    void anAddressThatIsNotLoopbackWithoutTlsIsAUsageErrorThatStartsNothing() throws Exception {
        List<String> addresses = new java.util.ArrayList<>(List.of("0.0.0.0"));
        ownAddress().ifPresent(a -> addresses.add(a.getHostAddress()));
        for (String address : addresses) {
            Path data = dir.resolve("up-" + address.replace(':', '_'));
            Cli.Result up = assertTimeoutPreemptively(
                    REFUSAL,
                    () -> Cli.sprout(
                            "up",
                            "--data-dir",
                            data.toString(),
                            "--listen",
                            address,
                            "--page-port",
                            "0",
                            "--http-port",
                            "0",
                            "--pg-port",
                            "0"));
            assertEquals(2, up.exit(), up.toString());
            assertTrue(up.err().startsWith(refusal(address) + "\nUsage: sprout up"), up.toString());
            assertFalse(Files.exists(data), "nothing was made: " + data);

            Path pages = dir.resolve("pageserver-" + address.replace(':', '_'));
            Cli.Result pageserver = assertTimeoutPreemptively(
                    REFUSAL,
                    () -> Cli.sprout(
                            "pageserver",
                            "--data-dir",
                            pages.toString(),
                            "--listen",
                            address,
                            "--page-port",
                            "0",
                            "--http-port",
                            "0"));
            assertEquals(2, pageserver.exit(), pageserver.toString());
            assertTrue(
                    pageserver.err().startsWith(refusal(address) + "\nRun a standalone pageserver"),
                    pageserver.toString());
            assertFalse(Files.exists(pages), "nothing was made: " + pages);
        }

        Cli.Result half = assertTimeoutPreemptively(
                REFUSAL,
                () -> Cli.sprout(
                        "up",
                        "--data-dir",
                        dir.resolve("half").toString(),
                        "--listen",
                        "0.0.0.0",
                        "--tls-cert",
                        dir.resolve("x.crt").toString()));
        assertEquals(2, half.exit(), half.toString());
        assertTrue(
                half.err()
                        .startsWith("--tls-cert and --tls-key go together: give both, the certificate chain"
                                + " and its private key (PEM)\n"),
                half.toString());
        assertFalse(Files.exists(dir.resolve("half")));
    }

    @Test
    void upsTlsFlagsMakeTheListenerSettings() {
        picocli.CommandLine.Model.CommandSpec spec = new picocli.CommandLine(new UpCommand()).getCommandSpec();
        Path data = dir.resolve("data");
        assertEquals(
                new LocalStack.Listen(
                        "0.0.0.0",
                        new TlsSettings.SelfSigned(
                                data.toAbsolutePath().resolve("pages").resolve("tls"))),
                UpCommand.listen(spec, data, "0.0.0.0", null, null, true));
        assertEquals(
                new LocalStack.Listen("0.0.0.0", new TlsSettings.Files(Path.of("c.pem"), Path.of("k.pem"))),
                UpCommand.listen(spec, data, "0.0.0.0", Path.of("c.pem"), Path.of("k.pem"), false));
        assertEquals(LocalStack.Listen.LOOPBACK, UpCommand.listen(spec, data, "127.0.0.1", null, null, false));
        assertThrows(
                picocli.CommandLine.ParameterException.class,
                () -> UpCommand.listen(spec, data, "0.0.0.0", Path.of("c.pem"), null, true));
        assertFalse(Files.exists(data), "deciding makes nothing");
    }

    @Test
    void upWithASelfSignedCertificateServesTheCliAndMainsComputeOverTls() throws Exception {
        // Beyond loopback when this machine has an address of its own; else loopback with TLS.
        String address = ownAddress().map(InetAddress::getHostAddress).orElse("127.0.0.1");
        Path data = dir.resolve("tls");
        Path tlsDir = PageserverConfig.selfSignedDirectory(data.resolve(SproutNode.PAGES));
        LocalStack.Listen listen = new LocalStack.Listen(address, new TlsSettings.SelfSigned(tlsDir));
        try (LocalStack up = LocalStack.startWithCompute(data, 0, 0, 0, listen, Clock.systemUTC())) {
            Path cert = up.tlsCertificate().orElseThrow();
            assertEquals(tlsDir.resolve(PageserverTls.CERTIFICATE_FILE), cert);
            assertEquals(
                    List.of("host=" + address, "tls-ca=" + cert),
                    Files.readAllLines(LocalStack.apiFile(data), StandardCharsets.UTF_8).stream()
                            .filter(l -> !l.startsWith("#"))
                            .toList());
            String http = "" + up.httpPort();

            // The CLI finds the address and the certificate in the data directory and speaks https.
            Cli.Result list = Cli.sprout("branch", "list", "--http-port", http, "--data-dir", data.toString());
            assertEquals(0, list.exit(), list.toString());
            assertTrue(list.out().contains("main"), list.toString());
            Cli.Result created =
                    Cli.sprout("branch", "create", "feature-x", "--http-port", http, "--data-dir", data.toString());
            assertEquals(0, created.exit(), created.toString());
            Cli.Result status = Cli.sprout("status", "--http-port", http, "--data-dir", data.toString());
            assertEquals(0, status.exit(), status.toString());
            assertTrue(status.out().startsWith("Sprout is up on " + address + ":" + http + " (TLS): "), status.out());

            // main's compute reads and writes its pages through the TLS page service (it takes nothing else).
            String url = up.connectionString().orElseThrow();
            assertTrue(
                    url.contains("@" + address + ":" + up.proxy().orElseThrow().port() + "/"), url);
            try (Connection c = DriverManager.getConnection(
                    "jdbc:postgresql://" + address + ":"
                            + up.proxy().orElseThrow().port() + "/postgres?sslmode=require",
                    "postgres",
                    LocalStack.password(data))) {
                c.createStatement().execute("CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g");
                c.createStatement().execute("CHECKPOINT");
                try (ResultSet rs = c.createStatement().executeQuery("SELECT sum(g) FROM t")) {
                    assertTrue(rs.next());
                    assertEquals(500500, rs.getLong(1));
                }
            }
            // Beyond loopback the proxy takes PostgreSQL clients over TLS only.
            java.sql.SQLException clear = assertThrows(
                    java.sql.SQLException.class,
                    () -> DriverManager.getConnection(
                            "jdbc:postgresql://" + address + ":"
                                    + up.proxy().orElseThrow().port() + "/postgres?sslmode=disable",
                            "postgres",
                            LocalStack.password(data)));
            assertEquals("28000", clear.getSQLState(), clear.getMessage());
            assertTrue(clear.getMessage().contains("over TLS only"), clear.getMessage());

            // Plaintext on the API is refused: no answer in the clear.
            IOException plain =
                    assertThrows(IOException.class, () -> Cli.getWithoutToken(address, up.httpPort(), "/healthz"));
            // (a plaintext server answers /healthz 200 without a token; this one closes the connection unanswered)
            assertTrue(String.valueOf(plain.getMessage()).contains("received no bytes"), plain.toString());

            // The CLI of a data directory that does not say TLS: no answer, and a hint at why.
            Path stale = Files.createDirectories(dir.resolve("stale"));
            Files.writeString(LocalStack.apiFile(stale), "host=" + address + "\n");
            SproutException plaintext = assertThrows(
                    SproutException.class,
                    () -> new ManagementClient(up.httpPort(), stale, Optional.of("t"), Optional.empty())
                            .get("/v1/branches"));
            assertTrue(
                    plaintext
                            .getMessage()
                            .endsWith("(if that Sprout speaks TLS, this data directory's api.properties does not say"
                                    + " so: --data-dir, or set $SPROUT_TLS_CA)"),
                    plaintext.getMessage());

            // A client that trusts another certificate is refused, and says why.
            Path other = SelfSignedCertificate.inDirectory(
                            dir.resolve("other"),
                            new SelfSignedCertificate.Subject(
                                    "o.crt",
                                    "o.key",
                                    "other",
                                    List.of("localhost"),
                                    List.of(InetAddress.getByName(address))))
                    .certificateChain();
            SproutException refused = assertThrows(
                    SproutException.class,
                    () -> new ManagementClient(up.httpPort(), data, Optional.empty(), Optional.of(other))
                            .get("/v1/branches"));
            assertTrue(
                    refused.getMessage()
                            .startsWith("TLS handshake with " + address + ":" + http
                                    + " failed: its certificate is not signed by the trust anchor " + other),
                    refused.getMessage());
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
}
