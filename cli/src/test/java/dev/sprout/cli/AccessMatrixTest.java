package dev.sprout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.testkit.ManualClock;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every route of the HTTP API (control plane, management API, tokens and audit) against every kind of caller: no
 * token, an unknown one, a revoked one, an expired one, a read token, a branch-write token for {@code pr-*} on a
 * branch it matches and one it does not, and the admin token. Each must be refused (401 or 403, with the code) or
 * let through (anything but 401 and 403: the operation itself may still refuse, e.g. 404 for a branch that does not
 * exist) exactly as docs/security.md says. Each request comes from its own loopback address, so the rate limit of
 * unknown tokens does not blur the matrix.
 */
class AccessMatrixTest {
    private static final HttpClient.Version HTTP_1_1 = HttpClient.Version.HTTP_1_1;

    @TempDir
    Path dir;

    /** What a route needs: a scope, and for branch-write the branch it changes. */
    private record Route(String method, String path, String body, Need need, String branch) {}

    private enum Need {
        READ,
        BRANCH_WRITE,
        ADMIN
    }

    private enum Caller {
        NONE,
        UNKNOWN,
        REVOKED,
        EXPIRED,
        READ,
        PR_WRITER,
        ADMIN
    }

    private final AtomicInteger created = new AtomicInteger();
    private final AtomicInteger address = new AtomicInteger();

    @Test
    void everyRouteAgainstEveryKindOfCaller() throws Exception {
        ManualClock clock = new ManualClock(Instant.parse("2026-12-07T10:00:00Z"));
        try (LocalStack up = LocalStack.start(dir, 0, 0, clock)) {
            int port = up.httpPort();
            Map<Caller, String> tokens = new java.util.EnumMap<>(Caller.class);
            tokens.put(Caller.ADMIN, up.adminToken());
            tokens.put(Caller.UNKNOWN, "spt_0123456789ab_notatokenofthisserver");
            tokens.put(Caller.READ, make(port, "--scope", "read"));
            tokens.put(Caller.PR_WRITER, make(port, "--scope", "branch-write", "--branches", "pr-*"));
            tokens.put(Caller.EXPIRED, make(port, "--scope", "admin", "--ttl", "1h"));
            String revoked = make(port, "--scope", "admin");
            tokens.put(Caller.REVOKED, revoked);
            Cli.Result revoke = sprout(port, "token", "revoke", revoked.substring(4, 16));
            assertEquals(0, revoke.exit(), revoke.toString());
            clock.advance(Duration.ofHours(2));

            String timeline = UpCommand.MAIN.toString();
            List<String> failures = new ArrayList<>();
            int checked = 0;
            for (Caller caller : Caller.values()) {
                for (Route r : routes(timeline)) {
                    HttpResponse<String> answer = call(port, tokens.get(caller), r);
                    String expected = expected(caller, r);
                    String got = answer.statusCode() == 401 ? "401" : answer.statusCode() == 403 ? "403" : "through";
                    checked++;
                    if (!expected.equals(got)) {
                        failures.add(caller + " " + r.method() + " " + r.path() + ": expected " + expected + ", got "
                                + answer.statusCode() + " " + answer.body().strip());
                    } else if (got.equals("401")) {
                        assertTrue(answer.body().contains("UNAUTHENTICATED"), answer.body());
                    } else if (got.equals("403")) {
                        assertTrue(answer.body().contains("PERMISSION_DENIED"), answer.body());
                    }
                    for (String secret : tokens.values()) {
                        assertFalse(answer.body().contains(secret), "an answer shows a token: " + answer.body());
                    }
                }
            }
            assertEquals(List.of(), failures, failures.size() + " of " + checked + " wrong");
            assertEquals(Caller.values().length * routes(timeline).size(), checked);
        }
    }

    private String make(int port, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "token";
        all[1] = "create";
        System.arraycopy(args, 0, all, 2, args.length);
        Cli.Result r = sprout(port, all);
        assertEquals(0, r.exit(), r.toString());
        return r.out().strip();
    }

    private Cli.Result sprout(int port, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--http-port", "" + port, "--data-dir", dir.toString()));
        return Cli.sprout(all.toArray(String[]::new));
    }

