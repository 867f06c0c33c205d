package dev.sprout.cli.imports;

import dev.sprout.compute.postgres.PostgresInstall;
import java.time.Duration;
import java.util.List;

/**
 * Checks every database of a running PostgreSQL with the real {@code pg_amcheck}: each heap and TOAST table,
 * each B-tree index, and that every heap tuple is in every B-tree index ({@code --heapallindexed}), installing
 * the amcheck extension where it is missing ({@code --install-missing}, which creates it in each database
 * checked, template1 included).
 */
public final class PgAmcheck {
    private static final Duration TIMEOUT = Duration.ofMinutes(30);

    private PgAmcheck() {}

    /**
     * Runs {@code pg_amcheck --all --install-missing --heapallindexed --verbose} as {@code user} against
     * {@code host:port} and returns its output (with {@code --verbose}, a line for each database and relation it
     * checks).
     *
     * @throws AssertionError holding the output when pg_amcheck exits with anything but 0: 2 when it found
     *     corruption, 1 when it could not check
     */
    public static String run(String host, int port, String user, String password) {
        List<String> command = List.of(
                PostgresInstall.locate().tool("pg_amcheck").toString(),
                "--all",
                "--install-missing",
                "--heapallindexed",
                "--verbose",
                "--host",
                host,
                "--port",
                Integer.toString(port),
                "--username",
                user,
                "--no-password");
        return ClientProgram.run(command, password, TIMEOUT);
    }
}
