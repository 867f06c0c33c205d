package dev.sprout.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The agent's command line: bad input is refused with exit code 2 and a sentence, before anything starts. */
class ComputeMainTest {

    private record Run(int exit, String err) {}

    private static Run run(String... args) {
        CommandLine cl = ComputeMain.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        return new Run(cl.execute(args), err.toString());
    }

    @Test
    void badArgumentsExitWith2AndSayWhy() {
        Run missing = run("--work-dir", "/tmp/x");
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("--timeline"), missing.err());

        Run address = run("--timeline", "t", "--work-dir", "/tmp/x", "--pageserver", "nohostport");
        assertEquals(2, address.exit());
        assertTrue(address.err().contains("expected HOST:PORT"), address.err());

        Run secret = run("--timeline", "t", "--work-dir", "/tmp/x", "--password-file", "/etc/hostname");
        assertEquals(2, secret.exit());
        assertTrue(secret.err().contains("no page-service secret: give --page-secret-file"), secret.err());

        Run duration = run(
                "--timeline",
                "t",
                "--work-dir",
                "/tmp/x",
                "--password-file",
                "/etc/hostname",
                "--page-secret-file",
                "/etc/hostname",
                "--idle-suspend",
                "soon");
        assertEquals(2, duration.exit());
        assertTrue(duration.err().contains("not a duration: \"soon\""), duration.err());

        Run ca = run(
                "--timeline",
                "t",
                "--work-dir",
                "/tmp/x",
                "--password-file",
                "/etc/hostname",
                "--page-secret-file",
                "/etc/hostname",
                "--pageserver-tls-ca",
                "/nonexistent/pageserver.crt");
        assertEquals(2, ca.exit());
        assertTrue(
                ca.err().contains("--pageserver-tls-ca /nonexistent/pageserver.crt does not exist or cannot be read"),
                ca.err());

        assertEquals(0, run("--help").exit());
    }

    @Test
    void durationsReadTheWayOperatorsWriteThem() {
        assertEquals(Duration.ofSeconds(90), ComputeMain.parseDuration("90s"));
        assertEquals(Duration.ofMinutes(5), ComputeMain.parseDuration("5m"));
        assertEquals(Duration.ofHours(1), ComputeMain.parseDuration("1h"));
        assertEquals(Duration.ofMinutes(5), ComputeMain.parseDuration("PT5M"));
        assertEquals(Duration.ZERO, ComputeMain.parseDuration("0s"));
        assertThrows(IllegalArgumentException.class, () -> ComputeMain.parseDuration("5 minutes"));
    }
}