    /** Every route; changes aim at branches that do not exist where that is enough to pass authorization. */
    private List<Route> routes(String timeline) {
        int n = created.get();
        return List.of(
                new Route("GET", "/v1/branches", null, Need.READ, null),
                new Route("GET", "/v1/branches/main", null, Need.READ, null),
                new Route("POST", "/v1/branches", "{\"name\": \"pr-m" + n + "\"}", Need.BRANCH_WRITE, "pr-m" + n),
                new Route("POST", "/v1/branches", "{\"name\": \"x-m" + n + "\"}", Need.BRANCH_WRITE, "x-m" + n),
                new Route("DELETE", "/v1/branches/pr-nope", null, Need.BRANCH_WRITE, "pr-nope"),
                new Route("DELETE", "/v1/branches/main", null, Need.BRANCH_WRITE, "main"),
                new Route("POST", "/v1/branches/pr-nope/reset", null, Need.BRANCH_WRITE, "pr-nope"),
                new Route("POST", "/v1/branches/main/reset", null, Need.BRANCH_WRITE, "main"),
                new Route(
                        "POST",
                        "/v1/branches/pr-nope/restore",
                        "{\"time\": \"2026-12-07T10:00:00Z\"}",
                        Need.BRANCH_WRITE,
                        "pr-nope"),
                new Route(
                        "POST",
                        "/v1/branches/main/restore",
                        "{\"time\": \"2026-12-07T10:00:00Z\"}",
                        Need.BRANCH_WRITE,
                        "main"),
                new Route("POST", "/v1/branches/pr-nope/start", null, Need.BRANCH_WRITE, "pr-nope"),
                new Route("POST", "/v1/branches/x-nope/stop", null, Need.BRANCH_WRITE, "x-nope"),
                new Route("POST", "/v1/branches/pr-nope/suspend", null, Need.BRANCH_WRITE, "pr-nope"),
                new Route("POST", "/v1/branches/pr-nope/renew", "{}", Need.BRANCH_WRITE, "pr-nope"),
                new Route("POST", "/v1/branches/x-nope/renew", "{}", Need.BRANCH_WRITE, "x-nope"),
                new Route("POST", "/v1/branches/pr-nope/protect", "{}", Need.BRANCH_WRITE, "pr-nope"),
                new Route("POST", "/v1/branches/main/protect", "{\"protect\": false}", Need.BRANCH_WRITE, "main"),
                new Route("GET", "/v1/timelines", null, Need.ADMIN, null),
                new Route("POST", "/v1/timelines", "{}", Need.ADMIN, null),
                new Route("GET", "/v1/timelines/" + timeline, null, Need.ADMIN, null),
                new Route("DELETE", "/v1/timelines/00000000-0000-0000-0000-000000000001", null, Need.ADMIN, null),
                new Route(
                        "GET", "/v1/timelines/" + timeline + "/lsn?time=2026-12-07T10:00:00Z", null, Need.ADMIN, null),
                new Route("GET", "/v1/lsn/1/time", null, Need.ADMIN, null),
                new Route("GET", "/v1/gc/settings", null, Need.ADMIN, null),
                new Route("PUT", "/v1/gc/settings", "{\"pitrWindowSeconds\": \"604800\"}", Need.ADMIN, null),
                new Route("POST", "/v1/gc", null, Need.ADMIN, null),
                new Route("GET", "/metrics", null, Need.READ, null),
                new Route("GET", "/v1/tokens", null, Need.ADMIN, null),
                new Route("POST", "/v1/tokens", "{\"scopes\": [\"read\"]}", Need.ADMIN, null),
                new Route("DELETE", "/v1/tokens/0123456789ab", null, Need.ADMIN, null),
                new Route("GET", "/v1/audit", null, Need.ADMIN, null));
    }

    private static String expected(Caller caller, Route r) {
        return switch (caller) {
            case NONE, UNKNOWN, REVOKED, EXPIRED -> "401";
            case ADMIN -> "through";
            case READ -> r.need() == Need.READ ? "through" : "403";
            case PR_WRITER ->
                switch (r.need()) {
                    case READ -> "through";
                    case BRANCH_WRITE -> r.branch().startsWith("pr-") ? "through" : "403";
                    case ADMIN -> "403";
                };
        };
    }

    private HttpResponse<String> call(int port, String token, Route r) throws Exception {
        if (r.method().equals("POST") && r.path().equals("/v1/branches")) {
            created.incrementAndGet(); // the next round creates other names
        }
        int a = address.incrementAndGet();
        InetAddress from = InetAddress.getByAddress(new byte[] {127, 2, (byte) (a >> 8), (byte) a});
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + r.path()))
                .method(
                        r.method(),
                        r.body() == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(r.body()));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        try (HttpClient client =
                HttpClient.newBuilder().version(HTTP_1_1).localAddress(from).build()) {
            return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }
    }
}
