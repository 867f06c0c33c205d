package dev.sprout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** `sprout pageserver` is PageserverMain: its flags, its --config file, its failures said as sentences. */
class PageserverCommandTest {
    @TempDir
    Path dir;

    @Test
    void helpShowsThePageserversOwnFlags() {
        Cli.Result help = Cli.sprout("pageserver", "--help");
        assertEquals(0, help.exit(), help.toString());
        for (String flag : new String[] {
            "--config",
            "--data-dir",
            "--listen",
            "--page-port",
            "--http-port",
            "--page-cache",
            "--pitr-window",
            "--gc-interval",
            "--ready-file"
        }) {
            assertTrue(help.out().contains(flag), flag + " in " + help.out());
        }
        assertTrue(help.out().contains("Usage: sprout pageserver"), help.out());
    }

    @Test
    void settingsComeFromTheConfigFileUnlessAFlagSaysOtherwise() throws Exception {
        Path config = Files.writeString(
                dir.resolve("pageserver.properties"),
                "data-dir=" + dir.resolve("pages") + "\nhttp-port=7001\npage-port=7000\npitr-window=7d\n");
        String[] args = {"pageserver", "--config", config.toString(), "--page-port", "7100"};
        CommandLine cmd = Sprout.commandLine(args);
        CommandLine.ParseResult parsed = cmd.parseArgs(args);
        CommandSpec pageserver = parsed.subcommand().commandSpec();
        assertEquals(dir.resolve("pages"), pageserver.findOption("--data-dir").getValue());
        assertEquals(7001, pageserver.findOption("--http-port").<Integer>getValue());
        assertEquals(7100, pageserver.findOption("--page-port").<Integer>getValue(), "the flag wins over the file");
        assertEquals("7d", pageserver.findOption("--pitr-window").getValue());
    }

    @Test
    void anUnreadableConfigFileIsAUsageError() {
        Path missing = dir.resolve("missing.properties");
        Cli.Result r = Cli.sprout("pageserver", "--config", missing.toString());
        assertEquals(2, r.exit(), r.toString());
        assertEquals("sprout: config file " + missing.toAbsolutePath() + " cannot be read\n", r.err());
    }

    @Test
    void aTakenPortIsASentenceAndExit1() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            Cli.Result r = Cli.sprout(
                    "pageserver",
                    "--data-dir",
                    dir.resolve("pages").toString(),
                    "--page-port",
                    "" + taken.getLocalPort(),
                    "--http-port",
                    "0");
            assertEquals(1, r.exit(), r.toString());
            assertEquals(
                    "sprout: port " + taken.getLocalPort() + " on 127.0.0.1 is in use: is another pageserver or"
                            + " `sprout up` running? Use --page-port\n",
                    r.err());
        }
    }
}
