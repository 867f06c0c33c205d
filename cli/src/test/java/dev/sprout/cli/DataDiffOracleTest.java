package dev.sprout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sprout.control.ControlPlane;
import dev.sprout.diff.data.DataDiff;
import dev.sprout.diff.data.TableDiff;
import dev.sprout.storage.timeline.BranchPoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The data diff against an oracle, on Sprout: a branch and its parent both keep changing (random inserts, HOT and
 * non-HOT updates, key updates, deletes, TOASTed values, NULLs, VACUUM), and after each round the diff of the two
 * must agree with the multiset differences of their full rows ({@code FROM EXCEPT ALL TO} and the other way, read
 * whole from each side): every deleted row is in FROM−TO, every inserted row in TO−FROM, every updated row's key on
 * both sides with exactly the changed columns differing, and the counts add up. Each round is diffed twice: by
 * the changed blocks the control plane reads from the change log (tables rewritten by VACUUM FULL fall back to a
 * scan) and by full scans; both must agree with the oracle, and the first must read fewer rows. Tables with a
 * primary key, a composite key, a unique NOT NULL key and none. The seed is printed; {@code -Dsprout.seed=N}
 * replays one.
 */
class DataDiffOracleTest {
    private static final int ROUNDS = 25;
    private static final int OPS_PER_SIDE = 30;

    private static final List<String> TABLES =
            List.of("public.keyed", "public.pair", "public.coded", "public.bag", "public.wide");

