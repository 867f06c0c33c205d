package dev.sprout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import dev.sprout.node.SproutNode;
import dev.sprout.protocol.v1.AuditEntry;
import dev.sprout.protocol.v1.AuditTrail;
import dev.sprout.protocol.v1.ErrorBody;
import dev.sprout.protocol.v1.Token;
import dev.sprout.protocol.v1.TokenList;
import dev.sprout.testkit.ManualClock;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scoped tokens end to end: made, listed and revoked with `sprout token`, used over real HTTP against the real
 * stack (pageserver, control plane, their one HTTP port), refused with 403 outside their scope or branch pattern,
 * 401 once expired (on the stack's clock) or revoked, kept across a restart as hashes only, rate limited per
 * address, and every change and refusal in `sprout audit`.
 */
class TokensTest {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path dir;

    @Test
    void aScopedTokenDoesWhatItsScopeAndPatternAllowAndNothingElse() throws Exception {
        ManualClock clock = new ManualClock(Instant.parse("2026-12-07T10:00:00Z"));
        String ci;
        String reader;
        String ciId;
        try (LocalStack up = LocalStack.start(dir, 0, 0, clock)) {
            int port = up.httpPort();
            Cli.Result made = sprout(
                    port,
                    "token",
                    "create",
                    "--name",
                    "ci",
                    "--scope",
                    "branch-write",
                    "--branches",
                    "pr-*",
                    "--ttl",
                    "2h");
            assertEquals(0, made.exit(), made.toString());
            ci = made.out().strip();
            assertTrue(ci.startsWith("spt_"), made.toString());
            assertTrue(made.err().contains("branch-write on branches pr-*, until 2026-12-07T12:00:00Z"), made.err());
            Cli.Result read = sprout(port, "token", "create", "--name", "dashboard", "--scope", "read");
            assertEquals(0, read.exit(), read.toString());
            reader = read.out().strip();

            // branch-write on pr-*: its own branches, nothing else.
            assertEquals(
                    201,
                    call(port, ci, "POST", "/v1/branches", "{\"name\": \"pr-1\"}")
                            .statusCode());
            denied(call(port, ci, "POST", "/v1/branches", "{\"name\": \"feature-x\"}"), "pr-*", ci);
            denied(call(port, ci, "POST", "/v1/branches/main/reset", ""), "pr-*", ci);
            denied(call(port, ci, "GET", "/v1/timelines", null), "admin", ci);
            denied(call(port, ci, "POST", "/v1/tokens", "{\"scopes\": [\"admin\"]}"), "admin", ci);
            assertEquals(200, call(port, ci, "GET", "/v1/branches", null).statusCode(), "branch-write implies read");
            assertEquals(200, call(port, ci, "GET", "/metrics", null).statusCode());
            // read: reads only.
            assertEquals(
                    200, call(port, reader, "GET", "/v1/branches/pr-1", null).statusCode());
            denied(call(port, reader, "POST", "/v1/branches", "{\"name\": \"pr-2\"}"), "branch-write", reader);
            denied(call(port, reader, "DELETE", "/v1/branches/pr-1", null), "branch-write", reader);
            assertEquals(
                    200, call(port, ci, "DELETE", "/v1/branches/pr-1", null).statusCode());

            Cli.Result list = sprout(port, "token", "list", "--json");
            assertEquals(0, list.exit(), list.toString());
            TokenList.Builder tokens = TokenList.newBuilder();
            JsonFormat.parser().merge(list.out(), tokens);
            assertEquals(
                    List.of("ci", "dashboard"),
                    tokens.getTokensList().stream().map(Token::getName).toList());
            ciId = tokens.getTokens(0).getId();
            assertTrue(ci.startsWith("spt_" + ciId + "_"), "the id is the token's first part");
            assertEquals("2026-12-07T12:00:00Z", tokens.getTokens(0).getExpiresAt());
            assertEquals("", tokens.getTokens(1).getExpiresAt());
            for (String secret : List.of(ci, reader)) {
                assertFalse(list.out().contains(secret), "a list never shows a secret");
                assertFalse(secret().contains(secret), "only hashes are kept");
            }
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokensFile())));

            clock.advance(Duration.ofHours(2));
            HttpResponse<String> expired = call(port, ci, "GET", "/v1/branches", null);
            assertEquals(401, expired.statusCode(), expired.body());
            assertTrue(expired.body().contains("token " + ciId + " expired at 2026-12-07T12:00:00Z"), expired.body());
        }

        try (LocalStack again = LocalStack.start(dir, 0, 0, clock)) {
            int port = again.httpPort();
            assertEquals(200, call(port, reader, "GET", "/v1/branches", null).statusCode(), "tokens survive a restart");
            String readerId = reader.substring(4, reader.indexOf('_', 4));
            Cli.Result revoked = sprout(port, "token", "revoke", readerId);
            assertEquals(0, revoked.exit(), revoked.toString());
            assertEquals("revoked token " + readerId + " (dashboard)\n", revoked.out());
            assertEquals(401, call(port, reader, "GET", "/v1/branches", null).statusCode(), "revoked");
            Cli.Result unknown = sprout(port, "token", "revoke", readerId);
            assertEquals(Sprout.EXIT_REFUSED, unknown.exit(), unknown.toString());
            assertTrue(unknown.err().contains("UNKNOWN_TOKEN"), unknown.err());
            Cli.Result badScope = sprout(port, "token", "create", "--scope", "everything");
            assertEquals(Sprout.EXIT_REFUSED, badScope.exit(), badScope.toString());
            assertTrue(
                    badScope.err().contains("no scope \"everything\" (expected one of read, branch-write, admin)"),
                    badScope.err());

            Cli.Result audit = sprout(port, "audit", "--json", "--limit", "100");
            assertEquals(0, audit.exit(), audit.toString());
            AuditTrail.Builder trail = AuditTrail.newBuilder();
            JsonFormat.parser().merge(audit.out(), trail);
            for (String secret : List.of(ci, reader)) {
                assertFalse(audit.out().contains(secret), "the audit log holds no token");
            }
            List<String> lines = trail.getEntriesList().stream()
                    .map(e -> e.getActor() + " " + e.getMethod() + " " + e.getPath() + " " + e.getStatus() + " "
                            + e.getCode())
                    .toList();
            String ciActor = "token " + ciId + " (ci)";
            assertTrue(lines.contains("admin POST /v1/tokens 201 "), lines.toString());
            assertTrue(lines.contains(ciActor + " POST /v1/branches 201 "), lines.toString());
            assertTrue(lines.contains(ciActor + " POST /v1/branches 403 PERMISSION_DENIED"), lines.toString());
            assertTrue(lines.contains(ciActor + " DELETE /v1/branches/pr-1 200 "), lines.toString());
            assertTrue(lines.contains("token " + ciId + " GET /v1/branches 401 UNAUTHENTICATED"), lines.toString());
            assertTrue(lines.contains("admin DELETE /v1/tokens/" + readerId + " 200 "), lines.toString());
            assertTrue(lines.contains("anonymous GET /v1/branches 401 UNAUTHENTICATED"), lines.toString());
            assertFalse(
                    lines.stream().anyMatch(l -> l.contains("GET /v1/branches 200")),
                    "successful reads are not audited");
            AuditEntry first = trail.getEntries(0);
            assertEquals("127.0.0.1", first.getRemote());
            assertEquals("2026-12-07T10:00:00Z", first.getTime(), "stamped by the stack's clock");

            Cli.Result since = sprout(port, "audit", "--json", "--since", "2026-12-07T11:00:00Z");
            assertEquals(0, since.exit(), since.toString());
            AuditTrail.Builder later = AuditTrail.newBuilder();
            JsonFormat.parser().merge(since.out(), later);
            assertTrue(later.getEntriesCount() > 0 && later.getEntriesCount() < trail.getEntriesCount(), since.out());
            assertTrue(
                    later.getEntriesList().stream().allMatch(e -> e.getTime().compareTo("2026-12-07T12") >= 0),
                    "only what happened after the clock moved: " + since.out());
            Cli.Result badSince = sprout(port, "audit", "--since", "yesterday");
            assertEquals(Sprout.EXIT_REFUSED, badSince.exit(), badSince.toString());

            Cli.Result table = sprout(port, "audit");
            assertEquals(0, table.exit(), table.toString());
            assertTrue(table.out().startsWith("TIME"), table.out());
            assertTrue(table.out().contains(ciActor), table.out());
        }
    }

    @Test
    void guessingTokensFromOneAddressIsSlowedDownAndOtherAddressesAreNot() throws Exception {
        ManualClock clock = new ManualClock(Instant.parse("2026-12-07T10:00:00Z"));
        try (LocalStack up = LocalStack.start(dir, 0, 0, clock)) {
            int port = up.httpPort();
            InetAddress guesser = InetAddress.getByName("127.0.0.2");
            for (int i = 0; i < 10; i++) {
                assertEquals(
                        401,
                        callFrom(guesser, port, "spt_000000000000_guess" + i).statusCode());
            }
            HttpResponse<String> limited = callFrom(guesser, port, "spt_000000000000_guess10");
            assertEquals(429, limited.statusCode(), limited.body());
            assertEquals("60", limited.headers().firstValue("Retry-After").orElseThrow());
            assertTrue(limited.body().contains("RATE_LIMITED"), limited.body());
            assertEquals(429, callFrom(guesser, port, up.adminToken()).statusCode(), "even a valid token waits");
            assertEquals(
                    200,
                    callFrom(InetAddress.getByName("127.0.0.1"), port, up.adminToken())
                            .statusCode(),
                    "another address is not slowed down");
            clock.advance(Duration.ofSeconds(60));
            assertEquals(200, callFrom(guesser, port, up.adminToken()).statusCode(), "the window has passed");
        }
    }

    private Cli.Result sprout(int port, String... args) {
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--http-port";
        all[args.length + 1] = "" + port;
        all[args.length + 2] = "--data-dir";
        all[args.length + 3] = dir.toString();
        return Cli.sprout(all);
    }

    private static HttpResponse<String> call(int port, String token, String method, String path, String body)
            throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + token);
        r.method(
                method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> callFrom(InetAddress local, int port, String token) throws Exception {
        try (HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .localAddress(local)
                .build()) {
            return client.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/branches"))
                            .header("Authorization", "Bearer " + token)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    /** A 403 PERMISSION_DENIED whose sentence names {@code lacking} and the token's id, never the secret. */
    private static void denied(HttpResponse<String> r, String lacking, String secret) throws Exception {
        assertEquals(403, r.statusCode(), r.body());
        ErrorBody.Builder body = ErrorBody.newBuilder();
        JsonFormat.parser().merge(r.body(), body);
        assertEquals("PERMISSION_DENIED", body.getCode().name(), r.body());
        assertTrue(body.getMessage().contains(lacking), body.getMessage());
        assertTrue(body.getMessage().contains(secret.substring(4, 16)), "names the token's id: " + body.getMessage());
        assertFalse(r.body().contains(secret), "never the secret");
    }

    private Path tokensFile() {
        return dir.resolve(SproutNode.PAGES).resolve("secrets").resolve("tokens.json");
    }

    private String secret() throws Exception {
        return Files.readString(tokensFile());
    }
}
