package dev.sprout.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.protocol.tls.TlsSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The pageserver's settings: flags, a properties file under them, defaults under both, sentences for bad values. */
class PageserverMainTest {
    @TempDir
    Path dir;

    private static PageserverConfig parse(String... args) {
        CommandLine cmd = PageserverMain.commandLine(args);
        cmd.parseArgs(args);
        return ((PageserverMain) cmd.getCommand()).config();
    }

    @Test
    void flagsWinOverTheFileWhichWinsOverDefaults() throws Exception {
        Path file = dir.resolve("pageserver.properties");
        Files.writeString(
                file, "data-dir=" + dir.resolve("data") + "\npage-port=7000\npage-cache=1GiB\npitr-window=7d\n");
        PageserverConfig c = parse("--config", file.toString(), "--page-port", "7100");
        assertEquals(dir.resolve("data"), c.dataDirectory());
        assertEquals(7100, c.pagePort(), "the flag wins");
        assertEquals(1L << 30, c.pageCacheBytes(), "from the file");
        assertEquals(Duration.ofDays(7), c.pitrWindow());
        assertEquals(PageserverConfig.DEFAULT_HTTP_PORT, c.httpPort(), "the default");
        assertEquals("127.0.0.1", c.bindAddress(), "loopback unless configured");
        assertTrue(c.syncCommits());
    }

    @Test
    void anAddressThatIsNotLoopbackTakesTls() {
        Path data = dir.resolve("pages");
        StringWriter err = new StringWriter();
        CommandLine cmd = PageserverMain.commandLine(new String[0]);
        cmd.setErr(new PrintWriter(err));
        assertEquals(2, cmd.execute("--data-dir", data.toString(), "--listen", "0.0.0.0", "--page-port", "0"));
        assertTrue(
                err.toString().startsWith("refusing to listen on 0.0.0.0 without TLS: it is not a loopback address"),
                err.toString());
        assertTrue(Files.notExists(data), "nothing started: no data directory");

        PageserverConfig selfSigned = parse("--data-dir", data.toString(), "--listen", "0.0.0.0", "--tls-self-signed");
        assertEquals("0.0.0.0", selfSigned.bindAddress());
        assertEquals(new TlsSettings.SelfSigned(data.resolve("tls")), selfSigned.tls());
        PageserverConfig files = parse(
                "--data-dir", data.toString(), "--listen", "0.0.0.0", "--tls-cert", "a.crt", "--tls-key", "a.key");
        assertEquals(new TlsSettings.Files(Path.of("a.crt"), Path.of("a.key")), files.tls());
        assertEquals(
                new TlsSettings.Disabled(), parse("--data-dir", data.toString()).tls(), "plaintext by default");

        err.getBuffer().setLength(0);
        cmd = PageserverMain.commandLine(new String[0]);
        cmd.setErr(new PrintWriter(err));
        assertEquals(2, cmd.execute("--data-dir", data.toString(), "--tls-self-signed", "--tls-key", "a.key"));
        assertTrue(err.toString().startsWith("--tls-self-signed makes its own certificate"), err.toString());
    }

    @Test
    void badSettingsAreSentencesAndExitCodes() {
        StringWriter err = new StringWriter();
        CommandLine cmd = PageserverMain.commandLine(new String[0]);
        cmd.setErr(new PrintWriter(err));
        assertEquals(2, cmd.execute("--data-dir", dir.toString(), "--page-cache", "lots"));
        assertTrue(err.toString().contains("\"lots\" is not a size"), err.toString());

        err.getBuffer().setLength(0);
        cmd = PageserverMain.commandLine(new String[0]);
        cmd.setErr(new PrintWriter(err));
        assertEquals(2, cmd.execute("--page-port", "1"));
        assertTrue(err.toString().contains("no data directory"), err.toString());

        err.getBuffer().setLength(0);
        cmd = PageserverMain.commandLine(new String[0]);
        cmd.setErr(new PrintWriter(err));
        assertEquals(2, cmd.execute("--data-dir", dir.toString(), "--max-message-size", "1KiB"));
        assertTrue(err.toString().contains("below the minimum of 1 MiB"), err.toString());

        assertEquals(2, PageserverMain.commandLine(new String[0]).execute("--no-such-flag"));
        CommandLine.ParameterException missing = org.junit.jupiter.api.Assertions.assertThrows(
                CommandLine.ParameterException.class,
                () -> PageserverMain.commandLine(
                        new String[] {"--config", dir.resolve("absent").toString()}));
        assertTrue(missing.getMessage().contains("cannot be read"), missing.getMessage());
    }

    @Test
    void helpNamesEverySetting() {
        StringWriter out = new StringWriter();
        CommandLine cmd = PageserverMain.commandLine(new String[0]);
        cmd.setOut(new PrintWriter(out));
        assertEquals(0, cmd.execute("--help"));
        for (String option : new String[] {
            "--data-dir",
            "--listen",
            "--page-port",
            "--http-port",
            "--page-cache",
            "--pitr-window",
            "--gc-interval",
            "--max-message-size",
            "--max-staged",
            "--config"
        }) {
            assertTrue(out.toString().contains(option), option + " missing from --help:\n" + out);
        }
    }

    @Test
    void aTakenPortIsASentenceAndTheStoreIsReleased() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            PageserverConfig config =
                    PageserverConfig.defaults(dir.resolve("data")).withPorts(0, taken.getLocalPort());
            Exception e =
                    org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> Pageserver.start(config));
            assertTrue(
                    e.getMessage()
                            .contains("cannot listen on 127.0.0.1:" + taken.getLocalPort() + " for the management API"),
                    e.getMessage());
            // The failed start closed the store: a second start on the same directory works.
            try (Pageserver server = Pageserver.start(
                    PageserverConfig.defaults(dir.resolve("data")).withEphemeralPorts())) {
                assertTrue(server.pagePort() > 0);
            }
        }
    }
}
