package dev.sprout.compute;

import static dev.sprout.compute.Fixture.connect;
import static dev.sprout.testkit.Sql.exec;
import static dev.sprout.testkit.Sql.queryLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.storage.timeline.TimelineId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Loads a pgbench database, branches it, and runs pgbench on the branch while the parent takes writes too;
 * then checks every table and index of both sides with amcheck (heap, TOAST and B-tree structure, and that each
 * heap tuple is in every index), the TPC-B balance invariant on each side, that the two sides diverged, and that
 * the branch comes back clean from the pageserver's state alone after a suspend and resume.
 */
class IntegrityTest {
    /** pgbench's scale: 500,000 accounts, 5 branches, 50 tellers. */
    private static final int SCALE = 5;

    private static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");
    /** pg_amcheck --verbose's own lines; a corruption report looks different (and makes it exit 2). */
    private static final Pattern PROGRESS =
            Pattern.compile("pg_amcheck: (including database \".*\"|in database \".*\": using amcheck version .*"
                    + "|checking (heap table|btree index) \".*\")");

    @Test
    void branchAndParentStayConsistentUnderConcurrentPgbench() throws Exception {
        try (Fixture fx = new Fixture()) {
            TimelineId main = fx.newRoot();
            Compute parent = fx.start(fx.spec(main, "main"), true);
            TimelineId feature = TimelineId.random();
            Compute child = null;
            try {
                run(
                        fx,
                        "pgbench-init",
                        List.of(BIN.resolve("pgbench").toString(), "-i", "-s", Integer.toString(SCALE), "-q"),
                        parent.port(),
                        600);
                assertInvariant(parent, 0);

                long lsn = parent.checkpointForBranch();
                fx.pageserver.store().branch(feature, main, lsn);
                child = fx.start(fx.spec(feature, "feature"), false);
                try (Connection b = connect(child.port())) {
                    assertEquals(100_000 * SCALE, queryLong(b, "SELECT count(*) FROM pgbench_accounts"));
                    assertEquals(0, queryLong(b, "SELECT count(*) FROM pgbench_history"));
                }

                // The branch under 4 clients, the parent under 1, at the same time.
                Process onBranch = pgbench(fx, "pgbench-branch", child.port(), "-c", "4", "-j", "2", "-T", "20");
                Process onParent = pgbench(fx, "pgbench-parent", parent.port(), "-c", "1", "-T", "20");
                awaitSuccess(onBranch, "pgbench-branch", fx, 300);
                awaitSuccess(onParent, "pgbench-parent", fx, 300);

                long branchTx = assertInvariant(child, -1);
                long parentTx = assertInvariant(parent, -1);
                assertTrue(branchTx > 0, "pgbench committed transactions on the branch");
                assertTrue(parentTx > 0, "pgbench committed transactions on the parent");
                assertNotEquals(branchTx, parentTx, "each side has only its own pgbench_history rows");

                amcheck(fx, child, "amcheck-branch");
                amcheck(fx, parent, "amcheck-parent");

                // A branch compute restarted from nothing but the pageserver's state is still clean and whole.
                child.suspend();
                child.resume();
                amcheck(fx, child, "amcheck-branch-resumed");
                assertEquals(branchTx, assertInvariant(child, -1), "the branch kept every committed transaction");
                try (Connection b = connect(child.port());
                        Connection p = connect(parent.port())) {
                    assertEquals(100_000 * SCALE, queryLong(b, "SELECT count(*) FROM pgbench_accounts"));
                    assertEquals(100_000 * SCALE, queryLong(p, "SELECT count(*) FROM pgbench_accounts"));
                }
            } finally {
                keepLog(parent, "parent");
                if (child != null) {
                    keepLog(child, "branch");
                }
            }
        }
    }

