package dev.sprout.diff.data;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Compares the rows of the tables of two databases, table by table.
 *
 * <p>A table on both sides is read whole on each (a full scan, streamed): one side's rows are held in memory by
 * key (or by whole row, counted), the other's streamed past them. Rows are compared as {@code to_jsonb} of the
 * columns both sides have with the same type, so values compare as PostgreSQL writes them. A key matches rows when
 * both sides have the same one (primary key, else a unique index over NOT NULL columns) within those columns; a
 * table without one is compared by whole rows, with multiplicity (an update is then a deletion and an insertion).
 * A table on one side only is counted.
 *
 * <p>Each side is read in one {@code REPEATABLE READ} read-only transaction, so each is one moment.
 *
 * <p>Not thread-safe: one comparison at a time per pair of connections.
 */
public final class DataDiff {
    /** Which tables: every one when both sets are empty; a table named without a schema is in {@code public}. */
    public record Filter(Set<String> schemas, Set<String> tables, Set<String> excluded, boolean scanRewritten) {
        public Filter {
            schemas = Set.copyOf(schemas);
            tables = Set.copyOf(tables);
            excluded = Set.copyOf(excluded);
        }

        /** Only these schemas' and tables' (none: every table), rewritten tables scanned whole. */
        public Filter(Set<String> schemas, Set<String> tables) {
            this(schemas, tables, Set.of(), true);
        }

        public static Filter all() {
            return new Filter(Set.of(), Set.of());
        }

        /** The same without {@code names} ({@code schema.table}). */
        public Filter excluding(Set<String> names) {
            Set<String> all = new java.util.HashSet<>(excluded);
            all.addAll(names);
            return new Filter(schemas, tables, all, scanRewritten);
        }

        /**
         * The same, but a table rewritten on one side (a new relation file) is not compared (its notes say so)
         * instead of scanned whole: for callers that know its changes otherwise and cannot wait for a full scan.
         */
        public Filter withoutFullScans() {
            return new Filter(schemas, tables, excluded, false);
        }

        boolean wants(String table) {
            if (excluded.contains(table)) {
                return false;
            }
            if (schemas.isEmpty() && tables.isEmpty()) {
                return true;
            }
            String schema = table.substring(0, table.indexOf('.'));
            return schemas.contains(schema) || tables.contains(table);
        }

        /** {@code orders} is {@code public.orders}. */
        static String qualified(String name) {
            return name.contains(".") ? name : "public." + name;
        }
    }

