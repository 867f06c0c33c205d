package dev.sprout.testkit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * The JDBC side of the tests: connects to a PostgreSQL (a compute, the proxy, a native cluster) on 127.0.0.1
 * as a password user without TLS, and runs one-value queries and statements. A query that returns no row is
 * an error here, not a null or a zero, so a test cannot pass on an empty answer.
 */
public final class Sql {
    /** The superuser every compute and test cluster is made with. */
    public static final String SUPERUSER = "postgres";

    private Sql() {}

    /** Connects to database {@code postgres} on {@code 127.0.0.1:port} as {@link #SUPERUSER}, {@code sslmode=disable}. */
    public static Connection connect(int port, String password) throws SQLException {
        return connect(port, "postgres", password, new Properties());
    }

    /**
     * Connects to {@code database} on {@code 127.0.0.1:port} as {@link #SUPERUSER}; {@code database} may carry
     * URL parameters ({@code postgres?options=...}). {@code extra} properties are added last, so they win.
     */
    public static Connection connect(int port, String database, String password, Properties extra) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", SUPERUSER);
        p.setProperty("password", password);
        p.setProperty("sslmode", "disable");
        p.putAll(extra);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, p);
    }

    /** The first column of the first row of {@code sql}, as text; fails when there is no row. */
    public static String queryString(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            if (!rs.next()) {
                throw new SQLException("no row from: " + sql);
            }
            return rs.getString(1);
        }
    }

    /** The first column of the first row of {@code sql}, as a number; fails when there is no row or it is null. */
    public static long queryLong(Connection c, String sql) throws SQLException {
        String value = queryString(c, sql);
        if (value == null) {
            throw new SQLException("null from: " + sql);
        }
        return Long.parseLong(value.trim());
    }

    /** Runs {@code sql} (any statement, results ignored). */
    public static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
