package dev.sprout.cli;

import static dev.sprout.testkit.Sql.exec;
import static dev.sprout.testkit.Sql.queryLong;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.testkit.ManualClock;
import java.net.URLEncoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * A developer's day, through {@code sprout} and the proxy only: up on a fresh data directory, a table of 200k rows
 * on main, a branch, a Flyway migration on it, reset, restore to before a DELETE, delete; and every bad input a
 * clear message, a non-zero exit and nothing changed.
 */
class DeveloperDayTest {

    /** The store's and the control plane's clock: commit times move only when the test says. */
    private final ManualClock clock = new ManualClock(Instant.parse("2026-06-01T12:00:00Z"));

    @Test
    void aDevelopersDayThroughSproutAndTheProxy() throws Exception {
        Path data = Files.createDirectories(Path.of("/tmp", "sprout-devday-" + UUID.randomUUID()));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (LocalStack up = LocalStack.startWithCompute(data, 0, 0, 0, clock)) {
            String http = Integer.toString(up.httpPort());
            String dir = data.toString();
            String pg = Integer.toString(up.proxy().orElseThrow().port());
            String password = LocalStack.password(up.dataDir());

            try (Connection main = connect(pg, "main", password)) {
                exec(main, "CREATE TABLE inventory (id bigint PRIMARY KEY, inventory_code text NOT NULL, qty int)");
                exec(
                        main,
                        "INSERT INTO inventory SELECT g, 'LOC' || (g % 50) || '-B' || (g % 997) || '-S' || g, g % 100"
                                + " FROM generate_series(1, 200000) g");
            }

            Cli.Result created = Cli.sprout("branch", "create", "feature-x", "--http-port", http, "--data-dir", dir);
            assertEquals(0, created.exit(), created.toString());
            assertTrue(created.out().contains("feature-x") && created.out().contains("main"), created.toString());
            Cli.Result url = Cli.sprout(
                    "connect", "feature-x", "--http-port", http, "--pg-port", pg, "--data-dir", data.toString());
            assertEquals(0, url.exit(), url.toString());
            String connectionString = url.out().strip();
            assertTrue(connectionString.endsWith("/postgres?options=branch%3Dfeature-x"), connectionString);

            // The migration, on the branch only.
            Path migrations = Files.createDirectories(data.resolve("migrations"));
            Files.writeString(migrations.resolve("V1__split_inventory_code.sql"), """
                    ALTER TABLE inventory ADD COLUMN location_code text, ADD COLUMN batch_number text,
                        ADD COLUMN serial_number text;
                    UPDATE inventory SET location_code = split_part(inventory_code, '-', 1),
                        batch_number = split_part(inventory_code, '-', 2), serial_number = split_part(inventory_code, '-', 3);
                    ALTER TABLE inventory ALTER COLUMN location_code SET NOT NULL;
                    """);
            // The database existed before Flyway: the history starts at a baseline of version 0, so V1 runs.
            var migrated = Flyway.configure()
                    .dataSource(jdbc(pg, "feature-x"), "postgres", password)
                    .locations("filesystem:" + migrations)
                    .baselineOnMigrate(true)
                    .baselineVersion("0")
                    .load()
                    .migrate();
            assertEquals(1, migrated.migrationsExecuted, migrated.warnings.toString());
            try (Connection f = connect(pg, "feature-x", password)) {
                assertEquals(
                        200_000,
                        queryLong(
                                f,
                                "SELECT count(*) FROM inventory WHERE location_code = 'LOC' || (id % 50)"
                                        + " AND batch_number = 'B' || (id % 997) AND serial_number = 'S' || id"));
                assertEquals(
                        10,
                        queryLong(
                                f,
                                "SELECT count(*) FROM inventory WHERE location_code = 'LOC7' AND qty = 7"
                                        + " AND id < 1000"),
                        "the application's query on the new columns");
            }
            try (Connection m = connect(pg, "main", password)) {
                assertEquals(
                        0,
                        queryLong(
                                m,
                                "SELECT count(*) FROM information_schema.columns WHERE table_name = 'inventory'"
                                        + " AND column_name = 'location_code'"),
                        "main is unchanged");
                assertEquals(
                        0,
                        queryLong(
                                m,
                                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'flyway_schema_history'"));
            }

            // A suspended compute (as after 5 idle minutes) is woken by the next connection through the proxy.
            assertEquals(200, Cli.post(up, "/v1/branches/feature-x/suspend", "").statusCode());
            assertTrue(Cli.sprout("branch", "get", "feature-x", "--http-port", http, "--data-dir", dir)
                    .out()
                    .contains("suspended"));
            try (Connection f = connect(pg, "feature-x", password)) {
                assertEquals(200_000, queryLong(f, "SELECT count(*) FROM inventory WHERE serial_number IS NOT NULL"));
            }
            assertTrue(Cli.sprout("branch", "get", "feature-x", "--http-port", http, "--data-dir", dir)
                    .out()
                    .contains("running"));

            // Reset: main's state again, under the same connection string.
            Cli.Result reset = Cli.sprout("branch", "reset", "feature-x", "--http-port", http, "--data-dir", dir);
            assertEquals(0, reset.exit(), reset.toString());
            try (Connection f = connect(pg, "feature-x", password)) {
                assertEquals(
                        0,
                        queryLong(
                                f,
                                "SELECT count(*) FROM information_schema.columns WHERE table_name = 'inventory'"
                                        + " AND column_name = 'location_code'"),
                        "back to main's schema");
                assertEquals(200_000, queryLong(f, "SELECT count(*) FROM inventory"));
            }

            // A CI job's branch lives while its lease is renewed; its lifecycle shows in the list.
            Cli.Result leased =
                    Cli.sprout("branch", "create", "ci-42", "--lease", "10m", "--http-port", http, "--data-dir", dir);
            assertEquals(0, leased.exit(), leased.toString());
            assertTrue(leased.out().contains("(lease 10m)"), leased.out());
            Cli.Result renewed =
                    Cli.sprout("branch", "renew", "ci-42", "--ttl", "2h30m", "--http-port", http, "--data-dir", dir);
            assertEquals(0, renewed.exit(), renewed.toString());
            assertTrue(renewed.out().contains("(lease 2h30m)"), renewed.out());
            assertRefused(
                    Cli.sprout("branch", "protect", "ci-42", "--http-port", http, "--data-dir", dir), "cannot expire");
            Cli.Result badTtl =
                    Cli.sprout("branch", "create", "ci-43", "--ttl", "3 days", "--http-port", http, "--data-dir", dir);
            assertNotEquals(0, badTtl.exit(), badTtl.toString());
            assertTrue(badTtl.err().contains("is not a lifetime"), badTtl.toString());
            assertTrue(Cli.sprout("branch", "list", "--http-port", http, "--data-dir", dir)
                    .out()
                    .lines()
                    .anyMatch(l -> l.startsWith("main ") && l.endsWith("protected")));
            assertEquals(
                    0,
                    Cli.sprout("branch", "delete", "ci-42", "--http-port", http, "--data-dir", dir)
                            .exit());

            // Restore to a time before a DELETE brings the rows back.
            clock.advance(Duration.ofSeconds(1));
            Instant before = clock.instant();
            clock.advance(Duration.ofSeconds(1));
            try (Connection f = connect(pg, "feature-x", password)) {
                exec(f, "DELETE FROM inventory WHERE id > 1000");
            }
            // The branch as it was before the DELETE, read-only, through the proxy, in both spellings.
            Cli.Result past = Cli.sprout(
                    "connect", "feature-x", "--at", before.toString(), "--http-port", http, "--data-dir", dir);
            assertEquals(0, past.exit(), past.toString());
            assertTrue(
                    past.out().contains("options=" + URLEncoder.encode("branch=feature-x@" + before, UTF_8)),
                    past.toString());
            try (Connection p = connect(pg, URLEncoder.encode("feature-x@" + before, UTF_8), password)) {
                assertEquals(200_000, queryLong(p, "SELECT count(*) FROM inventory"), "as it was before the DELETE");
                assertEquals(
                        "25006",
                        assertThrows(SQLException.class, () -> exec(p, "DELETE FROM inventory"))
                                .getSQLState(),
                        "a point of history is read-only");
            }
            try (Connection p = DriverManager.getConnection(
                    "jdbc:postgresql://127.0.0.1:" + pg + "/" + URLEncoder.encode("postgres@feature-x@" + before, UTF_8)
                            + "?sslmode=disable",
                    "postgres",
                    password)) {
                assertEquals(200_000, queryLong(p, "SELECT count(*) FROM inventory"), "db@branch@time");
            }
            SQLException tooOld = assertThrows(
                    SQLException.class,
                    () -> connect(pg, URLEncoder.encode("feature-x@2020-01-01T00:00:00Z", UTF_8), password));
            assertTrue(tooOld.getMessage().contains("is before timeline"), tooOld.getMessage());
            try (Connection f = connect(pg, "feature-x", password)) {
                assertEquals(1000, queryLong(f, "SELECT count(*) FROM inventory"), "the head is as the DELETE left it");
            }

            Cli.Result restored = Cli.sprout(
                    "branch",
                    "restore",
                    "feature-x",
                    "--at",
                    before.toString(),
                    "--http-port",
                    http,
                    "--data-dir",
                    dir);
            assertEquals(0, restored.exit(), restored.toString());
            assertTrue(
                    restored.out().contains("its state before the restore is branch feature-x-backup-"),
                    restored.toString());
            try (Connection f = connect(pg, "feature-x", password)) {
                assertEquals(200_000, queryLong(f, "SELECT count(*) FROM inventory"), "the deleted rows are back");
            }

            Cli.Result list = Cli.sprout("branch", "list", "--http-port", http, "--data-dir", dir);
            assertEquals(0, list.exit(), list.toString());
            assertTrue(
                    list.out().contains("main")
                            && list.out().contains("  feature-x-backup-")
                            && list.out().contains("    feature-x "),
                    "a tree: " + list);
            String branchesBefore = shape(Cli.sprout("branch", "list", "--json", "--http-port", http, "--data-dir", dir)
                    .out());

            // Bad input: a sentence, a non-zero exit, and the branches as they were.
            assertRefused(
                    Cli.sprout("branch", "get", "nope", "--http-port", http, "--data-dir", dir),
                    "branch \"nope\" does not exist");
            assertRefused(
                    Cli.sprout("branch", "get", "No Such", "--http-port", http, "--data-dir", dir),
                    "invalid branch name \"No Such\"");
            assertRefused(
                    Cli.sprout("connect", "nope", "--http-port", http, "--data-dir", data.toString()),
                    "does not exist");
            Cli.Result status = Cli.sprout("status", "--http-port", http, "--data-dir", dir);
            assertEquals(0, status.exit(), status.toString());
            assertTrue(
                    status.out().startsWith("Sprout is up on 127.0.0.1:" + http + ": ok, 3 branch(es), "),
                    status.toString());
            assertRefused(
                    Cli.sprout("branch", "create", "feature-x", "--at", "1", "--http-port", http, "--data-dir", dir),
                    "already exists");
            assertRefused(
                    Cli.sprout("branch", "create", "Feature X", "--http-port", http, "--data-dir", dir),
                    "invalid branch name");
            // A GC pass with no PITR window moves main's GC horizon up to what it still needs: LSN 1 is below it.
            assertEquals(
                    200,
                    Cli.put(up, "/v1/gc/settings", "{\"pitrWindowSeconds\": \"0\"}")
                            .statusCode());
            assertEquals(200, Cli.post(up, "/v1/gc", "").statusCode());
            assertRefused(
                    Cli.sprout("branch", "create", "too-old", "--at", "1", "--http-port", http, "--data-dir", dir),
                    "LSN_OUT_OF_RANGE");
            assertRefused(Cli.sprout("branch", "delete", "main", "--http-port", http, "--data-dir", dir), "root");
            assertRefused(
                    Cli.sprout(
                            "branch",
                            "restore",
                            "main",
                            "--at",
                            "2026-12-07T10:00:00Z",
                            "--http-port",
                            http,
                            "--data-dir",
                            dir),
                    "is protected");
            assertEquals(
                    branchesBefore,
                    shape(Cli.sprout("branch", "list", "--json", "--http-port", http, "--data-dir", dir)
                            .out()),
                    "nothing changed");
            Cli.Result second = Cli.sprout(
                    "up", "--data-dir", data.toString(), "--page-port", "0", "--http-port", "0", "--pg-port", "0");
            assertNotEquals(0, second.exit(), second.toString());
            assertTrue(second.err().contains("is in use by another Sprout process"), second.toString());

            String said = "its state before the restore is branch ";
            String backup = restored.out()
                    .substring(restored.out().indexOf(said) + said.length())
                    .strip();
            Cli.Result deleted =
                    Cli.sprout("branch", "delete", backup, "--subtree", "--http-port", http, "--data-dir", dir);
            assertEquals(0, deleted.exit(), deleted.toString());
            assertEquals("deleted feature-x, " + backup + "\n", deleted.out());
            assertRefused(
                    Cli.sprout("branch", "get", "feature-x", "--http-port", http, "--data-dir", dir), "does not exist");
        } finally {
            try (Stream<Path> walk = Files.walk(data)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** The branches' names, parents, timelines and branch points from a `branch list --json` (sizes move on their own). */
    private static String shape(String json) {
        return json.lines()
                .filter(l -> l.matches("\\s*\"(name|parent|timelineId|branchLsn)\":.*"))
                .collect(java.util.stream.Collectors.joining("\n"));
    }

    private static void assertRefused(Cli.Result r, String says) {
        assertEquals(Sprout.EXIT_REFUSED, r.exit(), r.toString());
        assertTrue(r.err().startsWith("sprout: ") && r.err().contains(says), r.toString());
    }

    private static String jdbc(String port, String branch) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?sslmode=disable"
                + (branch.equals("main") ? "" : "&options=branch%3D" + branch);
    }

    private static Connection connect(String port, String branch, String password) throws SQLException {
        return DriverManager.getConnection(jdbc(port, branch), "postgres", password);
    }
}
