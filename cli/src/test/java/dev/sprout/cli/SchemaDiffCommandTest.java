package dev.sprout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sprout.testkit.Ports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code sprout diff schema} as a user runs it: branches, a branch at a past time (read through a short-lived branch
 * that is deleted afterwards), a connection string; each format; the exit codes (0 equal, 1 different, 2 bad input,
 * 3 a side out of reach) with a sentence for each refusal.
 */
class SchemaDiffCommandTest {
    @Test
    void diffsBranchesPointsAndUrlsInEveryFormatWithExitCodes() throws Exception {
        Path work = Files.createDirectories(Path.of("/tmp", "sprout-diff-cli-" + UUID.randomUUID()));
        try (LocalStack up = LocalStack.startWithCompute(work.resolve("sprout"), 0, 0, 0)) {
            String pw = LocalStack.password(up.dataDir());
            int proxy = up.proxy().orElseThrow().port();
            try (Connection c = SchemaDiffCorpusTest.connect(proxy, "main", "postgres", pw)) {
                exec(c, "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric(10,2) NOT NULL)");
                exec(c, "INSERT INTO orders SELECT g, g FROM generate_series(1, 100) g");
                exec(c, "CREATE TABLE items (id int PRIMARY KEY, name text)");
                exec(c, "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 10) g");
            }
            Cli.Result created = sprout(up, "branch", "create", "feature");
            assertEquals(0, created.exit(), created.toString());
            Thread.sleep(1100); // a time strictly between the create and the migration
            String before = Instant.now().toString();
            Thread.sleep(1100);
            try (Connection c = SchemaDiffCorpusTest.connect(proxy, "feature", "postgres", pw)) {
                exec(c, "ALTER TABLE orders ADD COLUMN note text DEFAULT 'none'");
                exec(c, "ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2)");
                exec(c, "CREATE INDEX orders_total ON orders (total) WHERE total > 50");
            }

            Cli.Result same = sprout(up, "diff", "schema", "main", "main");
            assertEquals(0, same.exit(), same.toString());
            assertTrue(same.out().contains("no differences"), same.toString());

            Cli.Result text = sprout(up, "diff", "schema", "main", "feature");
            assertEquals(1, text.exit(), text.toString());
            assertTrue(text.out().contains("2 added, 0 removed, 1 changed"), text.toString());
            assertTrue(text.out().contains("+ column public.orders.note"), text.toString());
            assertTrue(text.out().contains("+ index public.orders_total"), text.toString());
            assertTrue(text.out().contains("type: numeric(10,2) → numeric(12,2)"), text.toString());

            Cli.Result sql = sprout(up, "diff", "schema", "main", "feature", "--format", "sql");
            assertEquals(1, sql.exit(), sql.toString());
            assertTrue(
                    sql.out().contains("ALTER TABLE public.orders ADD COLUMN note text DEFAULT 'none'::text;"),
                    sql.toString());
            assertTrue(
                    sql.out().contains("ALTER TABLE public.orders ALTER COLUMN total TYPE numeric(12,2)"),
                    sql.toString());

            Cli.Result json = sprout(up, "diff", "schema", "main", "feature", "--format", "json");
            assertEquals(1, json.exit(), json.toString());
            JsonObject root = JsonParser.parseString(json.out()).getAsJsonObject();
            assertFalse(root.get("equal").getAsBoolean());
            assertEquals(2, root.getAsJsonObject("summary").get("added").getAsInt());
            JsonObject total = root.getAsJsonArray("changes").asList().stream()
                    .map(e -> e.getAsJsonObject())
                    .filter(o -> o.get("name").getAsString().equals("public.orders.total"))
                    .findFirst()
                    .orElseThrow();
            assertEquals("changed", total.get("change").getAsString());
            assertEquals(
                    "numeric(12,2)", total.getAsJsonObject("after").get("type").getAsString());

            Cli.Result md = sprout(up, "diff", "schema", "main", "feature", "--format", "markdown");
            assertTrue(md.out().startsWith("**Schema diff** `main` → `feature`"), md.toString());
            assertTrue(md.out().contains("#### Columns"), md.toString());

            // every database: one that only one side has is a difference too
            try (Connection c = SchemaDiffCorpusTest.connect(proxy, "feature", "postgres", pw)) {
                exec(c, "CREATE DATABASE only_here");
            }
            Cli.Result all = sprout(up, "diff", "schema", "main", "feature", "--all-databases");
            assertEquals(1, all.exit(), all.toString());
            assertTrue(all.out().contains("database only_here exists only on feature"), all.toString());
            assertTrue(all.out().contains("+ column public.orders.note"), all.toString());

            // a point in time: feature before its migration equals main; the short-lived branch is gone afterwards
            Cli.Result past = sprout(up, "diff", "schema", "main", "feature@" + before);
            assertEquals(0, past.exit(), past.toString());
            Cli.Result list = sprout(up, "branch", "list");
            assertFalse(list.out().contains("diff-"), list.toString());

            // a connection string (the proxy without a branch option is main)
            Cli.Result url = sprout(
                    up,
                    "diff",
                    "schema",
                    "postgresql://postgres:" + pw + "@127.0.0.1:" + proxy + "/postgres",
                    "feature");
            assertEquals(1, url.exit(), url.toString());
            assertFalse(url.out().contains(pw), "the password is not printed");

            // the data: rows inserted, deleted, updated (with the columns that changed); a table whose schema
            // differs is compared on the columns both sides have alike, and the output says so
            try (Connection c = SchemaDiffCorpusTest.connect(proxy, "feature", "postgres", pw)) {
                exec(c, "UPDATE items SET name = 'renamed' WHERE id = 3");
                exec(c, "DELETE FROM items WHERE id = 4");
                exec(c, "INSERT INTO items VALUES (11, 'new')");
            }
            Cli.Result data = sprout(up, "diff", "data", "main", "feature");
            assertEquals(1, data.exit(), data.toString());
            assertTrue(data.out().contains("public.items: +1 -1 ~1"), data.toString());
            assertTrue(data.out().contains("~ id=3: name: \"item 3\" → \"renamed\""), data.toString());
            assertTrue(data.out().contains("note: the schemas differ"), data.toString());
            assertTrue(
                    data.out().contains("public.items: +1 -1 ~1 (by primary key (id), changed blocks ("),
                    data.toString());
            Cli.Result scanned = sprout(up, "diff", "data", "main", "feature", "--table", "items", "--full");
            assertEquals(1, scanned.exit(), scanned.toString());
            assertTrue(
                    scanned.out().contains("public.items: +1 -1 ~1 (by primary key (id), full scan (--full))"),
                    scanned.toString());
            Cli.Result dataJson = sprout(up, "diff", "data", "main", "feature", "--table", "items", "--format", "json");
            assertEquals(1, dataJson.exit(), dataJson.toString());
            JsonObject items = JsonParser.parseString(dataJson.out())
                    .getAsJsonObject()
                    .getAsJsonArray("tables")
                    .get(0)
                    .getAsJsonObject();
            assertEquals("public.items", items.get("table").getAsString());
            assertEquals(1, items.getAsJsonArray("updated").size());
            Cli.Result sameData = sprout(up, "diff", "data", "main", "main", "--table", "items");
            assertEquals(0, sameData.exit(), sameData.toString());
            Cli.Result noTable = sprout(up, "diff", "data", "main", "feature", "--table", "nosuch");
            assertEquals(2, noTable.exit(), noTable.toString());
            assertTrue(noTable.err().contains("neither side has a table public.nosuch"), noTable.toString());
            Cli.Result both = sprout(up, "diff", "main", "feature");
            assertEquals(1, both.exit(), both.toString());
            assertTrue(both.out().contains("**Schema diff**") && both.out().contains("**Data diff**"), both.toString());

            // bad input: a sentence and exit 2; a side out of reach: exit 3
            Cli.Result unknown = sprout(up, "diff", "schema", "main", "nosuch");
            assertEquals(2, unknown.exit(), unknown.toString());
            assertTrue(unknown.err().contains("nosuch"), unknown.toString());
            Cli.Result noDb = sprout(up, "diff", "schema", "main", "feature", "--database", "nosuchdb");
            assertEquals(2, noDb.exit(), noDb.toString());
            assertTrue(noDb.err().contains("database \"nosuchdb\" does not exist"), noDb.toString());
            Cli.Result badFormat = sprout(up, "diff", "schema", "main", "feature", "--format", "yaml");
            assertEquals(2, badFormat.exit(), badFormat.toString());
            Cli.Result beforeHistory = sprout(up, "diff", "schema", "main", "feature@2000-01-01T00:00:00Z");
            assertEquals(2, beforeHistory.exit(), beforeHistory.toString());
            int closed = Ports.free();
            Cli.Result unreachable = sprout(
                    up,
                    "diff",
                    "schema",
                    "main",
                    "postgresql://postgres@127.0.0.1:" + closed + "/postgres",
                    "--connect-timeout",
                    "2");
            assertEquals(3, unreachable.exit(), unreachable.toString());
            assertTrue(unreachable.err().contains("cannot reach"), unreachable.toString());
        } finally {
            try (Stream<Path> walk = Files.walk(work)) {
                walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static Cli.Result sprout(LocalStack up, String... args) {
        String[] all = Stream.concat(
                        Stream.of(args),
                        args[0].equals("diff")
                                ? Stream.of(
                                        "--http-port",
                                        Integer.toString(up.httpPort()),
                                        "--pg-port",
                                        Integer.toString(
                                                up.proxy().orElseThrow().port()),
                                        "--data-dir",
                                        up.dataDir().toString())
                                : Stream.of(
                                        "--http-port",
                                        Integer.toString(up.httpPort()),
                                        "--data-dir",
                                        up.dataDir().toString()))
                .toArray(String[]::new);
        return Cli.sprout(all);
    }

    private static void exec(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
