package dev.sprout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.cli.imports.PgAmcheck;
import dev.sprout.cli.imports.SourceCluster;
import dev.sprout.cli.imports.SourceData;
import dev.sprout.cli.imports.TableChecksums;
import dev.sprout.http.Json;
import dev.sprout.protocol.v1.ImportSummary;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code sprout import} of a real PostgreSQL (started by the test on local disk, loaded with every common kind of
 * object, several databases and roles, and pgbench data) into a running Sprout: every table equal on both sides,
 * {@code pg_amcheck} clean, the source's roles log in through the proxy with their own passwords, a branch of the
 * import is writable while the source stays untouched; {@code --refresh} moves the name and keeps branches of the old
 * import working; each refusal is a sentence that changes nothing in Sprout; an importer killed with SIGKILL leaves
 * no branch, and the restart removes and names its partial timeline.
 */
class ImportTest {
    private static Path work;
    private static SourceCluster source;
    private static final String SOURCE_PASSWORD = "source-pw";

    @BeforeAll
    static void source() throws Exception {
        work = Files.createDirectories(Path.of("/tmp", "sprout-import-" + UUID.randomUUID()));
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        source = SourceCluster.start(work.resolve("source"), SOURCE_PASSWORD, Map.of());
        SourceData.loadObjectZoo(source);
        SourceData.loadPgbench(source, "app", 2);
    }

