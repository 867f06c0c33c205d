package dev.sprout.cli.imports;

import static dev.sprout.testkit.Sql.queryLong;
import static dev.sprout.testkit.Sql.queryString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.testkit.Sql;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The import tests' source database works as they need it to: it starts in a JUnit temporary directory with
 * SCRAM-SHA-256 everywhere (replication from 127.0.0.1 included), takes the object zoo and pgbench, its
 * checksums are stable and see a one-row change in exactly one table (and duplicate rows), pg_amcheck finds it
 * clean, it restarts with other settings on the same data, and when closed no process of it is left.
 */
class SourceClusterTest {
    private static final String PASSWORD = "source-pw with spaces & symbols:@/";

    @TempDir
    Path tmp;

    @Test
    void theSourceFixtureLoadsChecksumsChecksAndCleansUp() throws Exception {
        long began = System.nanoTime();
        Path dataDir;
        try (SourceCluster pg = SourceCluster.start(tmp.resolve("source"), PASSWORD, Map.of())) {
            dataDir = pg.dataDir();
            assertTrue(processesOf(dataDir).size() > 1, "a postmaster and its processes run on " + dataDir);
            assertTrue(
                    Files.readAllLines(dataDir.resolve("pg_hba.conf")).stream()
                            .anyMatch(l -> l.strip()
                                    .matches("host\\s+replication\\s+all\\s+127\\.0\\.0\\.1/32\\s+scram-sha-256")),
                    "pg_hba.conf lets replication connections in from 127.0.0.1 with SCRAM-SHA-256");
            assertEquals("jdbc:postgresql://127.0.0.1:" + pg.port() + "/app", pg.jdbcUrl("app"));
            assertEquals(
                    "postgresql://postgres:source-pw%20with%20spaces%20%26%20symbols%3A%40%2F@127.0.0.1:" + pg.port()
                            + "/app",
                    pg.url("postgres", PASSWORD, "app"));
            assertEquals("postgresql://repl@127.0.0.1:" + pg.port() + "/postgres", pg.url("repl", "postgres"));

            long t = System.nanoTime();
            SourceData.loadObjectZoo(pg);
            SourceData.loadPgbench(pg, "app", 1);
            System.out.printf("zoo and pgbench -s 1 loaded in %d ms%n", (System.nanoTime() - t) / 1_000_000);
            checkZoo(pg);

            t = System.nanoTime();
            Map<String, Map<String, String>> first = all(pg);
            System.out.printf("checksums of all databases in %d ms%n", (System.nanoTime() - t) / 1_000_000);
            assertEquals(Set.of("postgres", "app", "analytics"), first.keySet());
            checkCoverage(first);
            assertEquals(first, all(pg), "a second read gives the same checksums");
            assertEquals(
                    first.get("app"), TableChecksums.of(pg.jdbcUrl("app"), Sql.SUPERUSER, PASSWORD), "of(url) alike");

            pg.execute("app", "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 4242");
            Map<String, Map<String, String>> changed = all(pg);
            assertEquals(List.of("app/public.pgbench_accounts"), differences(first, changed));
            checkDuplicateRows(pg);

            t = System.nanoTime();
            String amcheck = PgAmcheck.run("127.0.0.1", pg.port(), Sql.SUPERUSER, PASSWORD);
            System.out.printf("pg_amcheck in %d ms%n", (System.nanoTime() - t) / 1_000_000);
            for (String checked : List.of(
                    "checking heap table \"app.shop.products\"",
                    "checking heap table \"app.shop.sessions\"",
                    "checking heap table \"app.shop.events_2024_h2_clicks\"",
                    "checking btree index \"app.public.pgbench_accounts_pkey\"",
                    "checking btree index \"app.shop.orders_new_by_customer\"",
                    "checking heap table \"analytics.public.page_views\"",
                    "checking heap table \"postgres.public.source_marker\"")) {
                assertTrue(amcheck.contains(checked), "pg_amcheck did not report " + checked + ":\n" + amcheck);
            }
            AssertionError notThere = assertThrows(
                    AssertionError.class, () -> PgAmcheck.run("127.0.0.1", pg.port(), Sql.SUPERUSER, "wrong"));
            assertTrue(notThere.getMessage().contains("exited with"), notThere.getMessage());

            Map<String, Map<String, String>> beforeRestart = all(pg);
            pg.restart(Map.of("wal_level", "minimal", "max_wal_senders", "0"));
            try (Connection c = pg.connect("postgres")) {
                assertEquals("minimal", queryString(c, "SHOW wal_level"));
                assertEquals("0", queryString(c, "SHOW max_wal_senders"));
            }
            assertEquals(beforeRestart, all(pg), "a restart keeps every row, unlogged ones included");
            pg.restart(Map.of());
            try (Connection c = pg.connect("postgres")) {
                assertEquals("replica", queryString(c, "SHOW wal_level"));
            }
            assertTrue(Files.readString(pg.logFile()).contains("database system is ready to accept connections"));
        }
        assertEquals(List.of(), processesOf(dataDir), "no process of " + dataDir + " is left after close");
        System.out.printf("SourceClusterTest took %d ms%n", (System.nanoTime() - began) / 1_000_000);
    }

