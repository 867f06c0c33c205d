package dev.sprout.migrate;

import dev.sprout.diff.schema.CatalogReader;
import dev.sprout.diff.schema.SchemaDiff;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Idempotency: runs a migration a second time inside a transaction that is rolled back afterwards, and tells whether
 * that second run changed anything. The schema is read inside the transaction before and after the run; the rows of
 * each table the run wrote to are hashed (all rows, in any order) after the run, then again after a rollback to a
 * savepoint taken before it, which also releases every lock the run took. All of it on the migration's own
 * connection: a second session would wait for the run's locks. A second run that fails is fine when it changes
 * nothing, which the rollback guarantees; one that succeeds must change nothing.
 */
public final class SecondRun {
    private SecondRun() {}

    /** What the second run did. */
    public enum Outcome {
        UNCHANGED("ran again and changed nothing"),
        FAILED("failed the second time (changing nothing)"),
        CHANGED("ran again and changed"),
        NOT_CHECKED("not checked");

        public final String label;

        Outcome(String label) {
            this.label = label;
        }
    }

    /**
     * One migration's second run.
     *
     * @param migration the file
     * @param outcome   {@link Outcome}
     * @param detail    what changed, the error it failed with, or why it was not checked
     */
    public record Result(MigrationSet.Migration migration, Outcome outcome, String detail) {}

    /** Runs {@code m} again on {@code c} (not in a transaction) and rolls it back. */
    public static Result check(Connection c, MigrationSet.Migration m, CatalogReader reader) throws SQLException {
        List<Statements.Statement> statements = Statements.split(m.sql()).stream()
                .filter(s -> !s.transactionControl())
                .toList();
        if (statements.stream().anyMatch(Statements.Statement::outsideTransaction)) {
            return new Result(
                    m,
                    Outcome.NOT_CHECKED,
                    "it has a statement that refuses a transaction, and a second" + " run could not be undone");
        }
        c.setAutoCommit(false);
        try {
            var before = reader.readInTransaction(c);
            java.sql.Savepoint start = c.setSavepoint();
            try (Statement st = c.createStatement()) {
                for (Statements.Statement s : statements) {
                    try {
                        st.execute(s.sql());
                    } catch (SQLException e) {
                        Runner.Failure f = Runner.failure(s, e);
                        return new Result(m, Outcome.FAILED, "line " + f.line() + ": " + f.message());
                    }
                }
            }
            List<String> changed = new ArrayList<>();
            SchemaDiff schema = SchemaDiff.compare(before, reader.readInTransaction(c));
            if (!schema.equal()) {
                schema.changes()
                        .forEach(ch -> changed.add(ch.kind().label + " " + ch.name() + " "
                                + switch (ch) {
                                    case dev.sprout.diff.schema.Change.Added a -> "added";
                                    case dev.sprout.diff.schema.Change.Removed r -> "removed";
                                    case dev.sprout.diff.schema.Change.Changed x -> "changed";
                                }));
            }
            Map<String, long[]> written = Catalog.rowsThisTransaction(c);
            Map<String, String> after = new java.util.TreeMap<>();
            for (String t : written.keySet()) {
                after.put(t, hash(c, t));
            }
            c.rollback(start);
            for (Map.Entry<String, long[]> t : written.entrySet()) {
                if (!after.get(t.getKey()).equals(hash(c, t.getKey()))) {
                    long[] n = t.getValue();
                    changed.add("rows of " + t.getKey() + " (" + n[0] + " inserted, " + n[1] + " updated, " + n[2]
                            + " deleted)");
                }
            }
            return changed.isEmpty()
                    ? new Result(m, Outcome.UNCHANGED, "")
                    : new Result(m, Outcome.CHANGED, String.join("; ", changed));
        } finally {
            c.rollback();
            c.setAutoCommit(true);
        }
    }

    /** A hash of a table's rows, independent of their order; "" for a table this connection cannot see. */
    private static String hash(Connection c, String table) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT CASE WHEN to_regclass('" + table.replace("'", "''") + "') IS NULL THEN '' END")) {
            rs.next();
            if (rs.getString(1) != null) {
                return "";
            }
        }
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT coalesce(md5(string_agg(h, ',' ORDER BY h)), 'empty') FROM"
                        + " (SELECT md5(t::text) AS h FROM " + table + " t) x")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
