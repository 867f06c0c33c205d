package dev.sprout.cli;

import static dev.sprout.testkit.Sql.exec;
import static dev.sprout.testkit.Sql.queryString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A branch's allow list of PostgreSQL roles, through `sprout branch roles` and real connections through the proxy:
 * a role it does not list is refused (28000) before the branch's compute is woken, and also while it runs; a listed
 * role connects; `--any` lets every role in again; a restore's backup branch carries the list.
 */
class BranchRolesTest {
    @Test
    void aRoleTheBranchDoesNotListIsRefusedBeforeItsComputeWakes() throws Exception {
        Path data = Files.createDirectories(Path.of("/tmp", "sprout-roles-" + UUID.randomUUID()));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (LocalStack up = LocalStack.startWithCompute(data, 0, 0, 0)) {
            String http = Integer.toString(up.httpPort());
            String dir = data.toString();
            int pg = up.proxy().orElseThrow().port();
            String password = LocalStack.password(up.dataDir());
            try (Connection main = connect(pg, "main", "postgres", password)) {
                exec(main, "CREATE ROLE alice LOGIN PASSWORD 'alice-pw'");
                exec(main, "CHECKPOINT");
            }
            Cli.Result created = Cli.sprout("branch", "create", "prod-copy", "--http-port", http, "--data-dir", dir);
            assertEquals(0, created.exit(), created.toString());

            Cli.Result set = Cli.sprout(
                    "branch", "roles", "prod-copy", "--allow", "alice", "--http-port", http, "--data-dir", dir);
            assertEquals(0, set.exit(), set.toString());
            assertTrue(set.out().contains("only these roles may connect: alice"), set.toString());
            Cli.Result shown = Cli.sprout("branch", "roles", "prod-copy", "--http-port", http, "--data-dir", dir);
            assertEquals("only these roles may connect to prod-copy: alice\n", shown.out(), shown.toString());

            SQLException refused =
                    assertThrows(SQLException.class, () -> connect(pg, "prod-copy", "postgres", password));
            assertEquals("28000", refused.getSQLState(), refused.getMessage());
            assertTrue(
                    refused.getMessage().contains("role \"postgres\" may not connect to branch \"prod-copy\""),
                    refused.getMessage());
            assertEquals(
                    "STOPPED", up.control().get("prod-copy").endpoint().state().name(), "nothing was woken");

            try (Connection alice = connect(pg, "prod-copy", "alice", "alice-pw")) {
                assertEquals("alice", queryString(alice, "SELECT current_user"));
            }
            assertEquals(
                    "RUNNING", up.control().get("prod-copy").endpoint().state().name());
            SQLException whileRunning =
                    assertThrows(SQLException.class, () -> connect(pg, "prod-copy", "postgres", password));
            assertEquals("28000", whileRunning.getSQLState(), "the running compute's fast path checks the list too");
            try (Connection other = connect(pg, "main", "postgres", password)) {
                assertEquals("postgres", queryString(other, "SELECT current_user"), "main has no list");
            }

            Cli.Result any =
                    Cli.sprout("branch", "roles", "prod-copy", "--any", "--http-port", http, "--data-dir", dir);
            assertEquals(0, any.exit(), any.toString());
            try (Connection postgres = connect(pg, "prod-copy", "postgres", password)) {
                assertEquals("postgres", queryString(postgres, "SELECT current_user"));
            }
            Cli.Result both = Cli.sprout(
                    "branch", "roles", "prod-copy", "--any", "--allow", "x", "--http-port", http, "--data-dir", dir);
            assertEquals(1, both.exit(), both.toString());
            Cli.Result unknown =
                    Cli.sprout("branch", "roles", "nope", "--allow", "x", "--http-port", http, "--data-dir", dir);
            assertEquals(Sprout.EXIT_REFUSED, unknown.exit(), unknown.toString());
        } finally {
            try (Stream<Path> walk = Files.walk(data)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static Connection connect(int port, String branch, String user, String password) throws SQLException {
        return DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + port + "/postgres?sslmode=disable"
                        + (branch.equals("main") ? "" : "&options=branch%3D" + branch),
                user,
                password);
    }
}