    @Test
    void closeIsIdempotentAndAFailedStartLeavesNothing() throws Exception {
        SourceCluster pg = SourceCluster.start(tmp.resolve("twice"), PASSWORD, Map.of("shared_buffers", "16MB"));
        Path dataDir = pg.dataDir();
        pg.close();
        pg.close();
        assertEquals(List.of(), processesOf(dataDir));
        assertThrows(IllegalStateException.class, () -> pg.restart(Map.of()));

        Path bad = tmp.resolve("bad");
        RuntimeException refused = assertThrows(
                RuntimeException.class, () -> SourceCluster.start(bad, PASSWORD, Map.of("wal_level", "minimal")));
        assertTrue(refused.getMessage().contains("max_wal_senders"), refused.getMessage());
        assertEquals(List.of(), processesOf(bad.resolve("data")));
    }

    /** Roles, passwords and the objects the import must carry over. */
    private static void checkZoo(SourceCluster pg) throws SQLException {
        try (Connection c = pg.connect("postgres")) {
            assertTrue(queryString(c, "SELECT rolpassword FROM pg_authid WHERE rolname = 'alice'")
                    .startsWith("SCRAM-SHA-256$"));
            assertTrue(queryString(c, "SELECT rolpassword FROM pg_authid WHERE rolname = 'bob'")
                    .startsWith("md5"));
            assertEquals("f", role(c, "app_owner", "rolcanlogin"));
            assertEquals("t", role(c, "repl", "rolreplication"));
            assertEquals("t", role(c, "repl", "rolcanlogin"));
            assertEquals("f", role(c, "plain", "rolreplication"));
            assertEquals("t", role(c, "alice", "pg_has_role('alice', 'app_owner', 'MEMBER')"));
            assertEquals(2000, queryLong(c, "SELECT count(*) FROM public.source_marker"));
        }
        try (Connection alice = login(pg, "app", "alice", SourceData.ALICE_PASSWORD)) {
            assertEquals("shop, public", queryString(alice, "SHOW search_path"));
            assertEquals(6000, queryLong(alice, "SELECT count(*) FROM orders"));
            assertEquals(1000, queryLong(alice, "SELECT count(*) FROM notes"), "row-level security: her notes only");
        }
        // SCRAM-SHA-256 in pg_hba.conf cannot check a password stored as MD5.
        SQLException bob = assertThrows(
                SQLException.class,
                () -> login(pg, "app", "bob", SourceData.BOB_PASSWORD).close());
        assertEquals("28P01", bob.getSQLState(), bob.getMessage());
        try (Connection plain = login(pg, "app", "plain", SourceData.PLAIN_PASSWORD)) {
            assertEquals(3000, queryLong(plain, "SELECT count(*) FROM shop.products"));
        }
        try (Connection repl = replication(pg, "repl", SourceData.REPL_PASSWORD)) {
            assertTrue(queryString(repl, "IDENTIFY_SYSTEM").matches("\\d+"), "a physical replication connection");
        }
        SQLException plain = assertThrows(
                SQLException.class,
                () -> replication(pg, "plain", SourceData.PLAIN_PASSWORD).close());
        assertTrue(plain.getMessage().contains("replication"), plain.getMessage());

        try (Connection c = pg.connect("app")) {
            Set<String> extensions = new TreeSet<>();
            for (String e : SourceData.EXTENSIONS) {
                if (queryLong(c, "SELECT count(*) FROM pg_extension WHERE extname = '" + e + "'") == 1) {
                    extensions.add(e);
                }
            }
            System.out.println("extensions in app: " + extensions);
            assertEquals("app_owner", queryString(c, "SELECT tableowner FROM pg_tables WHERE tablename = 'orders'"));
            assertTrue(queryLong(c, "SELECT count(*) FROM shop.products WHERE octet_length(description) > 8192") > 900);
            long toast = queryLong(
                    c, "SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE oid = 'shop.products'::regclass");
            System.out.printf("the TOAST table of shop.products: %d bytes%n", toast);
            assertTrue(toast > 4_000_000, "the TOAST table of shop.products holds megabytes: " + toast);
            assertEquals(2, queryLong(c, "SELECT count(*) FROM pg_matviews WHERE schemaname = 'shop'"));
            assertEquals(
                    "u", queryString(c, "SELECT relpersistence FROM pg_class WHERE oid = 'shop.sessions'::regclass"));
            assertTrue(queryLong(c, "SELECT count(*) FROM audit.order_changes") > 400, "the trigger fired");
            assertEquals(
                    1,
                    queryLong(
                            c,
                            "SELECT count(*) FROM pg_class WHERE oid = 'shop.notes'::regclass"
                                    + " AND relrowsecurity AND relforcerowsecurity"));
            assertEquals(100_000, queryLong(c, "SELECT count(*) FROM pgbench_accounts"));
            for (String kind : List.of("btree", "gin", "gist", "hash", "brin")) {
                assertTrue(
                        queryLong(
                                        c,
                                        "SELECT count(*) FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid"
                                                + " JOIN pg_am a ON a.oid = x.relam JOIN pg_namespace n"
                                                + " ON n.oid = x.relnamespace WHERE n.nspname = 'shop' AND a.amname = '"
                                                + kind + "'")
                                > 0,
                        "a " + kind + " index in schema shop");
            }
        }
        try (Connection c = pg.connect("analytics")) {
            assertEquals(50_000, queryLong(c, "SELECT count(*) FROM page_views"));
        }
    }

