package dev.sprout.migrate;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * Applies one migration on a connection, one statement at a time, and measures it: after each statement the
 * relation locks its backend holds (from {@code pg_locks}, in its own transaction) and, after statements that may
 * change the catalogs, the indexes, constraints and NOT NULL columns of the watched tables; the catalogs before and
 * after; WAL written; rows changed per table ({@code pg_stat_xact_user_tables}). A migration runs in one
 * transaction, as Flyway runs it, unless one of its statements refuses a transaction block ({@code CREATE INDEX
 * CONCURRENTLY}, {@code VACUUM}, ...): then each statement runs in a transaction of its own (those that refuse one,
 * bare, their locks sampled from a second connection while they run: {@link LockSampler}) and a failure leaves
 * the statements before it committed, as with Flyway. BEGIN/COMMIT in the file are
 * skipped (the runner owns the transactions), and the run says so.
 */
public final class Runner {
    private Runner() {}

    /** How a migration ended. */
    public enum Status {
        APPLIED("applied"),
        FAILED("failed"),
        SKIPPED("skipped");

        public final String label;

        Status(String label) {
            this.label = label;
        }
    }

    /**
     * The statement that failed.
     *
     * @param statement its text
     * @param line      the file's line of the error (the statement's first line plus PostgreSQL's position)
     * @param sqlState  the SQLSTATE
     * @param message   PostgreSQL's message (with its detail, when it gave one)
     */
    public record Failure(String statement, int line, String sqlState, String message) {}

    /**
     * A relation lock the migration held.
     *
     * @param relation   its OID
     * @param name       its name when first taken
     * @param mode       PostgreSQL's mode name ({@code AccessExclusiveLock})
     * @param line       the line of the statement that took it
     * @param heldMillis from that statement's start to the end of the transaction that held it
     */
    public record Lock(long relation, String name, String mode, int line, long heldMillis) {}

    /** One statement as run, and its probe (empty for a statement skipped or failed). */
    public record Step(Statements.Statement statement, Optional<Catalog.Probe> probe) {}

    /**
     * One migration's run.
     *
     * @param migration     the file
     * @param status        {@link Status}
     * @param transactional whether it ran in one transaction
     * @param millis        time spent in its statements
     * @param walBytes      WAL written from its start to its end
     * @param failure       the failed statement
     * @param locks         the relation locks held (user relations), in the order first taken
     * @param steps         each statement run, in order
     * @param before        the catalogs before it
     * @param after         the catalogs after it (the same as before when it failed in one transaction)
     * @param rows          rows inserted, updated and deleted per table (name to {ins, upd, del})
     * @param notes         sentences about how it ran
     */
    public record Run(
            MigrationSet.Migration migration,
            Status status,
            boolean transactional,
            long millis,
            long walBytes,
            Optional<Failure> failure,
            List<Lock> locks,
            List<Step> steps,
            Catalog.State before,
            Catalog.State after,
            Map<String, long[]> rows,
            List<String> notes) {
        public Run {
            locks = List.copyOf(locks);
            steps = List.copyOf(steps);
            rows = java.util.Collections.unmodifiableMap(new TreeMap<>(rows));
            notes = List.copyOf(notes);
        }

        /** A migration not run (an earlier one failed). */
        public static Run skipped(MigrationSet.Migration m, Catalog.State state, String why) {
            return new Run(
                    m,
                    Status.SKIPPED,
                    true,
                    0,
                    0,
                    Optional.empty(),
                    List.of(),
                    List.of(),
                    state,
                    state,
                    Map.of(),
                    List.of(why));
        }
    }

    /** Something to do inside the migration's last transaction before it commits (Flyway's history row). */
    @FunctionalInterface
    public interface BeforeCommit {
        void run(Connection c, long millis) throws SQLException;
    }