    /** A table named in the filter that neither side has. */
    public static final class UnknownTableException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        UnknownTableException(String sentence) {
            super(sentence);
        }
    }

    /**
     * The blocks of the database's relation files each side wrote since their shared history (from Sprout's change
     * log): file name in the database directory ({@code 16384}, {@code 16384.1}) to block numbers within that file.
     */
    public record ChangedBlocks(Map<String, SortedSet<Integer>> from, Map<String, SortedSet<Integer>> to) {
        public ChangedBlocks {
            from = Map.copyOf(from);
            to = Map.copyOf(to);
        }

        /** The blocks of relation file {@code node} (all its 1 GiB segments) that either side wrote. */
        SortedSet<Integer> of(long node) {
            SortedSet<Integer> out = new TreeSet<>();
            for (Map<String, SortedSet<Integer>> side : List.of(from, to)) {
                side.forEach((name, blocks) -> {
                    String base = name.contains(".") ? name.substring(0, name.indexOf('.')) : name;
                    if (base.equals(Long.toString(node))) {
                        int segment = name.contains(".") ? Integer.parseInt(name.substring(name.indexOf('.') + 1)) : 0;
                        blocks.forEach(b -> out.add(segment * SEGMENT_BLOCKS + b));
                    }
                });
            }
            return out;
        }
    }

    /** How the changed blocks came, or why there are none (the comparison then scans every table). */
    public sealed interface Changes {
        /** From Sprout's change log: only rows on the changed blocks are read (and their keys looked up). */
        record Known(ChangedBlocks blocks) implements Changes {}

        /** Not known: {@code why} goes in each table's notes. */
        record Unknown(String why) implements Changes {}
    }

    /** Blocks per 1 GiB segment file of a relation (PostgreSQL's RELSEG_SIZE with 8 KiB blocks). */
    static final int SEGMENT_BLOCKS = 131_072;
    /** Above this many runs of changed blocks in one table, one full scan is cheaper than the TID range scans. */
    static final int MAX_RANGES = 100_000;
    /** Runs of blocks per query (a UNION ALL of this many TID range scans plans in tens of milliseconds). */
    static final int RANGES_PER_QUERY = 1_000;

    private static final int FETCH = 2000;

    private DataDiff() {}

    /**
     * Compares every table the filter wants.
     *
     * @throws UnknownTableException when {@code filter} names a table neither side has
     */
    public static List<TableDiff> compare(Connection from, Connection to, Filter filter) throws SQLException {
        return compare(from, to, filter, () -> new Changes.Unknown("compared by a full scan"));
    }

    /**
     * Compares every table the filter wants, reading on each side only the rows on the blocks that {@code changes}
     * names (asked for after both sides' snapshots are taken, so that everything they see is in it) where it can:
     * a table whose relation file is the same on both sides. A table rewritten on one side (a new file:
     * {@code VACUUM FULL}, {@code CLUSTER}, {@code TRUNCATE}, a rewriting {@code ALTER TABLE}) is scanned whole, and
     * its notes say so.
     *
     * @throws UnknownTableException when {@code filter} names a table neither side has
     */
    public static List<TableDiff> compare(
            Connection from, Connection to, Filter filter, java.util.function.Supplier<Changes> changes)
            throws SQLException {
        Filter f = new Filter(
                filter.schemas(),
                filter.tables().stream().map(Filter::qualified).collect(java.util.stream.Collectors.toSet()),
                filter.excluded(),
                filter.scanRewritten());
        begin(from);
        begin(to);
        try {
            Map<String, TableInfo> a = TableInfo.read(from);
            Map<String, TableInfo> b = TableInfo.read(to);
            Changes known = changes.get();
            for (String t : f.tables()) {
                if (!a.containsKey(t) && !b.containsKey(t)) {
                    throw new UnknownTableException("neither side has a table " + t
                            + (t.startsWith("public.") ? " (a name without a schema is looked for in public)" : ""));
                }
            }
            Set<String> names = new TreeSet<>(a.keySet());
            names.addAll(b.keySet());
            List<TableDiff> out = new ArrayList<>();
            for (String name : names) {
                if (!f.wants(name)) {
                    continue;
                }
                TableInfo ta = a.get(name);
                TableInfo tb = b.get(name);
                if (ta == null) {
                    out.add(oneSided(name, TableDiff.Status.ONLY_TO, -1, count(to, name)));
                } else if (tb == null) {
                    out.add(oneSided(name, TableDiff.Status.ONLY_FROM, count(from, name), -1));
                } else {
                    out.add(table(from, to, ta, tb, known, f.scanRewritten()));
                }
            }
            return out;
        } finally {
            end(from);
            end(to);
        }
    }

    private static TableDiff oneSided(String name, TableDiff.Status status, long rowsFrom, long rowsTo) {
        return new TableDiff(
                name, status, "", "count", false, List.of(), List.of(), List.of(), List.of(), rowsFrom, rowsTo);
    }

    private static TableDiff table(
            Connection from, Connection to, TableInfo a, TableInfo b, Changes changes, boolean scanRewritten)
            throws SQLException {
        List<String> notes = new ArrayList<>();
        List<String> columns = a.commonColumns(b);
        Set<String> differing = new LinkedHashSet<>(a.columns().keySet());
        differing.addAll(b.columns().keySet());
        differing.removeAll(columns);
        if (!differing.isEmpty()) {
            notes.add("the schemas differ (" + String.join(", ", differing) + "): compared on the " + columns.size()
                    + " columns both sides have with the same type");
        }
        boolean keyed = a.keyed() && a.key().equals(b.key()) && columns.containsAll(a.key());
        if (!keyed) {
            notes.add(
                    a.keyed() || b.keyed()
                            ? "the sides do not share a key within the compared columns: rows are matched whole"
                            : "no primary key or unique NOT NULL index: rows are matched whole, with multiplicity");
        }
        String keyedBy = keyed ? a.keySource() + " (" + String.join(", ", a.key()) + ")" : "whole row";
        List<Map<String, String>> inserted = new ArrayList<>();
        List<Map<String, String>> deleted = new ArrayList<>();
        List<TableDiff.Update> updated = new ArrayList<>();
        long[] rows = new long[2];
        if (columns.isEmpty()) {
            notes.add("no column in common: rows not compared");
            return new TableDiff(
                    a.name(),
                    TableDiff.Status.BOTH,
                    keyedBy,
                    "none",
                    !differing.isEmpty(),
                    notes,
                    inserted,
                    deleted,
                    updated,
                    -1,
                    -1);
        }
        String select = select(a.name(), columns, keyed ? a.key() : List.of());
        String method = "full scan";
        if (changes instanceof Changes.Known(ChangedBlocks blocks) && a.fileNode() == b.fileNode()) {
            List<int[]> ranges = ranges(blocks.of(a.fileNode()));
            if (ranges.size() <= MAX_RANGES) {
                return changedRows(from, to, a, columns, keyed, keyedBy, notes, !differing.isEmpty(), ranges);
            }
            notes.add(ranges.size() + " runs of changed blocks: scanned whole");
        } else if (changes instanceof Changes.Known && !scanRewritten) {
            notes.add("rewritten on one side (a new relation file): rows not compared");
            return new TableDiff(
                    a.name(),
                    TableDiff.Status.BOTH,
                    keyedBy,
                    "not compared (rewritten)",
                    !differing.isEmpty(),
                    notes,
                    inserted,
                    deleted,
                    updated,
                    -1,
                    -1);
        } else if (changes instanceof Changes.Known) {
            notes.add("rewritten on one side (a new relation file): compared by a full scan");
        } else if (changes instanceof Changes.Unknown(String why)) {
            method = why;
        }
        RowMatch match = new RowMatch(keyed ? a.key() : List.of(), columns, inserted, deleted, updated);
        rows[0] = scan(from, select, match::from);
        rows[1] = scan(to, select, match::to);
        match.finish();
        return new TableDiff(
                a.name(),
                TableDiff.Status.BOTH,
                keyedBy,
                method,
                !differing.isEmpty(),
                notes,
                inserted,
                deleted,
                updated,
                rows[0],
                rows[1]);
    }

    /**
     * Matches FROM's rows (given first) with TO's: by key (one row per key on a side), or, without a key, whole rows
     * with multiplicity; fills the inserted, deleted and updated lists.
     */
    private static final class RowMatch {
        private final List<String> key;
        private final List<String> columns;
        private final List<Map<String, String>> inserted;
        private final List<Map<String, String>> deleted;
        private final List<TableDiff.Update> updated;
        private final Map<String, String> byKey = new HashMap<>();
        private final Map<String, Integer> counts = new HashMap<>();

        RowMatch(
                List<String> key,
                List<String> columns,
                List<Map<String, String>> inserted,
                List<Map<String, String>> deleted,
                List<TableDiff.Update> updated) {
            this.key = key;
            this.columns = columns;
            this.inserted = inserted;
            this.deleted = deleted;
            this.updated = updated;
        }

        void from(String k, String row) {
            if (key.isEmpty()) {
                counts.merge(row, 1, Integer::sum);
            } else {
                byKey.put(k, row);
            }
        }

        void to(String k, String row) {
            if (key.isEmpty()) {
                Integer n = counts.get(row);
                if (n == null) {
                    inserted.add(ordered(Json.row(row), columns));
                } else if (n == 1) {
                    counts.remove(row);
                } else {
                    counts.put(row, n - 1);
                }
                return;
            }
            String old = byKey.remove(k);
            if (old == null) {
                inserted.add(ordered(Json.row(row), columns));
            } else if (!old.equals(row)) {
                updated.add(update(Json.row(k, key), Json.row(old), Json.row(row), columns));
            }
        }

        /** What FROM had and TO lacked is deleted. */
        void finish() {
            byKey.values().forEach(r -> deleted.add(ordered(Json.row(r), columns)));
            counts.forEach((r, n) -> {
                for (int i = 0; i < n; i++) {
                    deleted.add(ordered(Json.row(r), columns));
                }
            });
        }
    }

    private static List<List<int[]>> chunks(List<int[]> ranges) {
        List<List<int[]>> out = new ArrayList<>();
        for (int i = 0; i < ranges.size(); i += RANGES_PER_QUERY) {
            out.add(ranges.subList(i, Math.min(ranges.size(), i + RANGES_PER_QUERY)));
        }
        return out;
    }

    /** Contiguous runs of blocks, each [first, last + 1). */
    static List<int[]> ranges(SortedSet<Integer> blocks) {
        List<int[]> out = new ArrayList<>();
        for (int b : blocks) {
            if (!out.isEmpty() && out.getLast()[1] == b) {
                out.getLast()[1] = b + 1;
            } else {
                out.add(new int[] {b, b + 1});
            }
        }
        return out;
    }

    /**
     * The fast path: the rows on the changed blocks of each side (TID range scans), matched by key; a key found on
     * one side's blocks only is looked up by index on the other. For a table without a key, the rows on those blocks
     * are compared as multisets. Blocks that neither side wrote hold the same rows on both sides.
     */
    private static TableDiff changedRows(
            Connection from,
            Connection to,
            TableInfo a,
            List<String> columns,
            boolean keyed,
            String keyedBy,
            List<String> notes,
            boolean schemaDiffers,
            List<int[]> ranges)
            throws SQLException {
        List<Map<String, String>> inserted = new ArrayList<>();
        List<Map<String, String>> deleted = new ArrayList<>();
        List<TableDiff.Update> updated = new ArrayList<>();
        long blocks = ranges.stream().mapToLong(r -> r[1] - r[0]).sum();
        String method = "changed blocks (" + blocks + ")";
        long[] rows = new long[2];
        if (keyed) {
            // first each row's key and a hash of its values: a key on the changed blocks of one side only is looked
            // up on the other (a row there on a block nobody wrote); every other key is on both sides' changed
            // blocks already. Then the whole rows of the keys whose hashes differ.
            Map<String, String> hashBefore = new HashMap<>();
            Map<String, String> hashAfter = new HashMap<>();
            for (List<int[]> chunk : chunks(ranges)) {
                String hashes = onBlocks(a.name(), columns, a.key(), chunk, true);
                rows[0] += scan(from, hashes, hashBefore::put);
                rows[1] += scan(to, hashes, hashAfter::put);
            }
            java.util.Set<String> onlyBefore = new java.util.LinkedHashSet<>(hashBefore.keySet());
            onlyBefore.removeAll(hashAfter.keySet());
            java.util.Set<String> onlyAfter = new java.util.LinkedHashSet<>(hashAfter.keySet());
            onlyAfter.removeAll(hashBefore.keySet());
            if (!onlyAfter.isEmpty()) {
                rows[0] += scan(from, byKey(a, columns, onlyAfter, true), hashBefore::put);
            }
            if (!onlyBefore.isEmpty()) {
                rows[1] += scan(to, byKey(a, columns, onlyBefore, true), hashAfter::put);
            }
            java.util.Set<String> differing = new java.util.LinkedHashSet<>();
            hashBefore.forEach((k, h) -> {
                if (!h.equals(hashAfter.get(k))) {
                    differing.add(k);
                }
            });
            hashAfter.keySet().stream().filter(k -> !hashBefore.containsKey(k)).forEach(differing::add);
            Map<String, String> before = new HashMap<>();
            Map<String, String> after = new HashMap<>();
            if (!differing.isEmpty()) {
                scan(from, byKey(a, columns, differing, false), before::put);
                scan(to, byKey(a, columns, differing, false), after::put);
            }
            RowMatch match = new RowMatch(a.key(), columns, inserted, deleted, updated);
            before.forEach(match::from);
            after.forEach(match::to);
            match.finish();
        } else {
            RowMatch match = new RowMatch(List.of(), columns, inserted, deleted, updated);
            for (List<int[]> chunk : chunks(ranges)) {
                rows[0] += scan(from, onBlocks(a.name(), columns, List.of(), chunk, false), match::from);
            }
            for (List<int[]> chunk : chunks(ranges)) {
                rows[1] += scan(to, onBlocks(a.name(), columns, List.of(), chunk, false), match::to);
            }
            match.finish();
        }
        return new TableDiff(
                a.name(),
                TableDiff.Status.BOTH,
                keyedBy,
                method,
                schemaDiffers,
                notes,
                inserted,
                deleted,
                updated,
                rows[0],
                rows[1]);
    }

    /**
     * The rows on the given runs of blocks: one TID range scan per run; with {@code hashed}, each row's values as an
     * MD5 of their JSON instead of the JSON.
     */
    private static String onBlocks(
            String table, List<String> columns, List<String> key, List<int[]> ranges, boolean hashed) {
        String cols = String.join(", ", columns);
        String k = key.isEmpty() ? "NULL::text" : "jsonb_build_array(" + String.join(", ", key) + ")::text";
        List<String> parts = new ArrayList<>();
        for (int[] r : ranges) {
            parts.add("SELECT " + cols + " FROM " + table + " WHERE ctid >= '(" + r[0] + ",0)'::tid AND ctid < '("
                    + r[1] + ",0)'::tid");
        }
        return "SELECT " + k + ", " + rowExpression(hashed) + " FROM (" + String.join(" UNION ALL ", parts) + ") r";
    }

    /** The rows whose key is one of {@code keys} (each a JSON array of the key's values), found by index. */
    private static String byKey(TableInfo t, List<String> columns, java.util.Set<String> keys, boolean hashed) {
        com.google.gson.JsonArray objects = new com.google.gson.JsonArray();
        for (String k : keys) {
            com.google.gson.JsonArray values =
                    com.google.gson.JsonParser.parseString(k).getAsJsonArray();
            com.google.gson.JsonObject o = new com.google.gson.JsonObject();
            for (int i = 0; i < t.key().size(); i++) {
                o.add(unquoted(t.key().get(i)), values.get(i));
            }
            objects.add(o);
        }
        List<String> defs = new ArrayList<>();
        for (String col : t.key()) {
            defs.add(col + " " + t.columns().get(col));
        }
        String keyList = String.join(", ", t.key());
        String literal = "'" + objects.toString().replace("'", "''") + "'::jsonb";
        return "SELECT jsonb_build_array(" + keyList + ")::text, " + rowExpression(hashed) + " FROM (SELECT "
                + String.join(", ", columns) + " FROM " + t.name() + " WHERE (" + keyList + ") IN (SELECT " + keyList
                + " FROM jsonb_to_recordset(" + literal + ") AS x(" + String.join(", ", defs) + "))) r";
    }

    private static String rowExpression(boolean hashed) {
        return hashed ? "md5(to_jsonb(r.*)::text)" : "to_jsonb(r.*)::text";
    }

    private static String select(String table, List<String> columns, List<String> key) {
        String cols = String.join(", ", columns);
        String k = key.isEmpty() ? "NULL::text" : "jsonb_build_array(" + String.join(", ", key) + ")::text";
        return "SELECT " + k + ", to_jsonb(r.*)::text FROM (SELECT " + cols + " FROM " + table + ") r";
    }

    private interface RowSink {
        void accept(String key, String row);
    }

    private static long scan(Connection c, String sql, RowSink sink) throws SQLException {
        long n = 0;
        try (Statement st = c.createStatement()) {
            st.setFetchSize(FETCH);
            try (ResultSet rs = st.executeQuery(sql)) {
                while (rs.next()) {
                    sink.accept(rs.getString(1), rs.getString(2));
                    n++;
                }
            }
        }
        return n;
    }

    private static long count(Connection c, String table) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static TableDiff.Update update(
            Map<String, String> key, Map<String, String> before, Map<String, String> after, List<String> columns) {
        Map<String, List<String>> changed = new LinkedHashMap<>();
        for (String col : columns) {
            String name = unquoted(col);
            String x = before.get(name);
            String y = after.get(name);
            if (!Objects.equals(x, y)) {
                changed.put(col, List.of(x, y));
            }
        }
        return new TableDiff.Update(key, changed);
    }

    /** A row's values in the table's column order (jsonb orders keys its own way), under the quoted names. */
    private static Map<String, String> ordered(Map<String, String> row, List<String> columns) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String col : columns) {
            out.put(col, row.get(unquoted(col)));
        }
        return out;
    }

    /** {@code "Odd Name"} is {@code Odd Name} in JSON; a plain name is itself. */
    static String unquoted(String quoted) {
        if (quoted.length() >= 2 && quoted.startsWith("\"") && quoted.endsWith("\"")) {
            return quoted.substring(1, quoted.length() - 1).replace("\"\"", "\"");
        }
        return quoted;
    }

    private static void begin(Connection c) throws SQLException {
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        }
    }

    private static void end(Connection c) throws SQLException {
        c.rollback();
        c.setAutoCommit(true);
    }
}
