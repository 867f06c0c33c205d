package dev.sprout.cli;

import static dev.sprout.testkit.Sql.exec;
import static dev.sprout.testkit.Sql.queryLong;
import static dev.sprout.testkit.Sql.queryString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.cli.imports.PgAmcheck;
import dev.sprout.cli.imports.SourceCluster;
import dev.sprout.cli.imports.SourceData;
import dev.sprout.cli.imports.TableChecksums;
import dev.sprout.http.Json;
import dev.sprout.protocol.v1.ImportList;
import dev.sprout.protocol.v1.ImportSummary;
import dev.sprout.protocol.v1.LogicalDatabase;
import dev.sprout.testkit.Ports;
import dev.sprout.testkit.Sql;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code sprout import --logical} against the real parts: a source PostgreSQL on local disk ({@link SourceCluster})
 * holding the object zoo and pgbench scale 1, a Sprout with computes and the proxy, the CLI run in-process.
 *
 * <ul>
 *   <li>Refusals before anything changes (an unreachable source, a wrong password, a database that does not exist)
 *       and a failure after the import's compute started (pg_dump finds no table to dump): exit 1, a sentence, and
 *       afterwards no branch and no pending import.
 *   <li>The whole source as branch {@code logi}: every table's checksum equal on both sides, sequences included.
 *       A logical restore legitimately changes none of what the checksums cover: unlogged tables carry their rows
 *       (unlike a base backup), a materialized view never refreshed stays unpopulated. What it does change and the
 *       checksums do not see: physical placement (ctid, xmin), OIDs, planner statistics (no ANALYZE), and the
 *       templates (template1's own objects are not carried). The roles come along (alice logs in through the proxy
 *       with her password; repl keeps REPLICATION); postgres keeps Sprout's password; pg_amcheck finds the branch
 *       clean; a branch of it takes writes.
 *   <li>A role that is no superuser (alice) imports a table it owns: role passwords are not carried (a note).
 *   <li>{@code --table shop.customers} of database app: that table alone, with the schema, types and extensions it
 *       needs.
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LogicalImportTest {
    private static final String SOURCE_PASSWORD = "source-pw";

    private Path root;
    private Path data;
    private SourceCluster source;
    private LocalStack up;
    private String http;
    private String password;
    private Set<String> dumpDirsBefore;

    @BeforeAll
    void start() throws Exception {
        long t = System.nanoTime();
        root = Files.createDirectories(Path.of("/tmp", "sprout-logitest-" + UUID.randomUUID()));
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        source = SourceCluster.start(root.resolve("source"), SOURCE_PASSWORD, Map.of());
        SourceData.loadObjectZoo(source);
        SourceData.loadPgbench(source, "app", 1);
        source.execute("app", "ANALYZE");
        data = Files.createDirectories(root.resolve("sprout"));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        up = LocalStack.startWithCompute(data, 0, 0, 0);
        http = Integer.toString(up.httpPort());
        password = LocalStack.password(up.dataDir());
        dumpDirsBefore = dumpDirs();
        System.out.printf("source loaded and Sprout up in %d ms%n", (System.nanoTime() - t) / 1_000_000);
    }

    @AfterAll
    void stop() throws IOException {
        try {
            if (up != null) {
                up.close();
            }
        } finally {
            try {
                if (source != null) {
                    source.close();
                }
            } finally {
                try (Stream<Path> walk = Files.walk(root)) {
                    walk.sorted(Comparator.reverseOrder())
                            .forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    @Test
    @Order(1)
    void refusalsLeaveNoBranchAndNoPendingImport() throws Exception {
        int nobody = Ports.free();
        Cli.Result unreachable = importLogical("postgresql://postgres@127.0.0.1:" + nobody + "/", "--branch", "r1");
        assertEquals(Sprout.EXIT_REFUSED, unreachable.exit(), unreachable.toString());
        assertTrue(
                unreachable.err().contains("cannot reach the source PostgreSQL at 127.0.0.1:" + nobody),
                unreachable.toString());
        assertNothingLeft();

        Cli.Result wrong = importLogical(source.url("postgres", "not-the-password", ""), "--branch", "r2");
        assertEquals(Sprout.EXIT_REFUSED, wrong.exit(), wrong.toString());
        assertTrue(wrong.err().contains("refused the password of role postgres"), wrong.toString());
        assertFalse(wrong.err().contains("not-the-password"), "the password is never printed: " + wrong);
        assertNothingLeft();

        Cli.Result noDb = importLogical(source.url("postgres", SOURCE_PASSWORD, "nosuchdb"), "--branch", "r3");
        assertEquals(Sprout.EXIT_REFUSED, noDb.exit(), noDb.toString());
        assertTrue(noDb.err().contains("database \"nosuchdb\" does not exist on the source"), noDb.toString());
        assertNothingLeft();

        Cli.Result usage = importLogical(source.url("postgres", SOURCE_PASSWORD, ""), "--table", "shop.customers");
        assertEquals(2, usage.exit(), usage.toString());
        assertTrue(usage.err().contains("name it in the URL"), usage.toString());
        assertNothingLeft();

        // after the import's compute started: pg_dump fails, the import is aborted
        Cli.Result failed = importLogical(
                source.url("postgres", SOURCE_PASSWORD, "app"), "--branch", "r4", "--table", "nosuch.table");
        assertEquals(Sprout.EXIT_REFUSED, failed.exit(), failed.toString());
        assertTrue(failed.err().contains("pg_dump of database app"), failed.toString());
        assertTrue(failed.err().contains("no matching tables were found"), failed.toString());
        assertTrue(failed.err().contains("starting a new cluster"), "it failed after the compute started: " + failed);
        assertNothingLeft();
    }

    @Test
    @Order(2)
    void theWholeSourceBecomesABranch() throws Exception {
        long t = System.nanoTime();
        Cli.Result imported =
                importLogical(source.url("postgres", SOURCE_PASSWORD, ""), "--branch", "logi", "--jobs", "2", "--json");
        long took = (System.nanoTime() - t) / 1_000_000;
        assertEquals(0, imported.exit(), imported.toString());
        System.out.printf("logical import of the zoo and pgbench -s 1 took %d ms%n", took);
        System.out.println(imported.err());
        System.out.println(imported.out());
        ImportSummary summary = Json.parse(imported.out().getBytes(StandardCharsets.UTF_8), ImportSummary.newBuilder())
                .build();
        assertTrue(summary.getLogical());
        assertEquals("logi", summary.getBranch());
        assertEquals(
                List.of("postgres", "analytics", "app"),
                summary.getDatabasesList().stream()
                        .map(LogicalDatabase::getName)
                        .toList());
        assertEquals(
                List.of(false, true, true),
                summary.getDatabasesList().stream()
                        .map(LogicalDatabase::getCreated)
                        .toList());
        assertTrue(
                summary.getRolesCreatedList().containsAll(List.of("alice", "bob", "app_owner", "repl", "plain")),
                summary.toString());
        assertFalse(summary.getRolesCreatedList().contains("postgres"), summary.toString());
        assertEquals(List.of(), summary.getNotesList(), "nothing left out");
        assertTrue(imported.err().contains("app: restoring public.pgbench_accounts ("), imported.err());
        assertTrue(imported.err().contains("app: dumped shop.customers ("), imported.err());
        assertEquals(dumpDirsBefore, dumpDirs(), "the dumps are removed");
        assertNoPendingImport();

        InetSocketAddress compute = up.control().wake("logi");
        Map<String, Map<String, String>> before =
                TableChecksums.allDatabases("127.0.0.1", source.port(), Sql.SUPERUSER, SOURCE_PASSWORD);
        Map<String, Map<String, String>> after =
                TableChecksums.allDatabases("127.0.0.1", compute.getPort(), Sql.SUPERUSER, password);
        assertEquals(before.keySet(), after.keySet());
        for (String db : before.keySet()) {
            assertEquals(before.get(db), after.get(db), "database " + db);
        }
        assertTrue(
                after.get("app").get("shop.invoice_no(sequence)").endsWith("is_called=true"),
                "a sequence past its start");
        assertEquals(
                "last_value=1 is_called=false",
                after.get("app").get("shop.unused_seq(sequence)"),
                "a sequence never called");
        assertTrue(after.get("app").get("shop.sessions").startsWith("3000:"), "the unlogged table carries its rows");

        try (Connection c = DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + compute.getPort() + "/postgres", Sql.SUPERUSER, password)) {
            assertEquals("true", queryString(c, "SELECT rolreplication::text FROM pg_roles WHERE rolname = 'repl'"));
            assertEquals("false", queryString(c, "SELECT rolcanlogin::text FROM pg_roles WHERE rolname = 'app_owner'"));
            assertEquals(
                    "app_owner",
                    queryString(c, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'app'"));
            assertEquals(
                    "The shop: schemas shop and audit, pgbench in public",
                    queryString(
                            c,
                            "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
                                    + " WHERE datname = 'app'"));
        }
        int pg = up.proxy().orElseThrow().port();
        try (Connection alice = proxy(pg, "logi", "app", "alice", SourceData.ALICE_PASSWORD)) {
            assertEquals("alice", queryString(alice, "SELECT current_user"));
            assertEquals("shop, public", queryString(alice, "SHOW search_path"), "her role's settings");
            assertEquals(4000, queryLong(alice, "SELECT count(*) FROM shop.customers"), "her grants");
            assertEquals("8MB", queryString(alice, "SHOW work_mem"), "the database's settings");
        }
        SQLException refused = assertThrows(
                SQLException.class,
                () -> proxy(pg, "logi", "postgres", "postgres", SOURCE_PASSWORD).close());
        assertEquals("28P01", refused.getSQLState(), "postgres keeps Sprout's password, not the source's");

        t = System.nanoTime();
        String amcheck = PgAmcheck.run("127.0.0.1", compute.getPort(), Sql.SUPERUSER, password);
        System.out.printf("pg_amcheck on the branch in %d ms%n", (System.nanoTime() - t) / 1_000_000);
        assertTrue(amcheck.contains("checking btree index \"app.public.pgbench_accounts_pkey\""), amcheck);

        Cli.Result child = Cli.sprout(
                "branch", "create", "logi-dev", "--from", "logi", "--http-port", http, "--data-dir", data.toString());
        assertEquals(0, child.exit(), child.toString());
        try (Connection dev = proxy(pg, "logi-dev", "app", Sql.SUPERUSER, password)) {
            exec(dev, "INSERT INTO shop.notes VALUES (100000, 'alice', 'written on a branch of the import')");
            exec(dev, "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 1");
            assertEquals(3001, queryLong(dev, "SELECT count(*) FROM shop.notes"));
        }
        try (Connection logi = proxy(pg, "logi", "app", Sql.SUPERUSER, password)) {
            assertEquals(3000, queryLong(logi, "SELECT count(*) FROM shop.notes"), "the import is unchanged");
        }
    }

    @Test
    @Order(3)
    void aTableAloneWithWhatItNeeds() throws Exception {
        Cli.Result imported = importLogical(
                source.url("postgres", SOURCE_PASSWORD, "app"),
                "--branch",
                "logi-customers",
                "--table",
                "shop.customers",
                "--json");
        assertEquals(0, imported.exit(), imported.toString());
        System.out.println(imported.err());
        ImportSummary summary = Json.parse(imported.out().getBytes(StandardCharsets.UTF_8), ImportSummary.newBuilder())
                .build();
        assertEquals(
                List.of("app"),
                summary.getDatabasesList().stream()
                        .map(LogicalDatabase::getName)
                        .toList());
        assertEquals(1, summary.getDatabases(0).getTables());
        assertEquals(List.of(), summary.getNotesList(), "every definition of app came along");

        InetSocketAddress compute = up.control().wake("logi-customers");
        Map<String, String> before = TableChecksums.of(source.jdbcUrl("app"), Sql.SUPERUSER, SOURCE_PASSWORD);
        Map<String, String> after =
                TableChecksums.of("jdbc:postgresql://127.0.0.1:" + compute.getPort() + "/app", Sql.SUPERUSER, password);
        assertEquals(
                Set.of("shop.customers", "shop.customers_id_seq(sequence)"),
                after.keySet(),
                "that table alone, and its identity sequence");
        for (String table : after.keySet()) {
            assertEquals(before.get(table), after.get(table), table);
        }
        try (Connection c = DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + compute.getPort() + "/postgres", Sql.SUPERUSER, password)) {
            Set<String> databases =
                    new TreeSet<>(List.of(queryString(c, "SELECT string_agg(datname, ',') FROM pg_database")
                            .split(",")));
            assertEquals(Set.of("postgres", "app", "template0", "template1"), databases);
        }
        try (Connection c = DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + compute.getPort() + "/app", Sql.SUPERUSER, password)) {
            assertTrue(
                    queryString(c, "SELECT shop.customer_label(c) FROM shop.customers c WHERE id = 1")
                            .endsWith(" <Customer1@Example.com>"),
                    "a function over the table's rows, restored after it");
            assertEquals("app_owner", queryString(c, "SELECT tableowner FROM pg_tables WHERE tablename = 'customers'"));
            assertEquals(
                    0,
                    queryLong(
                            c,
                            "SELECT count(*) FROM pg_tables WHERE schemaname = 'shop'"
                                    + " AND tablename <> 'customers'"),
                    "no other table of shop");
        }
        assertNoPendingImport();
    }

    @Test
    @Order(4)
    void aRoleThatIsNoSuperuserImportsWhatItMayRead() throws Exception {
        Cli.Result imported = importLogical(
                source.url("alice", SourceData.ALICE_PASSWORD, "analytics"),
                "--branch",
                "logi-alice",
                "--table",
                "public.page_views",
                "--json");
        assertEquals(0, imported.exit(), imported.toString());
        ImportSummary summary = Json.parse(imported.out().getBytes(StandardCharsets.UTF_8), ImportSummary.newBuilder())
                .build();
        assertTrue(
                summary.getNotesList().stream().anyMatch(n -> n.startsWith("role passwords were not carried")),
                summary.getNotesList().toString());
        assertTrue(summary.getRolesCreatedList().contains("alice"), summary.toString());
        InetSocketAddress compute = up.control().wake("logi-alice");
        assertEquals(
                TableChecksums.of(source.jdbcUrl("analytics"), Sql.SUPERUSER, SOURCE_PASSWORD)
                        .get("public.page_views"),
                TableChecksums.of(
                                "jdbc:postgresql://127.0.0.1:" + compute.getPort() + "/analytics",
                                Sql.SUPERUSER,
                                password)
                        .get("public.page_views"));
        try (Connection c = DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + compute.getPort() + "/analytics", Sql.SUPERUSER, password)) {
            assertEquals("alice", queryString(c, "SELECT tableowner FROM pg_tables WHERE tablename = 'page_views'"));
            assertEquals(
                    "true",
                    queryString(c, "SELECT (rolpassword IS NULL)::text FROM pg_authid WHERE rolname = 'alice'"));
        }
        assertNoPendingImport();
    }

    private Cli.Result importLogical(String url, String... more) {
        List<String> args = new ArrayList<>(List.of("import", "--logical", url));
        args.addAll(List.of(more));
        args.addAll(List.of("--http-port", http, "--data-dir", data.toString()));
        return Cli.sprout(args.toArray(String[]::new));
    }

    /** No branch but main and the imports that succeeded, no pending import. */
    private void assertNothingLeft() throws Exception {
        Set<String> branches =
                up.control().list().stream().map(b -> b.branch().name()).collect(Collectors.toCollection(TreeSet::new));
        assertTrue(branches.stream().noneMatch(b -> b.startsWith("r")), "a refused import left no branch: " + branches);
        assertNoPendingImport();
        assertEquals(dumpDirsBefore, dumpDirs(), "no dump directory is left");
    }

    private void assertNoPendingImport() throws Exception {
        HttpResponse<String> list = Cli.get(up, "/v1/imports");
        assertEquals(200, list.statusCode(), list.body());
        assertEquals(
                0,
                Json.parse(list.body().getBytes(StandardCharsets.UTF_8), ImportList.newBuilder())
                        .build()
                        .getImportsCount(),
                list.body());
        assertEquals(List.of(), up.control().imports());
    }

    private static Set<String> dumpDirs() throws IOException {
        try (Stream<Path> tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return tmp.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("sprout-logical-"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static Connection proxy(int port, String branch, String database, String user, String password)
            throws SQLException {
        return DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?sslmode=disable&options=branch%3D" + branch,
                user,
                password);
    }
}