    /**
     * Branches taken at arbitrary moments of a TPC-B load, with no CHECKPOINT first: each is whatever the
     * pageserver held at that LSN, and must come up through PostgreSQL's ordinary crash recovery into a state
     * where the TPC-B invariant holds and amcheck finds nothing.
     */
    @Test
    void branchesTakenAtArbitraryMomentsUnderLoadRecoverIntoConsistentDatabases() throws Exception {
        try (Fixture fx = new Fixture()) {
            TimelineId main = fx.newRoot();
            Compute parent = fx.start(fx.spec(main, "main"), true);
            run(
                    fx,
                    "pgbench-init-past",
                    List.of(BIN.resolve("pgbench").toString(), "-i", "-s", Integer.toString(SCALE), "-q"),
                    parent.port(),
                    600);
            Process load = pgbench(fx, "pgbench-past", parent.port(), "-c", "4", "-j", "2", "-T", "15");
            List<Long> lsns = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Thread.sleep(4000);
                lsns.add(parent.fs().lastLsn());
            }
            awaitSuccess(load, "pgbench-past", fx, 300);
            long previousHistory = -1;
            for (int i = 0; i < lsns.size(); i++) {
                TimelineId past = TimelineId.random();
                fx.pageserver.store().branch(past, main, lsns.get(i));
                Compute branch = fx.start(fx.spec(past, "past-" + i), false);
                try {
                    long history = assertInvariant(branch, -1);
                    assertTrue(
                            history > previousHistory,
                            "a later branch point holds more transactions (" + history + " at LSN " + lsns.get(i) + ", "
                                    + previousHistory + " before)");
                    previousHistory = history;
                    amcheck(fx, branch, "amcheck-past-" + i);
                } finally {
                    keepLog(branch, "past-" + i);
                    branch.close();
                }
            }
        }
    }

    /**
     * Checks sum(abalance) = sum(bbalance) = sum(tbalance) = sum(delta) and returns the number of history rows;
     * with {@code expectedHistory} >= 0, asserts that count too.
     */
    private static long assertInvariant(Compute c, long expectedHistory) throws Exception {
        try (Connection conn = connect(c.port())) {
            long a = queryLong(conn, "SELECT coalesce(sum(abalance), 0) FROM pgbench_accounts");
            long b = queryLong(conn, "SELECT coalesce(sum(bbalance), 0) FROM pgbench_branches");
            long t = queryLong(conn, "SELECT coalesce(sum(tbalance), 0) FROM pgbench_tellers");
            long h = queryLong(conn, "SELECT coalesce(sum(delta), 0) FROM pgbench_history");
            String where = "timeline " + c.spec().timelineId();
            assertEquals(a, b, "sum(abalance) = sum(bbalance) on " + where);
            assertEquals(a, t, "sum(abalance) = sum(tbalance) on " + where);
            assertEquals(a, h, "sum(abalance) = sum(delta) on " + where);
            assertEquals(SCALE, queryLong(conn, "SELECT count(*) FROM pgbench_branches"), where);
            assertEquals(10 * SCALE, queryLong(conn, "SELECT count(*) FROM pgbench_tellers"), where);
            long history = queryLong(conn, "SELECT count(*) FROM pgbench_history");
            if (expectedHistory >= 0) {
                assertEquals(expectedHistory, history, "pgbench_history rows on " + where);
            }
            return history;
        }
    }

    /**
     * Runs pg_amcheck over every relation of database postgres. With --verbose it names each relation it checks
     * (so the test can see it checked the pgbench tables); anything else in its output is a corruption report.
     */
    private static void amcheck(Fixture fx, Compute c, String name) throws Exception {
        try (Connection conn = connect(c.port())) {
            exec(conn, "CREATE EXTENSION IF NOT EXISTS amcheck");
        }
        // No load runs now, so the stricter parent check (ShareLock) costs nothing.
        String out = run(
                fx,
                name,
                List.of(BIN.resolve("pg_amcheck").toString(), "--heapallindexed", "--parent-check", "--verbose"),
                c.port(),
                600);
        String where = "pg_amcheck on timeline " + c.spec().timelineId();
        List<String> unexpected = out.lines()
                .filter(l -> !l.isBlank() && !PROGRESS.matcher(l).matches())
                .toList();
        assertTrue(unexpected.isEmpty(), where + " reported problems:\n" + String.join("\n", unexpected));
        for (String rel : List.of(
                "heap table \"postgres.public.pgbench_accounts\"",
                "heap table \"postgres.public.pgbench_history\"",
                "btree index \"postgres.public.pgbench_accounts_pkey\"",
                "btree index \"postgres.public.pgbench_branches_pkey\"",
                "btree index \"postgres.public.pgbench_tellers_pkey\"")) {
            assertTrue(out.contains("pg_amcheck: checking " + rel), where + " did not check " + rel + ":\n" + out);
        }
    }

    private static Process pgbench(Fixture fx, String name, int port, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(BIN.resolve("pgbench").toString()));
        cmd.addAll(List.of(args));
        return start(fx, name, cmd, port);
    }

    /** Runs a client binary against {@code port}; asserts exit 0 and returns its output. */
    private static String run(Fixture fx, String name, List<String> cmd, int port, int timeoutSeconds)
            throws Exception {
        return awaitSuccess(start(fx, name, cmd, port), name, fx, timeoutSeconds);
    }

    private static Process start(Fixture fx, String name, List<String> cmd, int port) throws IOException {
        List<String> full = new ArrayList<>(cmd);
        full.addAll(List.of("-h", "127.0.0.1", "-p", Integer.toString(port), "-U", "postgres"));
        // pgbench takes the database name as its last argument, pg_amcheck as -d
        full.addAll(cmd.getFirst().endsWith("pgbench") ? List.of("postgres") : List.of("-d", "postgres"));
        ProcessBuilder pb = new ProcessBuilder(full)
                .redirectErrorStream(true)
                .redirectOutput(output(fx, name).toFile());
        pb.environment().put("PGPASSWORD", Fixture.PASSWORD);
        pb.environment().put("PGSSLMODE", "disable");
        return pb.start();
    }

    private static String awaitSuccess(Process p, String name, Fixture fx, int timeoutSeconds) throws Exception {
        boolean exited = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly();
        }
        String out = Files.readString(output(fx, name));
        assertTrue(exited, name + " did not finish within " + timeoutSeconds + " s; output:\n" + out);
        assertEquals(0, p.exitValue(), name + " failed; output:\n" + out);
        if (!name.startsWith("amcheck")) {
            System.out.println("---- " + name + " ----\n" + out);
        }
        return out;
    }

    private static Path output(Fixture fx, String name) {
        return fx.base.resolve(name + ".out");
    }

    /** Keeps PostgreSQL's log under target/ (the fixture deletes its directory). */
    private static void keepLog(Compute c, String name) {
        try {
            Path dir = Files.createDirectories(Path.of("target", "compute-logs", IntegrityTest.class.getSimpleName()));
            if (Files.exists(c.logFile())) {
                Files.copy(c.logFile(), dir.resolve(name + ".log"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            System.err.println("cannot keep " + c.logFile() + ": " + e);
        }
    }
}
