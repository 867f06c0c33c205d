package dev.sprout.cli.imports;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What every table of a database holds, as one checksum per table, so that two copies of a database can be
 * compared table by table: for each table (ordinary, unlogged, partition leaf) and materialized view outside
 * {@code pg_catalog} and {@code information_schema} (the partitioned parents hold no rows of their own, views
 * none at all), {@code "schema.table" -> "ROWS:HASH"}, where HASH is the md5 of the sums of the upper and lower
 * 64 bits of the md5 of each row's text form. A sum does not depend on the order rows are read in, and counts a
 * row that is there twice twice. A materialized view never populated is {@code "unpopulated"}. Each sequence is
 * {@code "schema.seq(sequence)" -> "last_value=N is_called=B"}.
 *
 * <p>All of a database is read in one read-only REPEATABLE READ transaction (one snapshot; sequences are not
 * transactional), with the settings that shape the text form of values pinned (time zone UTC, ISO dates, hex
 * bytea, the shortest exact floats, search_path pg_catalog), so both sides print equal values alike.
 */
public final class TableChecksums {
    /** The checksum of a materialized view that was created WITH NO DATA and never refreshed. */
    public static final String UNPOPULATED = "unpopulated";

    private static final List<String> SESSION_SETTINGS = List.of(
            "SET TimeZone = 'UTC'",
            "SET DateStyle = 'ISO, YMD'",
            "SET IntervalStyle = 'postgres'",
            "SET extra_float_digits = 1",
            "SET bytea_output = 'hex'",
            "SET lc_monetary = 'C'",
            "SET search_path = pg_catalog");

    private static final String RELATIONS = """
            SELECT n.nspname, c.relname, c.relkind, c.relispopulated,
                   format('%I.%I', n.nspname, c.relname)
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'm', 'S')
              AND c.relpersistence <> 't'
              AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            ORDER BY 1, 2""";

    private TableChecksums() {}

    /** The checksums of the database {@code jdbcUrl} names, read as {@code user}. */
    public static Map<String, String> of(String jdbcUrl, String user, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        try (Connection c = DriverManager.getConnection(jdbcUrl, p)) {
            return of(c);
        }
    }

    /**
     * The checksums of every database of {@code host:port} but template0 and template1, by database name; the
     * list of databases is read from {@code pg_database} in database {@code postgres}.
     */
    public static Map<String, Map<String, String>> allDatabases(String host, int port, String user, String password)
            throws SQLException {
        String server = "jdbc:postgresql://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/";
        List<String> databases = new ArrayList<>();
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        try (Connection c = DriverManager.getConnection(server + "postgres", p);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT datname FROM pg_catalog.pg_database"
                        + " WHERE datname NOT IN ('template0', 'template1') ORDER BY 1")) {
            while (rs.next()) {
                databases.add(rs.getString(1));
            }
        }
        SortedMap<String, Map<String, String>> all = new TreeMap<>();
        for (String database : databases) {
            String url =
                    server + URLEncoder.encode(database, StandardCharsets.UTF_8).replace("+", "%20");
            all.put(database, of(url, user, password));
        }
        return Collections.unmodifiableSortedMap(all);
    }

    private static Map<String, String> of(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String setting : SESSION_SETTINGS) {
                st.execute(setting);
            }
        }
        c.setAutoCommit(false);
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        c.setReadOnly(true);
        try {
            SortedMap<String, String> sums = new TreeMap<>();
            List<Relation> relations = new ArrayList<>();
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery(RELATIONS)) {
                while (rs.next()) {
                    relations.add(new Relation(
                            rs.getString(1), rs.getString(2), rs.getString(3), rs.getBoolean(4), rs.getString(5)));
                }
            }
            for (Relation r : relations) {
                if (r.kind().equals("S")) {
                    sums.put(r.name() + "(sequence)", sequence(c, r));
                } else if (!r.populated()) {
                    sums.put(r.name(), UNPOPULATED);
                } else {
                    sums.put(r.name(), rows(c, r));
                }
            }
            c.commit();
            return Collections.unmodifiableSortedMap(sums);
        } catch (SQLException e) {
            c.rollback();
            throw e;
        }
    }

    private static String rows(Connection c, Relation r) throws SQLException {
        // ROW(t.*) is the row as a whole even when the table has a column named like the alias.
        String sql = "SELECT count(*), md5(coalesce(sum(('x' || substr(h, 1, 16))::bit(64)::bigint), 0)::text"
                + " || ':' || coalesce(sum(('x' || substr(h, 17, 16))::bit(64)::bigint), 0)::text)"
                + " FROM (SELECT md5(ROW(t.*)::text) AS h FROM ONLY " + r.quoted() + " AS t) AS hashes";
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1) + ":" + rs.getString(2);
        } catch (SQLException e) {
            throw new SQLException("cannot checksum " + r.name() + ": " + e.getMessage(), e.getSQLState(), e);
        }
    }

    private static String sequence(Connection c, Relation r) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT last_value, is_called FROM " + r.quoted())) {
            rs.next();
            return "last_value=" + rs.getLong(1) + " is_called=" + rs.getBoolean(2);
        }
    }

    /** A relation to checksum: its schema and name, pg_class.relkind, whether populated, its quoted name. */
    private record Relation(String schema, String table, String kind, boolean populated, String quoted) {
        String name() {
            return schema + "." + table;
        }
    }
}