    @Test
    void theDiffAgreesWithFullRowMultisetDifferences() throws Exception {
        long seed = Long.getLong("sprout.seed", System.nanoTime());
        System.out.println("DataDiffOracleTest seed " + seed + " (replay with -Dsprout.seed=" + seed + ")");
        Random rnd = new Random(seed);
        Path work = Files.createDirectories(Path.of("/tmp", "sprout-data-oracle-" + UUID.randomUUID()));
        try (LocalStack up = LocalStack.startWithCompute(work.resolve("sprout"), 0, 0, 0)) {
            String pw = LocalStack.password(up.dataDir());
            int proxy = up.proxy().orElseThrow().port();
            try (Connection c = SchemaDiffCorpusTest.connect(proxy, "main", "postgres", pw)) {
                exec(
                        c,
                        "CREATE TABLE keyed (id int PRIMARY KEY, n int, t text, big text, ts timestamptz, j jsonb,"
                                + " f float8, b bool, maybe int)");
                exec(c, "CREATE INDEX keyed_n ON keyed (n)");
                exec(c, "CREATE TABLE pair (a int, b text, v numeric(10,2), PRIMARY KEY (a, b))");
                exec(c, "CREATE TABLE coded (code text NOT NULL UNIQUE, v int, note text)");
                exec(c, "CREATE TABLE bag (x int, y text)");
                exec(c, "CREATE TABLE wide (id int PRIMARY KEY, v int, pad text)");
                exec(c, "INSERT INTO wide SELECT g, g, repeat('p', 100) FROM generate_series(1, 20000) g");
                for (int i = 0; i < 200; i++) {
                    insert(c, rnd, i);
                }
            }
            try (Connection c = SchemaDiffCorpusTest.connect(proxy, "main", "postgres", pw)) {
                // as old data is: hint bits set and frozen (a first read after a load would otherwise rewrite
                // every page on each side, and every block would count as changed)
                exec(c, "VACUUM FREEZE");
            }
            up.control().create("b", "main", new BranchPoint.Head());
            int checked = 0;
            int fastTables = 0;
            long rowsReadFast = 0;
            long rowsReadFull = 0;
            try (Connection parent = SchemaDiffCorpusTest.connect(proxy, "main", "postgres", pw);
                    Connection branch = SchemaDiffCorpusTest.connect(proxy, "b", "postgres", pw);
                    Connection readFrom = SchemaDiffCorpusTest.connect(proxy, "main", "postgres", pw);
                    Connection readTo = SchemaDiffCorpusTest.connect(proxy, "b", "postgres", pw)) {
                int next = 1000;
                for (int round = 0; round < ROUNDS; round++) {
                    for (int op = 0; op < OPS_PER_SIDE; op++) {
                        next = randomOp(parent, rnd, next);
                        next = randomOp(branch, rnd, next);
                    }
                    long oidFrom = DiffCommand.databaseOid(readFrom);
                    long oidTo = DiffCommand.databaseOid(readTo);
                    // the fast path: only the rows on the blocks the change log names (and their keys)
                    List<TableDiff> fast = DataDiff.compare(readFrom, readTo, DataDiff.Filter.all(), () -> {
                        ControlPlane.Changes c = up.control()
                                .changes(
                                        "main",
                                        new BranchPoint.Head(),
                                        "b",
                                        new BranchPoint.Head(),
                                        "base/" + oidFrom,
                                        "base/" + oidTo);
                        return new DataDiff.Changes.Known(
                                new DataDiff.ChangedBlocks(c.from().files(), c.to().files()));
                    });
                    List<TableDiff> full = DataDiff.compare(readFrom, readTo, DataDiff.Filter.all());
                    for (int i = 0; i < fast.size(); i++) {
                        TableDiff d = fast.get(i);
                        List<String> fromRows = rows(readFrom, d.table());
                        List<String> toRows = rows(readTo, d.table());
                        checked += check(d, fromRows, toRows, seed, round);
                        check(full.get(i), fromRows, toRows, seed, round);
                        if (d.method().startsWith("changed blocks")) {
                            fastTables++;
                        }
                        if (d.table().equals("public.wide")) {
                            rowsReadFast += d.rowsFrom() + d.rowsTo();
                            rowsReadFull += full.get(i).rowsFrom() + full.get(i).rowsTo();
                        }
                    }
                }
            }
            assertTrue(checked > 1000, "only " + checked + " rows checked");
            assertTrue(fastTables > ROUNDS, "the changed-block path served only " + fastTables + " tables");
            assertTrue(
                    rowsReadFast * 3 < rowsReadFull,
                    "of the 20,000-row table the changed-block path read " + rowsReadFast + " rows, full scans "
                            + rowsReadFull);
            System.out.println("DataDiffOracleTest: " + checked + " differing rows checked in " + ROUNDS + " rounds; "
                    + fastTables + " tables by changed blocks read " + rowsReadFast + " rows where full scans read "
                    + rowsReadFull);
        } finally {
            try (Stream<Path> walk = Files.walk(work)) {
                walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** Checks one table's diff against the full rows of both sides; answers how many differing rows it checked. */
    private static int check(TableDiff d, List<String> from, List<String> to, long seed, int round) {
        String where = d.table() + " in round " + round + " (seed " + seed + ")";
        Map<String, Integer> fromMinusTo = multiset(from);
        Map<String, Integer> toMinusFrom = multiset(to);
        for (String r : to) {
            fromMinusTo.computeIfPresent(r, (k, n) -> n == 1 ? null : n - 1);
        }
        for (String r : from) {
            toMinusFrom.computeIfPresent(r, (k, n) -> n == 1 ? null : n - 1);
        }
        int removed = fromMinusTo.values().stream().mapToInt(Integer::intValue).sum();
        int added = toMinusFrom.values().stream().mapToInt(Integer::intValue).sum();
        assertEquals(
                removed,
                d.deleted().size() + d.updated().size(),
                "FROM−TO against deleted + updated, " + where + "; FROM−TO "
                        + fromMinusTo.keySet().stream().limit(2).toList() + "; deleted "
                        + d.deleted().stream().limit(2).toList() + "; updated "
                        + d.updated().stream().limit(2).toList());
        assertEquals(added, d.inserted().size() + d.updated().size(), "TO−FROM against inserted + updated, " + where);
        for (Map<String, String> r : d.deleted()) {
            assertTrue(take(fromMinusTo, r), "a deleted row not in FROM−TO, " + where + ": " + r);
        }
        for (Map<String, String> r : d.inserted()) {
            assertTrue(take(toMinusFrom, r), "an inserted row not in TO−FROM, " + where + ": " + r);
        }
        // what is left is the updated rows: matched by key, differing in exactly the changed columns
        Map<String, JsonObject> leftFrom = byKey(fromMinusTo, d);
        Map<String, JsonObject> leftTo = byKey(toMinusFrom, d);
        for (TableDiff.Update u : d.updated()) {
            String key = u.key().values().toString();
            JsonObject before = leftFrom.remove(key);
            JsonObject after = leftTo.remove(key);
            assertTrue(before != null && after != null, "an updated key not on both sides' leftovers, " + where);
            for (String col : before.keySet()) {
                boolean differs = !before.get(col).equals(after.get(col));
                assertEquals(differs, u.changed().containsKey(col), "column " + col + " of " + key + ", " + where);
                if (differs) {
                    assertEquals(
                            before.get(col).toString(), u.changed().get(col).get(0), where);
                    assertEquals(after.get(col).toString(), u.changed().get(col).get(1), where);
                }
            }
        }
        assertTrue(leftFrom.isEmpty() && leftTo.isEmpty(), "rows left unexplained, " + where);
        return removed + added;
    }

    private static Map<String, Integer> multiset(List<String> rows) {
        Map<String, Integer> m = new HashMap<>();
        rows.forEach(r -> m.merge(r, 1, Integer::sum));
        return m;
    }

    /** Removes one copy of the row (given as column → JSON value) from the multiset of full-row JSON texts. */
    private static boolean take(Map<String, Integer> set, Map<String, String> row) {
        for (String r : List.copyOf(set.keySet())) {
            JsonObject o = JsonParser.parseString(r).getAsJsonObject();
            boolean same = o.size() == row.size();
            for (Map.Entry<String, String> e : row.entrySet()) {
                same &= o.has(e.getKey()) && o.get(e.getKey()).toString().equals(e.getValue());
            }
            if (same) {
                set.computeIfPresent(r, (k, n) -> n == 1 ? null : n - 1);
                return true;
            }
        }
        return false;
    }

    private static Map<String, JsonObject> byKey(Map<String, Integer> rows, TableDiff d) {
        Map<String, JsonObject> out = new HashMap<>();
        List<String> keyCols = d.updated().isEmpty()
                ? List.of()
                : List.copyOf(d.updated().getFirst().key().keySet());
        rows.forEach((r, n) -> {
            JsonObject o = JsonParser.parseString(r).getAsJsonObject();
            List<String> key = new ArrayList<>();
            for (String k : keyCols) {
                key.add(o.get(k).toString());
            }
            out.put(key.toString(), o);
        });
        return out;
    }

    private static List<String> rows(Connection c, String table) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT to_jsonb(r.*)::text FROM " + table + " r")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static void insert(Connection c, Random rnd, int id) throws SQLException {
        exec(
                c,
                "INSERT INTO keyed VALUES (" + id + ", " + rnd.nextInt(100) + ", " + text(rnd) + ", "
                        + (rnd.nextInt(5) == 0 ? "repeat(md5('" + rnd.nextInt() + "'), 200)" : "NULL")
                        + ", now() - interval '"
                        + rnd.nextInt(1000) + " minutes', '{\"k\": " + rnd.nextInt(10) + "}', " + rnd.nextDouble()
                        + ", "
                        + rnd.nextBoolean() + ", " + (rnd.nextBoolean() ? "NULL" : Integer.toString(rnd.nextInt()))
                        + ")");
        exec(c, "INSERT INTO pair VALUES (" + (id % 50) + ", 'b" + id + "', " + rnd.nextInt(10000) / 100.0 + ")");
        exec(c, "INSERT INTO coded VALUES ('c" + id + "', " + rnd.nextInt(100) + ", " + text(rnd) + ")");
        exec(c, "INSERT INTO bag VALUES (" + rnd.nextInt(20) + ", " + text(rnd) + ")");
    }

    private static String text(Random rnd) {
        return rnd.nextInt(6) == 0 ? "NULL" : "'v" + rnd.nextInt(30) + (rnd.nextBoolean() ? " it''s" : "") + "'";
    }

    /** One random change on one side; answers the next fresh id. */
    private static int randomOp(Connection c, Random rnd, int next) throws SQLException {
        int id = rnd.nextInt(next);
        switch (rnd.nextInt(14)) {
            // the 20,000-row table changes little, as a big table does between two branches
            case 12 ->
                exec(
                        c,
                        "UPDATE wide SET v = v + 1 WHERE id = " + (1 + rnd.nextInt(20000)) + " AND "
                                + rnd.nextBoolean());
            case 13 -> exec(c, "DELETE FROM wide WHERE id = " + (1 + rnd.nextInt(20000)) + " AND " + rnd.nextBoolean());
            case 0, 1 -> {
                insert(c, rnd, next);
                return next + 1;
            }
            case 2 -> exec(c, "UPDATE keyed SET t = " + text(rnd) + " WHERE id = " + id); // HOT
            case 3 -> exec(c, "UPDATE keyed SET n = " + rnd.nextInt(100) + ", maybe = NULL WHERE id % 7 = " + id % 7);
            case 4 -> exec(c, "UPDATE keyed SET big = repeat(md5('" + rnd.nextInt() + "'), 300) WHERE id = " + id);
            case 5 -> exec(c, "DELETE FROM keyed WHERE id = " + id);
            case 6 -> exec(c, "UPDATE pair SET v = v + 1 WHERE a = " + id % 50);
            case 7 -> exec(c, "DELETE FROM pair WHERE a = " + id % 50 + " AND b LIKE 'b" + id % 10 + "%'");
            case 8 -> exec(c, "UPDATE coded SET note = " + text(rnd) + ", v = v + 1 WHERE code = 'c" + id + "'");
            case 9 -> exec(c, "UPDATE bag SET y = " + text(rnd) + " WHERE x = " + rnd.nextInt(20));
            case 10 ->
                exec(
                        c,
                        "DELETE FROM bag WHERE ctid IN (SELECT ctid FROM bag WHERE x = " + rnd.nextInt(20)
                                + " LIMIT 1)");
            default ->
                // a rewrite (a new relation file) of the table without a key now and then: scanned whole from then on
                exec(c, rnd.nextInt(8) == 0 ? "VACUUM FULL bag" : "VACUUM " + TABLES.get(rnd.nextInt(TABLES.size())));
        }
        return next;
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
