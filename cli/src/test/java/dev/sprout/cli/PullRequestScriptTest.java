package dev.sprout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code scripts/ci/pr-check} as a CI job runs it, everything real but GitHub: a Sprout with a table on main, a
 * Flyway migration directory, the script run as a subprocess with {@code sprout} from this classpath, and a fake
 * GitHub API that answers like GitHub and records every request. {@code open} makes branch pr-7, checks the
 * migrations, applies them with psql, runs the tests and posts one comment; a re-run starts again from main's data
 * and updates that comment instead of posting another; {@code close} deletes the branch; failing tests fail the job
 * and say so in the comment; without a token the comment is written to a file.
 */
class PullRequestScriptTest {
    private static final String MARKER = "<!-- sprout-pr-check -->";
    private static final String PSQL = "/usr/lib/postgresql/15/bin/psql";
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    @Test
    void opensChecksTestsCommentsOnceAndCloses() throws Exception {
        Path work = Files.createDirectories(Path.of("/tmp", "sprout-pr-check-" + UUID.randomUUID()));
        FakeGitHub github = new FakeGitHub();
        try (LocalStack up = LocalStack.startWithCompute(work.resolve("sprout"), 0, 0, 0)) {
            String pw = LocalStack.password(up.dataDir());
            int proxy = up.proxy().orElseThrow().port();
            try (Connection c = SchemaDiffCorpusTest.connect(proxy, "main", "postgres", pw);
                    Statement st = c.createStatement()) {
                st.execute("CREATE TABLE orders (id bigint PRIMARY KEY, total numeric(10,2) NOT NULL)");
                st.execute("INSERT INTO orders SELECT g, g FROM generate_series(1, 1000) g");
            }
            Path migrations = Files.createDirectories(work.resolve("db/migration"));
            Path v1 = migrations.resolve("V1__add_note.sql");
            Files.writeString(v1, "ALTER TABLE orders ADD COLUMN note text;\n");
            String apply = PSQL + " \"$DATABASE_URL\" -v ON_ERROR_STOP=1 -f " + v1;
            String test = PSQL + " \"$DATABASE_URL\" -v ON_ERROR_STOP=1 -tAc 'SELECT count(note) FROM orders'"
                    + " && echo 'the note column is there'";
            List<String> open = List.of(
                    "open",
                    "--pr",
                    "7",
                    "--migrations",
                    migrations.toString(),
                    "--fail-on",
                    "error",
                    "--apply",
                    apply,
                    "--test",
                    test);

            // what the check says on its own, for the comment to carry
            Cli.Result direct = Cli.sprout(
                    "migrate",
                    "check",
                    "--base",
                    "main",
                    "--migrations",
                    migrations.toString(),
                    "--format",
                    "markdown",
                    "--fail-on",
                    "error",
                    "--http-port",
                    Integer.toString(up.httpPort()),
                    "--pg-port",
                    Integer.toString(proxy),
                    "--data-dir",
                    up.dataDir().toString());
            assertEquals(0, direct.exit(), direct.toString());
            String verdict = direct.out().strip().lines().findFirst().orElseThrow();

            // (1) open: a new branch, the check, the migration applied, the tests, one new comment
            Run first = prCheck(up, work, github, true, open);
            assertEquals(0, first.exit(), first.toString());
            List<Request> posts = github.requests("POST");
            assertEquals(1, posts.size(), github.toString());
            assertEquals("/repos/acme/shop/issues/7/comments", posts.get(0).path());
            String body = posts.get(0).commentBody();
            assertTrue(body.startsWith(MARKER + "\n"), body);
            assertTrue(verdict.contains("Migration check passed"), direct.toString());
            assertTrue(body.contains("\n" + verdict + "\n"), "the report's verdict line " + verdict + " in:\n" + body);
            assertTrue(body.contains("migration check passed"), body);
            assertTrue(body.contains("tests passed"), body);
            assertTrue(body.contains("`pr-7`, created from `main`"), body);
            Cli.Result made = branchGet(up, "pr-7");
            assertTrue(made.out().contains("(ttl 14d)"), "pr-7 expires by itself unless closed: " + made);
            assertFalse(body.contains(pw), "the password is not in the comment");
            for (Request r : github.requests()) {
                assertEquals("Bearer test-token", r.authorization(), r.toString());
                assertEquals("application/vnd.github+json", r.accept(), r.toString());
            }
            assertEquals(List.of(), github.requests("PATCH"));
            assertEquals(first.out(), body, "stdout is the comment");
            try (Connection c = SchemaDiffCorpusTest.connect(proxy, "pr-7", "postgres", pw)) {
                assertTrue(hasNote(c), "pr-7 has the migration");
                try (Statement st = c.createStatement()) {
                    st.execute("CREATE TABLE left_by_the_first_run (x int)");
                }
            }
            try (Connection c = SchemaDiffCorpusTest.connect(proxy, "main", "postgres", pw)) {
                assertFalse(hasNote(c), "main is untouched");
            }

            // (2) a re-run: pr-7 starts again from main (reset), and the same comment is updated
            Run second = prCheck(up, work, github, true, open);
            assertEquals(0, second.exit(), second.toString());
            assertTrue(second.err().contains("resetting branch pr-7"), second.toString());
            assertEquals(1, github.requests("POST").size(), "no second comment: " + github);
            List<Request> patches = github.requests("PATCH");
            assertEquals(1, patches.size(), github.toString());
            assertEquals("/repos/acme/shop/issues/comments/42", patches.get(0).path());
            String updated = patches.get(0).commentBody();
            assertTrue(updated.startsWith(MARKER), updated);
            assertTrue(updated.contains("`pr-7`, reset to the head of `main`"), updated);
            assertTrue(updated.contains("tests passed"), updated);
            try (Connection c = SchemaDiffCorpusTest.connect(proxy, "pr-7", "postgres", pw)) {
                assertTrue(hasNote(c), "pr-7 has the migration again");
                assertFalse(hasTable(c, "left_by_the_first_run"), "the re-run started from main's data");
            }

            // (3) close: the branch is gone; closing again is not an error
            Run closed = prCheck(up, work, github, true, List.of("close", "--pr", "7"));
            assertEquals(0, closed.exit(), closed.toString());
            Cli.Result gone = branchGet(up, "pr-7");
            assertEquals(1, gone.exit(), gone.toString());
            assertTrue(gone.err().contains("UNKNOWN_BRANCH"), gone.toString());
            Run closedAgain = prCheck(up, work, github, true, List.of("close", "--pr", "7"));
            assertEquals(0, closedAgain.exit(), closedAgain.toString());
            assertTrue(closedAgain.err().contains("nothing to delete"), closedAgain.toString());

            // (4) failing tests: the job fails after the comment says so (still the one comment)
            List<String> failing = new ArrayList<>(open.subList(0, open.size() - 1));
            failing.add(PSQL + " \"$DATABASE_URL\" -v ON_ERROR_STOP=1 -tAc 'SELECT count(no_such_column) FROM orders'");
            Run red = prCheck(up, work, github, true, failing);
            assertNotEquals(0, red.exit(), red.toString());
            assertTrue(red.err().contains("the tests failed"), red.toString());
            assertEquals(1, github.requests("POST").size(), github.toString());
            patches = github.requests("PATCH");
            assertEquals(2, patches.size(), github.toString());
            String redBody = patches.get(1).commentBody();
            assertTrue(redBody.startsWith(MARKER), redBody);
            assertTrue(redBody.contains("tests failed"), redBody);
            assertTrue(redBody.contains("no_such_column"), "the tests' output is in the comment: " + redBody);
            assertTrue(redBody.contains("migration check passed"), redBody);

            // (5) no token: nothing goes to GitHub, the comment goes to --comment-file for another CI to post
            int before = github.requests().size();
            Path commentFile = work.resolve("comment.md");
            List<String> noToken = new ArrayList<>(open);
            noToken.addAll(List.of("--comment-file", commentFile.toString()));
            Run offline = prCheck(up, work, github, false, noToken);
            assertEquals(0, offline.exit(), offline.toString());
            assertEquals(before, github.requests().size(), github.toString());
            String written = Files.readString(commentFile);
            assertTrue(written.startsWith(MARKER + "\n"), written);
            assertTrue(written.contains("tests passed"), written);
            assertTrue(offline.err().contains("GITHUB_TOKEN is not set"), offline.toString());

            Run cleanup = prCheck(up, work, github, true, List.of("close", "--pr", "7"));
            assertEquals(0, cleanup.exit(), cleanup.toString());
            Cli.Result list = Cli.sprout(
                    "branch",
                    "list",
                    "--http-port",
                    Integer.toString(up.httpPort()),
                    "--data-dir",
                    up.dataDir().toString());
            assertEquals(0, list.exit(), list.toString());
            assertFalse(list.out().contains("pr-7"), "closed, and no short-lived branch left: " + list);

            // bad input: exit 2 before anything changes
            Run usage = prCheck(up, work, github, true, List.of("open", "--pr", "seven", "--migrations", "."));
            assertEquals(2, usage.exit(), usage.toString());
            assertTrue(usage.err().contains("--pr needs the pull request's number"), usage.toString());
        } finally {
            github.stop();
            try (Stream<Path> walk = Files.walk(work)) {
                walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static boolean hasNote(Connection c) throws Exception {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM information_schema.columns"
                        + " WHERE table_name = 'orders' AND column_name = 'note'")) {
            rs.next();
            return rs.getInt(1) == 1;
        }
    }

    private static boolean hasTable(Connection c, String name) throws Exception {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT to_regclass('public." + name + "') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private static Cli.Result branchGet(LocalStack up, String name) {
        return Cli.sprout(
                "branch",
                "get",
                name,
                "--http-port",
                Integer.toString(up.httpPort()),
                "--data-dir",
                up.dataDir().toString());
    }

    /** What one run of the script printed and how it ended. */
    record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** Runs {@code bash scripts/ci/pr-check ARGS} from the repository's root, as a CI job would. */
    private static Run prCheck(LocalStack up, Path work, FakeGitHub github, boolean token, List<String> args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(
                List.of("bash", REPO.resolve("scripts/ci/pr-check").toString()));
        cmd.addAll(args);
        String id = UUID.randomUUID().toString();
        File out = work.resolve("pr-check-" + id + ".out").toFile();
        File err = work.resolve("pr-check-" + id + ".err").toFile();
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(REPO.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out)
                .redirectError(err);
        Map<String, String> env = pb.environment();
        env.keySet()
                .removeIf(k -> k.startsWith("GITHUB_")
                        || List.of("SPROUT_TOKEN", "SPROUT_TLS_CA", "SPROUT_DATA")
                                .contains(k)
                        || List.of("http_proxy", "https_proxy", "all_proxy").contains(k.toLowerCase(Locale.ROOT)));
        env.put(
                "SPROUT",
                String.join(
                        " ",
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "--enable-native-access=ALL-UNNAMED",
                        "--sun-misc-unsafe-memory-access=allow",
                        "-XX:TieredStopAtLevel=1",
                        "-XX:+UseSerialGC",
                        "-cp",
                        System.getProperty("java.class.path"),
                        Sprout.class.getName()));
        env.put("SPROUT_HTTP_PORT", Integer.toString(up.httpPort()));
        env.put("SPROUT_PG_PORT", Integer.toString(up.proxy().orElseThrow().port()));
        env.put("SPROUT_DATA_DIR", up.dataDir().toString());
        env.put("GITHUB_API_URL", "http://127.0.0.1:" + github.port());
        env.put("GITHUB_REPOSITORY", "acme/shop");
        if (token) {
            env.put("GITHUB_TOKEN", "test-token");
        }
        env.put("NO_PROXY", "127.0.0.1,localhost");
        env.put("no_proxy", "127.0.0.1,localhost");
        Process p = pb.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor();
            throw new AssertionError(
                    "pr-check " + args + " did not end in 5 minutes:\n" + Files.readString(err.toPath()));
        }
        return new Run(
                p.exitValue(),
                Files.readString(out.toPath(), StandardCharsets.UTF_8),
                Files.readString(err.toPath(), StandardCharsets.UTF_8));
    }

    /** One request the fake GitHub received. */
    record Request(String method, String path, String authorization, String accept, String body) {
        /** The {@code body} field of the request's JSON. */
        String commentBody() {
            return JsonParser.parseString(body).getAsJsonObject().get("body").getAsString();
        }

        @Override
        public String toString() {
            return method + " " + path + " (" + authorization + ", " + accept + ") " + body.length() + " chars";
        }
    }

    /**
     * GitHub's issue-comment API as far as pr-check uses it, on 127.0.0.1: list an issue's comments, create one
     * (ids from 42), update one. Every request is recorded.
     */
    private static final class FakeGitHub {
        private static final Pattern ISSUE_COMMENTS = Pattern.compile("/repos/acme/shop/issues/(\\d+)/comments");
        private static final Pattern COMMENT = Pattern.compile("/repos/acme/shop/issues/comments/(\\d+)");

        private final HttpServer server;
        private final List<Request> requests = new CopyOnWriteArrayList<>();
        /** Comment id to {issue, body}, in the order they were made. */
        private final Map<Long, String[]> comments = new LinkedHashMap<>();

        private long nextId = 42;

        FakeGitHub() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", this::handle);
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        void stop() {
            server.stop(0);
        }

        List<Request> requests() {
            return List.copyOf(requests);
        }

        List<Request> requests(String method) {
            return requests.stream().filter(r -> r.method().equals(method)).toList();
        }

        @Override
        public String toString() {
            return "requests: " + requests;
        }

        private synchronized void handle(HttpExchange x) throws IOException {
            try (x) {
                String body;
                try (InputStream in = x.getRequestBody()) {
                    body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                String method = x.getRequestMethod();
                String path = x.getRequestURI().getPath();
                requests.add(new Request(
                        method,
                        path,
                        x.getRequestHeaders().getFirst("Authorization"),
                        x.getRequestHeaders().getFirst("Accept"),
                        body));
                if (!"Bearer test-token".equals(x.getRequestHeaders().getFirst("Authorization"))) {
                    answer(x, 401, "{\"message\": \"Bad credentials\"}");
                    return;
                }
                Matcher issue = ISSUE_COMMENTS.matcher(path);
                Matcher comment = COMMENT.matcher(path);
                if (issue.matches() && method.equals("GET")) {
                    JsonArray list = new JsonArray();
                    comments.forEach((id, c) -> {
                        if (c[0].equals(issue.group(1))) {
                            list.add(json(id, c[1]));
                        }
                    });
                    answer(x, 200, list.toString());
                } else if (issue.matches() && method.equals("POST")) {
                    long id = nextId++;
                    String text = JsonParser.parseString(body)
                            .getAsJsonObject()
                            .get("body")
                            .getAsString();
                    comments.put(id, new String[] {issue.group(1), text});
                    answer(x, 201, json(id, text).toString());
                } else if (comment.matches() && method.equals("PATCH")) {
                    long id = Long.parseLong(comment.group(1));
                    String[] c = comments.get(id);
                    if (c == null) {
                        answer(x, 404, "{\"message\": \"Not Found\"}");
                        return;
                    }
                    c[1] = JsonParser.parseString(body)
                            .getAsJsonObject()
                            .get("body")
                            .getAsString();
                    answer(x, 200, json(id, c[1]).toString());
                } else {
                    answer(x, 404, "{\"message\": \"Not Found\"}");
                }
            }
        }

        private static JsonObject json(long id, String text) {
            JsonObject o = new JsonObject();
            o.addProperty("id", id);
            o.addProperty("body", text);
            o.addProperty("html_url", "https://github.com/acme/shop/pull/7#issuecomment-" + id);
            JsonObject user = new JsonObject();
            user.addProperty("login", "github-actions[bot]");
            o.add("user", user);
            return o;
        }

        private static void answer(HttpExchange x, int status, String json) throws IOException {
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            x.sendResponseHeaders(status, bytes.length);
            try (OutputStream o = x.getResponseBody()) {
                o.write(bytes);
            }
        }
    }
}
