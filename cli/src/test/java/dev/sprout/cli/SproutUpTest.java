package dev.sprout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import dev.sprout.node.SproutNode;
import dev.sprout.protocol.v1.Health;
import dev.sprout.protocol.v1.TimelineList;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `sprout up` against a real pageserver on ephemeral ports, over real HTTP. */
class SproutUpTest {
    /** A start that wrongly succeeded would wait for Ctrl-C; fail instead. */
    private static final Duration REFUSAL = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    @Test
    void upOnAFreshDataDirectoryCreatesMainAndServesTheManagementApi() throws Exception {
        Path data = dir.resolve("fresh");
        long mainCreatedAt;
        try (LocalStack up = LocalStack.start(data, 0, 0)) {
            assertEquals(UpCommand.MAIN, up.main().id());
            assertTrue(up.main().parent().isEmpty(), "main is a root");
            HttpResponse<String> health = Cli.getWithoutToken(up.httpPort(), "/healthz");
            assertEquals(200, health.statusCode(), health.body());
            Health.Builder h = Health.newBuilder();
            JsonFormat.parser().merge(health.body(), h);
            assertEquals("ok", h.getStatus());

            TimelineList list = timelines(up);
            assertEquals(1, list.getTimelinesCount(), list.toString());
            assertEquals(UpCommand.MAIN.toString(), list.getTimelines(0).getTimelineId());
            assertEquals("", list.getTimelines(0).getParentId());
            mainCreatedAt = up.main().branchLsn();

            // The API is the data directory's owner's: no token, no answer; the token is kept owner-only.
            assertEquals(
                    401, Cli.getWithoutToken(up.httpPort(), "/v1/timelines").statusCode());
            Path secrets = data.resolve(SproutNode.PAGES).resolve("secrets");
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secrets)));
            for (String file : new String[] {"admin.token", "page-service.secret"}) {
                assertEquals(
                        "rw-------",
                        PosixFilePermissions.toString(Files.getPosixFilePermissions(secrets.resolve(file))),
                        file);
            }
            Cli.Result withToken =
                    Cli.sprout("timelines", "--http-port", "" + up.httpPort(), "--data-dir", data.toString());
            assertEquals(0, withToken.exit(), withToken.toString());
            Path elsewhere = dir.resolve("not-a-sprout");
            Cli.Result withoutToken =
                    Cli.sprout("timelines", "--http-port", "" + up.httpPort(), "--data-dir", elsewhere.toString());
            assertEquals(1, withoutToken.exit(), withoutToken.toString());
            assertTrue(
                    withoutToken.err().contains("401 UNAUTHENTICATED")
                            && withoutToken.err().contains("no admin token at " + elsewhere.toAbsolutePath()),
                    withoutToken.toString());
            assertFalse(withoutToken.err().contains(up.adminToken())
                    || withToken.out().contains(up.adminToken()));
        }
        // Every start makes sure of main: a second one finds it, and creates nothing.
        try (LocalStack again = LocalStack.start(data, 0, 0)) {
            assertEquals(mainCreatedAt, again.main().branchLsn(), "the same main");
            assertEquals(1, timelines(again).getTimelinesCount());
        }
    }

    @Test
    void upRunsPostgresOnMainPrintsItsConnectionStringAndKeepsTheDataForTheNextUp() throws Exception {
        Path data = dir.resolve("with-postgres");
        try (LocalStack up = LocalStack.startWithCompute(data, 0, 0, 0)) {
            String url = up.connectionString().orElseThrow();
            assertTrue(url.startsWith("postgresql://postgres:") && url.endsWith("/postgres"), url);
            String banner = UpCommand.banner(up);
            assertTrue(banner.contains("postgres (main) " + url), banner);
            assertTrue(banner.contains("psql '" + url + "'"), banner);
            try (Connection c = connect(up)) {
                c.createStatement().execute("CREATE TABLE notes (body text)");
                c.createStatement().execute("INSERT INTO notes VALUES ('kept')");
            }
            SQLException unknown = assertThrows(
                    SQLException.class,
                    () -> DriverManager.getConnection(
                                    "jdbc:postgresql://127.0.0.1:"
                                            + up.proxy().orElseThrow().port() + "/postgres@feature-x",
                                    "postgres",
                                    LocalStack.password(up.dataDir()))
                            .close());
            assertEquals("3D000", unknown.getSQLState());
            assertTrue(unknown.getMessage().contains("branch \"feature-x\" does not exist"), unknown.getMessage());
            String metrics = Cli.get(up, "/metrics").body();
            assertTrue(metrics.contains("sprout_proxy_connections_opened_total{branch=\"main\"} 1.0"), metrics);
            assertTrue(metrics.contains("sprout_proxy_errors_total{sqlstate=\"3D000\"} 1.0"), metrics);
        }
        try (LocalStack again = LocalStack.startWithCompute(data, 0, 0, 0);
                Connection c = connect(again);
                ResultSet rs = c.createStatement().executeQuery("SELECT body FROM notes")) {
            assertTrue(rs.next());
            assertEquals("kept", rs.getString(1));
        }
    }

    /** Through the proxy, as the printed connection string says. */
    private static Connection connect(LocalStack up) throws Exception {
        String url = up.connectionString().orElseThrow();
        String port = url.substring(url.lastIndexOf(':') + 1, url.lastIndexOf('/'));
        assertEquals(Integer.toString(up.proxy().orElseThrow().port()), port, url);
        return DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + port + "/postgres?sslmode=require",
                "postgres",
                LocalStack.password(up.dataDir()));
    }

    @Test
    void mainHasTheSameIdEverywhere() {
        // The README's branch example pastes this id; it is a name-based UUID of "sprout:main".
        assertEquals("827ec186-abe5-3500-9d97-3c4f281743c5", UpCommand.MAIN.toString());
    }

    @Test
    void theBannerSaysWhereEverythingIsAndHowToTryIt() throws Exception {
        try (LocalStack up = LocalStack.start(dir, 0, 0)) {
            String banner = UpCommand.banner(up);
            int http = up.httpPort();
            assertTrue(banner.contains("data directory  " + dir.toAbsolutePath()), banner);
            assertTrue(banner.contains("page service    127.0.0.1:" + up.pagePort()), banner);
            assertTrue(banner.contains("management API  http://127.0.0.1:" + http + "/"), banner);
            assertTrue(
                    banner.contains("timeline main   " + UpCommand.MAIN + " (last LSN "
                            + up.main().lastLsn() + ", 0 B logical)"),
                    banner);
            String data = " --data-dir " + dir.toAbsolutePath();
            assertTrue(banner.contains("./sprout branch create feature-x --http-port " + http + data), banner);
            assertTrue(banner.contains("./sprout connect feature-x --psql --http-port " + http + data), banner);
            String curl = "curl -s -H \"Authorization: Bearer $(cat " + up.adminTokenFile() + ")\" localhost:" + http;
            assertTrue(banner.contains(curl + "/v1/branches"), banner);
            assertTrue(banner.contains(curl + "/metrics"), banner);
            assertTrue(banner.contains("./sprout timelines --http-port " + http + data), banner);
            assertFalse(banner.contains(up.adminToken()), "the banner names the token's file, never the token");
            // The curl line works as printed, from a shell.
            Process shell = new ProcessBuilder("bash", "-c", curl + "/v1/branches")
                    .redirectErrorStream(true)
                    .start();
            String answer = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, shell.waitFor(), answer);
            assertTrue(answer.contains("\"name\": \"main\""), answer);
        }
    }

    @Test
    void aSecondUpOnTheSameDataDirectoryIsRefusedAndTheFirstKeepsServing() throws Exception {
        try (LocalStack first = LocalStack.start(dir, 0, 0)) {
            Cli.Result second = assertTimeoutPreemptively(
                    REFUSAL,
                    () -> Cli.sprout("up", "--data-dir", dir.toString(), "--page-port", "0", "--http-port", "0"));
            assertEquals(1, second.exit(), second.toString());
            assertEquals(
                    "sprout: the data directory " + dir.toAbsolutePath() + " is in use by another Sprout process\n",
                    second.err(),
                    second.toString());

            assertEquals(200, Cli.getWithoutToken(first.httpPort(), "/healthz").statusCode());
            assertEquals(1, timelines(first).getTimelinesCount());
        }
    }

    @Test
    void aTakenPortIsNamedWithTheFlagThatMovesIt() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();

            Cli.Result http = assertTimeoutPreemptively(
                    REFUSAL,
                    () -> Cli.sprout(
                            "up",
                            "--data-dir",
                            dir.resolve("a").toString(),
                            "--page-port",
                            "0",
                            "--http-port",
                            "" + port));
            assertEquals(1, http.exit(), http.toString());
            assertEquals(
                    "sprout: port " + port
                            + " on 127.0.0.1 is in use: is another `sprout up` running? Use --http-port\n",
                    http.err(),
                    http.toString());

            Cli.Result page = assertTimeoutPreemptively(
                    REFUSAL,
                    () -> Cli.sprout(
                            "up",
                            "--data-dir",
                            dir.resolve("b").toString(),
                            "--page-port",
                            "" + port,
                            "--http-port",
                            "0"));
            assertEquals(1, page.exit(), page.toString());
            assertEquals(
                    "sprout: port " + port
                            + " on 127.0.0.1 is in use: is another `sprout up` running? Use --page-port\n",
                    page.err(),
                    page.toString());
        }
        // The failed starts closed the store: the data directory opens again.
        try (LocalStack up = LocalStack.start(dir.resolve("a"), 0, 0)) {
            assertEquals(1, timelines(up).getTimelinesCount());
        }
    }

    @Test
    void badFlagsExitWith2() {
        for (String[] args : new String[][] {
            {"up", "--no-such-option"},
            {"up", "--http-port", "not-a-number"},
            {"up", "--http-port", "65536"},
            {"up", "--page-port", "-1"},
            {"no-such-command"},
            {"timelines", "--http-port"},
            {"pageserver", "--no-such-option"}
        }) {
            Cli.Result r = Cli.sprout(args);
            assertEquals(2, r.exit(), String.join(" ", args) + ": " + r);
            assertTrue(!r.err().isBlank(), "says why: " + r);
        }
        Cli.Result range = Cli.sprout("up", "--http-port", "65536");
        assertTrue(
                range.err().contains("--http-port 65536 is not a TCP port (expected: 0-65535, 0 = any free port)"),
                range.toString());
    }

    @Test
    void helpListsEveryCommand() {
        Cli.Result help = Cli.sprout("--help");
        assertEquals(0, help.exit(), help.toString());
        for (String command : new String[] {"up", "timelines", "pageserver"}) {
            assertTrue(help.out().contains("  " + command + " "), command + " in " + help.out());
        }
    }

    static TimelineList timelines(LocalStack stack) throws Exception {
        HttpResponse<String> r = Cli.get(stack, "/v1/timelines");
        assertEquals(200, r.statusCode(), r.body());
        TimelineList.Builder list = TimelineList.newBuilder();
        JsonFormat.parser().merge(r.body(), list);
        return list.build();
    }
}