    /** Every kind of relation the checksums must cover is there, and nothing that holds no rows of its own. */
    private static void checkCoverage(Map<String, Map<String, String>> sums) {
        Map<String, String> app = sums.get("app");
        for (String name : List.of(
                "shop.customers",
                "shop.products",
                "shop.orders",
                "shop.order_lines",
                "shop.events_2024_h1",
                "shop.events_2024_h2_clicks",
                "shop.events_2024_h2_other",
                "shop.events_later",
                "shop.carts_0",
                "shop.notes",
                "shop.sessions",
                "shop.daily_sales",
                "shop.nothing_yet",
                "shop.no_columns",
                "public.raw_imports",
                "public.pgbench_accounts",
                "public.pgbench_history",
                "audit.order_changes")) {
            assertTrue(app.containsKey(name), "no checksum of " + name + " in " + app.keySet());
        }
        for (String absent : List.of("shop.events", "shop.events_2024_h2", "shop.carts", "shop.order_summary")) {
            assertFalse(app.containsKey(absent), absent + " holds no rows of its own");
        }
        assertEquals("3000:", app.get("shop.sessions").substring(0, 5), "the unlogged table is checksummed");
        assertEquals("0:", app.get("shop.nothing_yet").substring(0, 2));
        assertEquals("5:", app.get("shop.no_columns").substring(0, 2));
        assertEquals(TableChecksums.UNPOPULATED, app.get("shop.pending_report"));
        assertEquals("last_value=22287 is_called=true", app.get("shop.invoice_no(sequence)"));
        assertEquals("last_value=1 is_called=false", app.get("shop.unused_seq(sequence)"));
        assertTrue(app.containsKey("shop.orders_id_seq(sequence)"), "an identity column's sequence");
        assertEquals("50000:", sums.get("analytics").get("public.page_views").substring(0, 6));
        assertTrue(sums.get("postgres").containsKey("public.source_marker"));
    }

