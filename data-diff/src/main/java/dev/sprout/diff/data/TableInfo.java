package dev.sprout.diff.data;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A table whose rows a data diff compares: its columns (name and type, in order) and the key that identifies a
 * row: the primary key, else the first unique index whose columns are all NOT NULL (no expression, no predicate),
 * else none (rows are then compared whole, with multiplicity).
 *
 * @param name      quoted as SQL needs it, e.g. {@code app.orders}
 * @param columns   column name (quoted) to its type ({@code format_type}), in column order
 * @param key       the key's columns (quoted), empty when the table has none
 * @param keySource {@code primary key}, {@code unique index NAME} or {@code none}
 * @param fileNode  {@code pg_class.relfilenode}: the file the table's rows live in (a rewrite makes a new one)
 */
public record TableInfo(String name, Map<String, String> columns, List<String> key, String keySource, long fileNode) {
    public TableInfo {
        Objects.requireNonNull(name, "name");
        columns = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(columns));
        key = List.copyOf(key);
    }

    public boolean keyed() {
        return !key.isEmpty();
    }

    /** Every ordinary table (and leaf partition) outside the system schemas, by name. */
    public static Map<String, TableInfo> read(Connection c) throws SQLException {
        Map<String, TableInfo> out = new LinkedHashMap<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relfilenode,"
                        + " (SELECT json_agg(json_build_array(format('%I', a.attname), format_type(a.atttypid,"
                        + " a.atttypmod)) ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum"
                        + " > 0 AND NOT a.attisdropped)::text AS cols, k.keycols, k.source"
                        + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " LEFT JOIN LATERAL (SELECT (SELECT json_agg(format('%I', a.attname) ORDER BY x.ord) FROM"
                        + " unnest(i.indkey) WITH ORDINALITY x(attnum, ord) JOIN pg_attribute a ON a.attrelid ="
                        + " i.indrelid AND a.attnum = x.attnum)::text AS keycols, CASE WHEN i.indisprimary THEN"
                        + " 'primary key' ELSE 'unique index ' || format('%I', ic.relname) END AS source FROM pg_index i"
                        + " JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid AND i.indisunique AND"
                        + " i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL AND NOT EXISTS (SELECT 1 FROM"
                        + " unnest(i.indkey) x(attnum) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum ="
                        + " x.attnum WHERE NOT a.attnotnull) ORDER BY i.indisprimary DESC, i.indexrelid LIMIT 1) k ON"
                        + " true WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND"
                        + " n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' ORDER BY 1")) {
            while (rs.next()) {
                Map<String, String> cols = new LinkedHashMap<>();
                for (List<String> pair : Json.pairs(rs.getString("cols"))) {
                    cols.put(pair.get(0), pair.get(1));
                }
                List<String> key = rs.getString("keycols") == null ? List.of() : Json.strings(rs.getString("keycols"));
                String source = rs.getString("source") == null ? "none" : rs.getString("source");
                out.put(
                        rs.getString("name"),
                        new TableInfo(rs.getString("name"), cols, key, source, rs.getLong("relfilenode")));
            }
        }
        return out;
    }

    /** The columns both tables have with the same type, in this table's order. */
    public List<String> commonColumns(TableInfo other) {
        List<String> out = new ArrayList<>();
        columns.forEach((col, type) -> {
            if (type.equals(other.columns.get(col))) {
                out.add(col);
            }
        });
        return out;
    }
}