    /**
     * Runs {@code m} on {@code c} (which must not be in a transaction), watching {@code watched} tables' catalogs;
     * {@code before} is the catalogs as they are now (the previous run's {@link Run#after}, or a fresh read).
     *
     * @throws SQLException when the connection fails (not when a migration statement fails: that is a run's result)
     */
    public static Run run(
            Connection c,
            MigrationSet.Migration m,
            Catalog.State before,
            Collection<Long> watched,
            Optional<Connection> monitor,
            BeforeCommit beforeCommit)
            throws SQLException {
        c.setAutoCommit(true);
        List<Statements.Statement> all = Statements.split(m.sql());
        List<String> notes = new ArrayList<>();
        List<Statements.Statement> statements = new ArrayList<>();
        for (Statements.Statement s : all) {
            if (s.transactionControl()) {
                notes.add("line " + s.line() + ": " + s.words() + " skipped (the check runs each migration in a"
                        + " transaction of its own)");
            } else {
                statements.add(s);
            }
        }
        boolean transactional = statements.stream().noneMatch(Statements.Statement::outsideTransaction);
        if (!transactional) {
            notes.add("ran outside a transaction (it has a statement that refuses one): each statement committed on"
                    + " its own");
        }
        long wal0 = Catalog.walPosition(c);
        Map<String, long[]> taken = new LinkedHashMap<>(); // oid:mode -> {line, start nanos, end nanos}
        Map<String, Catalog.Held> held = new java.util.HashMap<>();
        List<Step> steps = new ArrayList<>();
        Map<String, long[]> rows = new TreeMap<>();
        long spent = 0;
        Optional<Failure> failure = Optional.empty();
        if (transactional) {
            c.setAutoCommit(false);
        }
        try (Statement st = c.createStatement()) {
            for (Statements.Statement s : statements) {
                boolean own = !transactional && !s.outsideTransaction();
                if (own) {
                    c.setAutoCommit(false);
                }
                long start = System.nanoTime();
                Optional<LockSampler> sampler = s.outsideTransaction() && monitor.isPresent()
                        ? Optional.of(new LockSampler(monitor.get(), pid(c)))
                        : Optional.empty();
                try {
                    st.execute(s.sql());
                } catch (SQLException e) {
                    sampler.ifPresent(LockSampler::close);
                    spent += System.nanoTime() - start;
                    failure = Optional.of(failure(s, e));
                    steps.add(new Step(s, Optional.empty()));
                    if (!c.getAutoCommit()) {
                        c.rollback();
                    }
                    break;
                }
                spent += System.nanoTime() - start;
                if (sampler.isPresent()) {
                    Map<Catalog.Held, long[]> sampled = sampler.get().stop();
                    sampler.get().close();
                    sampled.forEach((h, t) -> {
                        String k = h.relation() + ":" + h.mode();
                        taken.putIfAbsent(
                                k, new long[] {s.line(), t[0], t[1] + LockSampler.INTERVAL_MILLIS * 1_000_000});
                        held.putIfAbsent(k, h);
                    });
                }
                Catalog.Probe probe = Catalog.probe(c, watched, !s.dml());
                steps.add(new Step(s, Optional.of(probe)));
                for (Catalog.Held h : probe.locks()) {
                    taken.computeIfAbsent(h.relation() + ":" + h.mode(), k -> new long[] {s.line(), start, 0});
                    held.putIfAbsent(h.relation() + ":" + h.mode(), h);
                }
                if (own) {
                    merge(rows, Catalog.rowsThisTransaction(c));
                    c.commit();
                    close(taken, System.nanoTime());
                    c.setAutoCommit(true);
                }
            }
            if (failure.isEmpty()) {
                if (transactional) {
                    merge(rows, Catalog.rowsThisTransaction(c));
                    beforeCommit.run(c, spent / 1_000_000);
                    c.commit();
                    close(taken, System.nanoTime());
                } else {
                    c.setAutoCommit(false);
                    beforeCommit.run(c, spent / 1_000_000);
                    c.commit();
                }
            } else if (transactional) {
                taken.clear(); // rolled back: nothing it took was kept, and its locks went with the rollback
            }
        } finally {
            if (!c.getAutoCommit()) {
                c.rollback();
            }
            c.setAutoCommit(true);
        }
        long wal = Catalog.walPosition(c) - wal0;
        Catalog.State after = failure.isPresent() && transactional ? before : Catalog.read(c);
        List<Lock> locks = new ArrayList<>();
        taken.forEach((k, t) -> {
            Catalog.Held h = held.get(k);
            locks.add(new Lock(h.relation(), h.name(), h.mode(), (int) t[0], Math.max(0, (t[2] - t[1]) / 1_000_000)));
        });
        return new Run(
                m,
                failure.isPresent() ? Status.FAILED : Status.APPLIED,
                transactional,
                spent / 1_000_000,
                wal,
                failure,
                locks,
                steps,
                before,
                after,
                rows,
                notes);
    }

    private static int pid(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                java.sql.ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void close(Map<String, long[]> taken, long now) {
        taken.values().forEach(t -> {
            if (t[2] == 0) {
                t[2] = now;
            }
        });
    }

    private static void merge(Map<String, long[]> into, Map<String, long[]> more) {
        more.forEach((k, v) -> into.merge(k, v, (a, b) -> new long[] {a[0] + b[0], a[1] + b[1], a[2] + b[2]}));
    }

    static Failure failure(Statements.Statement s, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        int line = s.line();
        String message = e.getMessage();
        if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
            ServerErrorMessage m = p.getServerErrorMessage();
            if (m.getPosition() > 0) {
                line = s.lineAt(m.getPosition());
            }
            message = m.getMessage() + (m.getDetail() == null ? "" : " (" + m.getDetail() + ")");
        }
        return new Failure(s.sql(), line, state, message);
    }
}