    /**
     * The checksum is of the rows as a multiset: the same rows in another physical order sum alike, and one row
     * there twice instead of another (same count) does not.
     */
    private static void checkDuplicateRows(SourceCluster pg) throws SQLException {
        pg.execute(
                "postgres",
                "CREATE TABLE dup_a (x integer, y text)",
                "CREATE TABLE dup_b (x integer, y text)",
                "INSERT INTO dup_a VALUES (1, 'one'), (1, 'one'), (2, 'two')",
                "INSERT INTO dup_b VALUES (2, 'two'), (1, 'one'), (1, 'one')");
        Map<String, String> sums = TableChecksums.of(pg.jdbcUrl("postgres"), Sql.SUPERUSER, PASSWORD);
        assertEquals(sums.get("public.dup_a"), sums.get("public.dup_b"), "the order rows are stored in is no matter");
        pg.execute(
                "postgres", "UPDATE dup_b SET x = 2, y = 'two' WHERE ctid = (SELECT min(ctid) FROM dup_b WHERE x = 1)");
        Map<String, String> after = TableChecksums.of(pg.jdbcUrl("postgres"), Sql.SUPERUSER, PASSWORD);
        assertEquals("3:", after.get("public.dup_b").substring(0, 2));
        assertNotEquals(after.get("public.dup_a"), after.get("public.dup_b"), "{1,1,2} is not {1,2,2}");
        pg.execute("postgres", "DROP TABLE dup_a", "DROP TABLE dup_b");
    }

    private static Map<String, Map<String, String>> all(SourceCluster pg) throws SQLException {
        return TableChecksums.allDatabases("127.0.0.1", pg.port(), Sql.SUPERUSER, PASSWORD);
    }

    /** {@code database/table} of each checksum that differs or is in one map only. */
    private static List<String> differences(Map<String, Map<String, String>> a, Map<String, Map<String, String>> b) {
        List<String> differ = new ArrayList<>();
        Set<String> databases = new TreeSet<>(a.keySet());
        databases.addAll(b.keySet());
        for (String db : databases) {
            Map<String, String> x = a.getOrDefault(db, Map.of());
            Map<String, String> y = b.getOrDefault(db, Map.of());
            Set<String> tables = new TreeSet<>(x.keySet());
            tables.addAll(y.keySet());
            for (String table : tables) {
                if (!String.valueOf(x.get(table)).equals(String.valueOf(y.get(table)))) {
                    differ.add(db + "/" + table);
                }
            }
        }
        return differ;
    }

    private static String role(Connection c, String role, String column) throws SQLException {
        return queryString(c, "SELECT " + column + " FROM pg_roles WHERE rolname = '" + role + "'");
    }

    private static Connection login(SourceCluster pg, String database, String user, String password)
            throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("sslmode", "disable");
        return DriverManager.getConnection(pg.jdbcUrl(database), p);
    }

    /** A physical replication connection (walsender) as {@code user}. */
    private static Connection replication(SourceCluster pg, String user, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("sslmode", "disable");
        p.setProperty("replication", "true");
        p.setProperty("assumeMinServerVersion", "9.4");
        p.setProperty("preferQueryMode", "simple");
        return DriverManager.getConnection(pg.jdbcUrl("postgres"), p);
    }

    /**
     * The pids of the running processes whose command line names {@code dataDir} (the postmaster) or whose
     * working directory is it (every process a postmaster starts works in its data directory).
     */
    private static List<Long> processesOf(Path dataDir) throws IOException {
        String dir = dataDir.toString();
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .toList()) {
                try {
                    String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
                            .replace('\0', ' ');
                    String stat = Files.readString(proc.resolve("stat"));
                    char state = stat.charAt(stat.lastIndexOf(')') + 2);
                    boolean running = state != 'Z' && state != 'X';
                    boolean names = cmdline.contains(dir);
                    boolean worksIn = !names
                            && Files.readSymbolicLink(proc.resolve("cwd"))
                                    .toString()
                                    .equals(dir);
                    if (running && (names || worksIn)) {
                        pids.add(Long.parseLong(proc.getFileName().toString()));
                    }
                } catch (IOException e) {
                    // the process ended while it was read
                }
            }
        }
        return pids;
    }
}
