package dev.sprout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpServer;
import dev.sprout.protocol.v1.TimelineInfo;
import dev.sprout.protocol.v1.TimelineList;
import dev.sprout.testkit.Ports;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `sprout timelines` asks a real pageserver over HTTP. */
class TimelinesCommandTest {
    @TempDir
    Path dir;

    @Test
    void listsMainAndABranchMadeThroughTheApi() throws Exception {
        try (LocalStack up = LocalStack.start(dir, 0, 0)) {
            int port = up.httpPort();
            HttpResponse<String> created = Cli.post(up, "/v1/timelines", "{\"parentId\":\"" + UpCommand.MAIN + "\"}");
            assertEquals(201, created.statusCode(), created.body());
            TimelineInfo.Builder branch = TimelineInfo.newBuilder();
            JsonFormat.parser().merge(created.body(), branch);

            Cli.Result table = Cli.sprout("timelines", "--http-port", "" + port, "--data-dir", dir.toString());
            assertEquals(0, table.exit(), table.toString());
            List<String> lines = table.out().lines().toList();
            assertEquals(3, lines.size(), table.out());
            assertEquals(
                    List.of("TIMELINE", "PARENT", "BRANCH", "LSN", "LAST", "LSN", "LOGICAL", "OWN", "BYTES"),
                    List.of(lines.get(0).trim().split("\\s+")),
                    lines.get(0));
            assertEquals(
                    List.of(
                            UpCommand.MAIN.toString(),
                            "-",
                            "" + up.main().branchLsn(),
                            "" + up.main().lastLsn(),
                            "0",
                            "B",
                            "0",
                            "B"),
                    List.of(lines.get(1).trim().split("\\s+")),
                    lines.get(1));
            assertEquals(
                    List.of(
                            branch.getTimelineId(),
                            UpCommand.MAIN.toString(),
                            "" + branch.getBranchLsn(),
                            "" + branch.getLastLsn(),
                            "0",
                            "B",
                            "0",
                            "B"),
                    List.of(lines.get(2).trim().split("\\s+")),
                    lines.get(2));

            Cli.Result json = Cli.sprout("timelines", "--http-port", "" + port, "--json", "--data-dir", dir.toString());
            assertEquals(0, json.exit(), json.toString());
            assertEquals(Cli.get(up, "/v1/timelines").body(), json.out(), "the API's answer, as it came");
            TimelineList.Builder list = TimelineList.newBuilder();
            JsonFormat.parser().merge(json.out(), list);
            assertEquals(
                    List.of(UpCommand.MAIN.toString(), branch.getTimelineId()),
                    list.getTimelinesList().stream()
                            .map(TimelineInfo::getTimelineId)
                            .toList());
        }
    }

    @Test
    void nothingListeningIsASentenceAndExit3() throws Exception {
        int port = Ports.free();
        Cli.Result r = Cli.sprout("timelines", "--http-port", "" + port);
        assertEquals(Sprout.EXIT_UNREACHABLE, r.exit(), r.toString());
        assertEquals("sprout: no Sprout answers on 127.0.0.1:" + port + ": start it with `./sprout up`\n", r.err());
        assertEquals("", r.out());
    }

    @Test
    void somethingElseListeningIsNamedAsSuch() throws Exception {
        HttpServer other = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        other.createContext("/", exchange -> {
            byte[] body = "<html>hello</html>".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(
                    exchange.getRequestURI().getPath().equals("/v1/timelines") ? 200 : 404, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        other.start();
        try {
            int port = other.getAddress().getPort();
            Cli.Result r = Cli.sprout("timelines", "--http-port", "" + port);
            assertEquals(1, r.exit(), r.toString());
            assertTrue(
                    r.err()
                            .startsWith("sprout: what answers on 127.0.0.1:" + port
                                    + " is not Sprout: GET /v1/timelines did not return a TimelineList"),
                    r.toString());
        } finally {
            other.stop(0);
        }
    }
}
