package dev.sprout.migrate;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the check measures in the catalogs of the database a migration runs on: its user tables (file node, size),
 * their columns, indexes and constraints, and the bodies of its routines ({@link #read}); and, after each
 * statement, the relation locks the migrating backend holds and the indexes, constraints and NOT NULL columns of
 * chosen tables ({@link #probe}). Read on the migrating connection itself, inside its transaction when it has one,
 * so that what the migration made and has not committed is seen.
 */
public final class Catalog {
    /** PostgreSQL's first OID of user objects: catalogs are below it. */
    static final long FIRST_NORMAL_OID = 16384;

    private static final String USER_SCHEMA =
            "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%'";

    private Catalog() {}

    /** A table (or materialized view): {@code schema.name}, its relation file, its size (pg_table_size). */
    public record Table(long oid, String name, long fileNode, long size) {}

    /** A column: its table, attnum, name, type, NOT NULL, whether its default calls a volatile function. */
    public record Column(long table, int attnum, String name, String type, boolean notNull, boolean volatileDefault) {
        String key() {
            return table + ":" + attnum;
        }
    }

    /** An index of a table. */
    public record Index(long oid, long table, String name) {}

    /** A constraint of a table: its type letter (f, c, p, u, x, t), whether validated, its definition. */
    public record Constraint(long oid, long table, String name, String type, boolean validated, String definition) {}

    /** A routine's signature and source text (PL/pgSQL or SQL with a string body). */
    public record Routine(String signature, String body) {}

    /** The catalogs at one moment. */
    public record State(
            Map<Long, Table> tables,
            Map<String, Column> columns,
            Map<Long, Index> indexes,
            Map<Long, Constraint> constraints,
            List<Routine> routines) {
        public State {
            tables = Map.copyOf(tables);
            columns = Map.copyOf(columns);
            indexes = Map.copyOf(indexes);
            constraints = Map.copyOf(constraints);
            routines = List.copyOf(routines);
        }

        public Column column(long table, int attnum) {
            return columns.get(table + ":" + attnum);
        }
    }

    /** A relation lock the migrating backend holds: the relation's OID, its name then, PostgreSQL's mode name. */
    public record Held(long relation, String name, String mode) {}

    /**
     * What one statement left behind.
     *
     * @param locks       the relation locks held after it (granted; user relations)
     * @param indexes     the indexes of the watched tables
     * @param constraints the constraints of the watched tables
     * @param notNull     the NOT NULL columns of the watched tables ({@code table:attnum})
     * @param catalogs    whether the catalog parts were read (not after statements that only read or write rows)
     */
    public record Probe(
            Set<Held> locks,
            Set<Long> indexes,
            Map<Long, Constraint> constraints,
            Set<String> notNull,
            boolean catalogs) {}

    public static State read(Connection c) throws SQLException {
        Map<Long, Table> tables = new HashMap<>();
        Map<String, Column> columns = new HashMap<>();
        Map<Long, Index> indexes = new HashMap<>();
        Map<Long, Constraint> constraints = new HashMap<>();
        List<Routine> routines = new java.util.ArrayList<>();
        try (Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname),"
                    + " c.relfilenode, pg_table_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid ="
                    + " c.relnamespace WHERE c.relkind IN ('r', 'p', 'm') AND " + USER_SCHEMA)) {
                while (rs.next()) {
                    tables.put(rs.getLong(1), new Table(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getLong(4)));
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT a.attrelid, a.attnum, a.attname, format_type(a.atttypid,"
                    + " a.atttypmod), a.attnotnull, a.attidentity <> '' OR coalesce((SELECT bool_or(p.provolatile ="
                    + " 'v') FROM pg_attrdef d CROSS JOIN LATERAL regexp_matches(d.adbin::text,"
                    + " ':(?:op)?funcid (\\d+)', 'g') m JOIN pg_proc p ON p.oid = m[1]::oid WHERE d.adrelid ="
                    + " a.attrelid AND d.adnum = a.attnum), false) FROM pg_attribute a JOIN pg_class c ON c.oid ="
                    + " a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'm')"
                    + " AND a.attnum > 0 AND NOT a.attisdropped AND " + USER_SCHEMA)) {
                while (rs.next()) {
                    Column col = new Column(
                            rs.getLong(1),
                            rs.getInt(2),
                            rs.getString(3),
                            rs.getString(4),
                            rs.getBoolean(5),
                            rs.getBoolean(6));
                    columns.put(col.key(), col);
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT i.indexrelid, i.indrelid, quote_ident(n.nspname) || '.' ||"
                    + " quote_ident(c.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN"
                    + " pg_namespace n ON n.oid = c.relnamespace WHERE " + USER_SCHEMA)) {
                while (rs.next()) {
                    indexes.put(rs.getLong(1), new Index(rs.getLong(1), rs.getLong(2), rs.getString(3)));
                }
            }
            try (ResultSet rs = st.executeQuery(CONSTRAINTS + " JOIN pg_class c ON c.oid = k.conrelid JOIN"
                    + " pg_namespace n ON n.oid = c.relnamespace WHERE " + USER_SCHEMA)) {
                while (rs.next()) {
                    Constraint k = constraint(rs);
                    constraints.put(k.oid(), k);
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT p.oid::regprocedure::text, p.prosrc FROM pg_proc p JOIN"
                    + " pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang WHERE "
                    + USER_SCHEMA + " AND l.lanname NOT IN ('c', 'internal') AND NOT EXISTS (SELECT 1 FROM"
                    + " pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')")) {
                while (rs.next()) {
                    routines.add(new Routine(rs.getString(1), rs.getString(2) == null ? "" : rs.getString(2)));
                }
            }
        }
        return new State(tables, columns, indexes, constraints, routines);
    }

    private static final String CONSTRAINTS = "SELECT k.oid, k.conrelid, k.conname, k.contype::text, k.convalidated,"
            + " pg_get_constraintdef(k.oid) FROM pg_constraint k";

    private static Constraint constraint(ResultSet rs) throws SQLException {
        return new Constraint(
                rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getBoolean(5), rs.getString(6));
    }

    /** After a statement: the locks held, and (with {@code catalogs}) the watched tables' indexes etc. */
    public static Probe probe(Connection c, Collection<Long> watched, boolean catalogs) throws SQLException {
        Set<Held> locks = new HashSet<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT relation::bigint, relation::regclass::text, mode FROM pg_locks WHERE pid ="
                                + " pg_backend_pid() AND locktype = 'relation' AND granted AND relation >= "
                                + FIRST_NORMAL_OID)) {
            while (rs.next()) {
                locks.add(new Held(rs.getLong(1), rs.getString(2), rs.getString(3)));
            }
        }
        Set<Long> indexes = new HashSet<>();
        Map<Long, Constraint> constraints = new HashMap<>();
        Set<String> notNull = new HashSet<>();
        if (catalogs && !watched.isEmpty()) {
            Array oids = c.createArrayOf("bigint", watched.toArray());
            try (PreparedStatement ps =
                    c.prepareStatement("SELECT indexrelid FROM pg_index WHERE indrelid = ANY (?::bigint[]::oid[])")) {
                ps.setArray(1, oids);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        indexes.add(rs.getLong(1));
                    }
                }
            }
            try (PreparedStatement ps =
                    c.prepareStatement(CONSTRAINTS + " WHERE k.conrelid = ANY (?::bigint[]::oid[])")) {
                ps.setArray(1, oids);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Constraint k = constraint(rs);
                        constraints.put(k.oid(), k);
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT attrelid, attnum FROM pg_attribute WHERE attrelid ="
                    + " ANY (?::bigint[]::oid[]) AND attnum > 0 AND attnotnull AND NOT attisdropped")) {
                ps.setArray(1, oids);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        notNull.add(rs.getLong(1) + ":" + rs.getInt(2));
                    }
                }
            }
        }
        return new Probe(locks, indexes, constraints, notNull, catalogs && !watched.isEmpty());
    }

    /** The WAL insert position, as bytes from the start of WAL. */
    public static long walPosition(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Rows inserted, updated and deleted per table by the current transaction (pg_stat_xact_user_tables). */
    public static Map<String, long[]> rowsThisTransaction(Connection c) throws SQLException {
        Map<String, long[]> out = new java.util.TreeMap<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT quote_ident(schemaname) || '.' || quote_ident(relname),"
                        + " n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables WHERE n_tup_ins + n_tup_upd"
                        + " + n_tup_del > 0")) {
            while (rs.next()) {
                out.merge(rs.getString(1), new long[] {rs.getLong(2), rs.getLong(3), rs.getLong(4)}, (a, b) -> {
                    for (int i = 0; i < 3; i++) {
                        a[i] += b[i];
                    }
                    return a;
                });
            }
        }
        return out;
    }
}