    @AfterAll
    static void cleanUp() throws Exception {
        try {
            if (source != null) {
                source.close();
            }
        } finally {
            try (Stream<Path> walk = Files.walk(work)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void anImportIsTheSourceTableForTableAndItsRolesLogIn() throws Exception {
        Path data = Files.createDirectories(work.resolve("sprout-a"));
        try (LocalStack up = LocalStack.startWithCompute(data, 0, 0, 0)) {
            Map<String, Map<String, String>> before = sourceChecksums();
            Cli.Result imported =
                    sprout(up, "import", source.url("repl", "repl-pw", "app"), "--branch", "prod", "--json");
            assertEquals(0, imported.exit(), imported.toString());
            ImportSummary summary = Json.parse(
                            imported.out().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                            ImportSummary.newBuilder())
                    .build();
            assertEquals("prod", summary.getBranch());
            assertFalse(summary.getSource().contains("repl-pw"), "no password in the summary: " + summary);
            assertFalse(imported.err().contains("repl-pw"), "no password on stderr: " + imported.err());
            assertTrue(summary.getArchiveBytes() > 30_000_000L, summary.toString());
            assertTrue(imported.err().contains("role repl may take base backups"), imported.err());

            InetSocketAddress prod = up.control().wake("prod");
            String pw = LocalStack.password(up.dataDir());
            Map<String, Map<String, String>> after =
                    TableChecksums.allDatabases("127.0.0.1", prod.getPort(), "postgres", pw);
            assertEquals(before.keySet(), after.keySet(), "the same databases");
            for (String db : before.keySet()) {
                Map<String, String> expected = new HashMap<>(before.get(db));
                Map<String, String> got = new HashMap<>(after.get(db));
                if (db.equals("app")) {
                    // a base backup carries an unlogged table's definition, not its rows (PostgreSQL's own rule)
                    assertTrue(expected.remove("shop.sessions").startsWith("3000:"));
                    assertTrue(got.remove("shop.sessions").startsWith("0:"), "unlogged rows are not copied");
                }
                assertEquals(expected, got, "database " + db + " table for table");
            }
            PgAmcheck.run("127.0.0.1", prod.getPort(), "postgres", pw);

            int proxy = up.proxy().orElseThrow().port();
            try (Connection alice = proxied(proxy, "app", "prod", "alice", SourceData.ALICE_PASSWORD)) {
                assertEquals("1000", one(alice, "SELECT count(*) FROM shop.notes"), "row-level security came along");
            }
            try (Connection bob = proxied(proxy, "app", "prod", "bob", SourceData.BOB_PASSWORD)) {
                assertEquals("bob", one(bob, "SELECT current_user"), "an MD5-stored password logs in");
            }
            SQLException wrong = assertThrows(SQLException.class, () -> proxied(proxy, "app", "prod", "alice", "nope"));
            assertEquals("28P01", wrong.getSQLState());

            Cli.Result child = sprout(up, "branch", "create", "prod-fix", "--from", "prod");
            assertEquals(0, child.exit(), child.toString());
            try (Connection c = proxied(proxy, "app", "prod-fix", "postgres", pw)) {
                exec(c, "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid <= 1000");
                exec(c, "CREATE TABLE shop.made_on_branch AS SELECT 1 AS x");
                assertEquals("1000", one(c, "SELECT count(*) FROM pgbench_accounts WHERE abalance = 1"));
            }
            assertEquals(before, sourceChecksums(), "the source is untouched");
            awaitNoSlots("the temporary slot goes with the importer's session");
            assertEquals(
                    0,
                    Json.parse(
                                    Cli.get(up, "/v1/imports").body().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                                    dev.sprout.protocol.v1.ImportList.newBuilder())
                            .getImportsCount(),
                    "no import left under way");
        }
    }

    @Test
    void aRefreshMovesTheNameAndBranchesOfTheOldImportKeepTheirData() throws Exception {
        Path data = Files.createDirectories(work.resolve("sprout-b"));
        try (LocalStack up = LocalStack.startWithCompute(data, 0, 0, 0)) {
            String pw = LocalStack.password(up.dataDir());
            int proxy = up.proxy().orElseThrow().port();
            try (Connection main = proxied(proxy, "postgres", "main", "postgres", pw)) {
                exec(main, "CREATE TABLE made_by_initdb_main AS SELECT 42 AS answer");
                exec(main, "CHECKPOINT");
            }
            source.execute(
                    "app", "CREATE TABLE IF NOT EXISTS shop.refresh_marker (x int)", "TRUNCATE shop.refresh_marker");
            Cli.Result first = sprout(up, "import", source.url("postgres", SOURCE_PASSWORD, "postgres"));
            assertEquals(0, first.exit(), first.toString());
            assertTrue(first.out().contains("main's previous state is branch main-backup-"), first.toString());
            try (Connection main = proxied(proxy, "app", "main", "postgres", pw)) {
                assertEquals("3000", one(main, "SELECT count(*) FROM shop.products"), "main is the import");
            }
            String backup = up.control().list().stream()
                    .map(v -> v.branch().name())
                    .filter(n -> n.startsWith("main-backup-"))
                    .findFirst()
                    .orElseThrow();
            try (Connection old = proxied(proxy, "postgres", backup, "postgres", pw)) {
                assertEquals("42", one(old, "SELECT answer FROM made_by_initdb_main"), "nothing lost");
            }
            assertEquals(
                    0, sprout(up, "branch", "create", "dev", "--from", "main").exit());

            source.execute("app", "INSERT INTO shop.refresh_marker VALUES (1)");
            Cli.Result refresh = sprout(up, "import", source.url("postgres", SOURCE_PASSWORD, "postgres"), "--refresh");
            assertEquals(0, refresh.exit(), refresh.toString());
            try (Connection main = proxied(proxy, "app", "main", "postgres", pw)) {
                assertEquals("1", one(main, "SELECT count(*) FROM shop.refresh_marker"));
            }
            try (Connection dev = proxied(proxy, "app", "dev", "postgres", pw)) {
                assertEquals(
                        "0",
                        one(dev, "SELECT count(*) FROM shop.refresh_marker"),
                        "a branch of the old import keeps the old data");
            }
            assertNotEquals(
                    up.control().get("main").branch().timeline(),
                    up.control().get("dev").branch().timeline());
            assertTrue(
                    up.control().get("dev").branch().parent().orElseThrow().startsWith("main-backup-"),
                    "dev hangs under the backup of the main it was made from");
        }
    }

    @Test
    void everyRefusalIsASentenceAndChangesNothing() throws Exception {
        Path data = Files.createDirectories(work.resolve("sprout-c"));
        try (LocalStack up = LocalStack.startWithCompute(data, 0, 0, 0)) {
            int timelines = up.control().list().size();
            Cli.Result unreachable =
                    sprout(up, "import", "postgresql://postgres:x@127.0.0.1:1/postgres", "--connect-timeout", "2");
            assertEquals(1, unreachable.exit(), unreachable.toString());
            assertTrue(
                    unreachable.err().contains("cannot reach the source PostgreSQL at 127.0.0.1:1"), unreachable.err());

            Cli.Result wrong = sprout(up, "import", source.url("repl", "not-it", "postgres"), "--branch", "x");
            assertEquals(1, wrong.exit(), wrong.toString());
            assertTrue(wrong.err().contains("refused the password of role repl"), wrong.err());
            assertFalse(wrong.err().contains("not-it"), "the password is never repeated");

            Cli.Result plain = sprout(up, "import", source.url("plain", "plain-pw", "postgres"), "--branch", "x");
            assertEquals(1, plain.exit(), plain.toString());
            assertTrue(plain.err().contains("ALTER ROLE plain REPLICATION;"), plain.err());

            Cli.Result noDb = sprout(up, "import", source.url("repl", "repl-pw", "nope"), "--branch", "x");
            assertEquals(1, noDb.exit(), noDb.toString());
            assertTrue(noDb.err().contains("database \"nope\" does not exist"), noDb.err());

            Cli.Result exists = sprout(up, "import", source.url("repl", "repl-pw", "postgres"), "--branch", "main");
            assertEquals(Sprout.EXIT_REFUSED, exists.exit(), exists.toString());
            assertTrue(exists.err().contains("branch \"main\" already exists"), exists.err());

            Cli.Result nothingToRefresh =
                    sprout(up, "import", source.url("repl", "repl-pw", "postgres"), "--branch", "y", "--refresh");
            assertEquals(Sprout.EXIT_REFUSED, nothingToRefresh.exit(), nothingToRefresh.toString());
            assertTrue(nothingToRefresh.err().contains("nothing to refresh"), nothingToRefresh.err());

            Cli.Result badUrl = sprout(up, "import", "mysql://root@localhost/x");
            assertEquals(2, badUrl.exit(), badUrl.toString());
            assertTrue(badUrl.err().contains("postgresql://"), badUrl.err());

            source.restart(Map.of("wal_level", "minimal", "max_wal_senders", "0"));
            try {
                Cli.Result minimal = sprout(up, "import", source.url("repl", "repl-pw", "postgres"), "--branch", "x");
                assertEquals(1, minimal.exit(), minimal.toString());
                assertTrue(minimal.err().contains("wal_level is minimal"), minimal.err());
            } finally {
                source.restart(Map.of());
            }
            assertEquals(timelines, up.control().list().size(), "no branch was made");
            assertEquals(List.of(), up.control().imports(), "no import left under way");
        }
    }

    @Test
    void anImporterKilledMidStreamLeavesNoBranchAndTheRestartSaysWhatItRemoved() throws Exception {
        Path data = Files.createDirectories(work.resolve("sprout-d"));
        LocalStack up = LocalStack.startWithCompute(data, 0, 0, 0);
        int http = up.httpPort();
        int page = up.pagePort();
        try {
            Process importer = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "--sun-misc-unsafe-memory-access=allow",
                            "--enable-native-access=ALL-UNNAMED",
                            "-cp",
                            System.getProperty("java.class.path"),
                            Sprout.class.getName(),
                            "import",
                            source.url("repl", "repl-pw", "postgres"),
                            "--branch",
                            "half",
                            "--http-port",
                            Integer.toString(http),
                            "--data-dir",
                            data.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(work.resolve("importer.log").toFile())
                    .start();
            try {
                long deadline = System.nanoTime() + 120_000_000_000L;
                while (up.control().imports().isEmpty() || !streaming()) {
                    assertTrue(importer.isAlive(), () -> "the importer ended early: " + log());
                    assertTrue(System.nanoTime() < deadline, () -> "the import never began streaming: " + log());
                    Thread.sleep(20);
                }
            } finally {
                importer.destroyForcibly().waitFor();
            }
            assertEquals(1, up.control().imports().size(), "killed mid-stream: the import is still under way");
            Cli.Result status = sprout(up, "status");
            assertTrue(
                    status.out().contains("import under way: into branch half from postgresql://repl@"),
                    status.toString());
            assertTrue(up.control().list().stream()
                    .noneMatch(v -> v.branch().name().equals("half")));
            up.close();
            up = LocalStack.startWithCompute(data, page, http, 0);
            assertEquals(List.of(), up.control().imports(), "the restart removed it");
            assertTrue(up.control().list().stream()
                    .noneMatch(v -> v.branch().name().equals("half")));
            awaitNoSlots("the slot went with the killed importer's session");

            Cli.Result next = sprout(up, "import", source.url("repl", "repl-pw", "postgres"), "--branch", "whole");
            assertEquals(0, next.exit(), next.toString());
            assertTrue(
                    next.err().contains("the import into branch \"half\"")
                            && next.err().contains("did not finish before Sprout stopped; its partial timeline"),
                    next.err());
        } finally {
            up.close();
        }
    }

    /** Whether the killed importer's log says it is streaming the base backup into the store. */
    private static boolean streaming() {
        return log().contains("streaming a base backup");
    }

    private static String log() {
        try {
            return Files.readString(work.resolve("importer.log"));
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static Cli.Result sprout(LocalStack up, String... args) {
        String[] all = Stream.concat(
                        Stream.of(args),
                        Stream.of(
                                "--http-port",
                                Integer.toString(up.httpPort()),
                                "--data-dir",
                                up.dataDir().toString()))
                .toArray(String[]::new);
        return Cli.sprout(all);
    }

    private static Map<String, Map<String, String>> sourceChecksums() throws SQLException {
        return TableChecksums.allDatabases("127.0.0.1", source.port(), "postgres", SOURCE_PASSWORD);
    }

    /** The source ends a session (and drops its temporary slot) a moment after its client goes. */
    private static void awaitNoSlots(String why) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!sourceOne("SELECT count(*) FROM pg_replication_slots").equals("0")) {
            assertTrue(System.nanoTime() < deadline, why);
            Thread.sleep(50);
        }
    }

    private static String sourceOne(String sql) throws SQLException {
        try (Connection c = source.connect("postgres")) {
            return one(c, sql);
        }
    }

    private static Connection proxied(int port, String db, String branch, String user, String password)
            throws SQLException {
        return DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + port + "/" + db + "?sslmode=disable&options=branch%3D" + branch,
                user,
                password);
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
