package dev.sprout.proxy;

import static dev.sprout.testkit.Sql.exec;
import static dev.sprout.testkit.Sql.queryLong;
import static dev.sprout.testkit.Sql.queryString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/** pgjdbc through the proxy to real computes: routing, TLS, scram, prepared statements, cancel, large COPY. */
@ExtendWith(ProxyFixture.Resolver.class)
class ProxyClientsTest {

    @Test
    void eachWayOfNamingABranchReachesThatBranchsCompute(ProxyFixture fx) throws Exception {
        try (Connection c = fx.viaProxy("postgres")) {
            assertEquals("main", queryString(c, "SELECT name FROM marker"), "no branch named: main");
        }
        Properties options = new Properties();
        options.setProperty("options", "branch=feature -c search_path=public");
        try (Connection c = fx.viaProxy("postgres", options)) {
            assertEquals("feature", queryString(c, "SELECT name FROM marker"));
            assertEquals("public", queryString(c, "SHOW search_path"), "the other options reach the compute");
        }
        try (Connection c = fx.viaProxy("postgres@feature")) {
            assertEquals("feature", queryString(c, "SELECT name FROM marker"));
            assertEquals("postgres", queryString(c, "SELECT current_database()"), "the database name without @branch");
        }
        try (Connection c = fx.viaProxy("postgres@main")) {
            assertEquals("main", queryString(c, "SELECT name FROM marker"));
        }
    }

    @Test
    void tlsWithScramThroughTheProxy(ProxyFixture fx) throws Exception {
        Properties tls = new Properties();
        tls.setProperty("sslmode", "require"); // pgjdbc refuses to go on in the clear when the proxy says 'N'
        tls.setProperty("options", "branch=feature");
        assertEquals(
                Optional.of("OPENSSL"), fx.proxy.tlsProvider(), "BoringSSL (netty-tcnative) loads on Linux x86-64");
        try (Connection c = fx.viaProxy("postgres", tls)) {
            assertEquals("feature", queryString(c, "SELECT name FROM marker"));
            assertEquals("scram-sha-256", queryString(c, "SHOW password_encryption"));
        }
        Properties wrong = new Properties();
        wrong.setProperty("sslmode", "require");
        wrong.setProperty("password", "not-the-password");
        SQLException refused = assertThrows(
                SQLException.class, () -> fx.viaProxy("postgres", wrong).close());
        assertEquals(
                "28P01", refused.getSQLState(), "the compute's own authentication answers: " + refused.getMessage());
    }

    @Test
    void preparedStatementsAcrossManyExecutions(ProxyFixture fx) throws Exception {
        Properties p = new Properties();
        p.setProperty("prepareThreshold", "1"); // server-side prepared statements from the first execution
        try (Connection c = fx.viaProxy("postgres@feature", p)) {
            exec(c, "CREATE TEMP TABLE squares (n int PRIMARY KEY, sq bigint)");
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO squares VALUES (?, ?)")) {
                for (int n = 1; n <= 500; n++) {
                    insert.setInt(1, n);
                    insert.setLong(2, (long) n * n);
                    insert.executeUpdate();
                }
            }
            try (PreparedStatement select = c.prepareStatement("SELECT sq FROM squares WHERE n = ?")) {
                for (int n = 1; n <= 500; n += 7) {
                    select.setInt(1, n);
                    try (ResultSet rs = select.executeQuery()) {
                        assertTrue(rs.next());
                        assertEquals((long) n * n, rs.getLong(1));
                    }
                }
            }
            assertEquals(500, queryLong(c, "SELECT count(*) FROM squares"));
        }
    }

    @Test
    void statementCancelStopsAPgSleepOnTheRightCompute(ProxyFixture fx) throws Exception {
        for (String sslmode : new String[] {"disable", "require"}) {
            Properties p = new Properties();
            p.setProperty("sslmode", sslmode);
            try (Connection c = fx.viaProxy("postgres@feature", p);
                    Statement st = c.createStatement()) {
                int issuedPid = c.unwrap(PGConnection.class).getBackendPID();
                long realPid = queryLong(c, "SELECT pg_backend_pid()");
                assertNotEquals(realPid, issuedPid, "the client sees the proxy's key, not the compute's");
                long started = System.nanoTime();
                CompletableFuture<SQLException> sleeping = CompletableFuture.supplyAsync(() -> {
                    try {
                        st.execute("SELECT pg_sleep(60)");
                        return null;
                    } catch (SQLException e) {
                        return e;
                    }
                });
                awaitActive(fx, realPid);
                st.cancel();
                SQLException canceled = sleeping.get(20, TimeUnit.SECONDS);
                assertTrue(canceled != null, "pg_sleep(60) returned normally");
                assertEquals("57014", canceled.getSQLState(), canceled.getMessage());
                assertTrue(Duration.ofNanos(System.nanoTime() - started).toSeconds() < 30, "canceled, not finished");
                assertEquals(1, queryLong(c, "SELECT 1"), "the session goes on after the cancel");
            }
        }
    }

    /** Waits until the backend {@code pid} of the feature compute runs a query. */
    private static void awaitActive(ProxyFixture fx, long pid) throws Exception {
        try (Connection watch = ProxyFixture.direct(fx.feature)) {
            for (int i = 0; i < 200; i++) {
                if ("active"
                        .equals(queryString(
                                watch,
                                "SELECT coalesce((SELECT state FROM pg_stat_activity WHERE pid = " + pid
                                        + "), 'gone')"))) {
                    return;
                }
                Thread.sleep(25);
            }
        }
        throw new AssertionError("backend " + pid + " never became active");
    }

    @Test
    void largeCopyBothWaysArrivesWhole(ProxyFixture fx) throws Exception {
        int rows = 200_000;
        StringBuilder data = new StringBuilder(rows * 60);
        for (int i = 0; i < rows; i++) {
            data.append(i)
                    .append('\t')
                    .append("row-")
                    .append(i)
                    .append("-")
                    .append("x".repeat(40))
                    .append('\n');
        }
        String sent = data.toString();
        Properties tls = new Properties();
        tls.setProperty("sslmode", "require");
        try (Connection c = fx.viaProxy("postgres@feature", tls)) {
            exec(c, "CREATE TEMP TABLE copied (id int, payload text)");
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            assertEquals(rows, copy.copyIn("COPY copied FROM STDIN", new StringReader(sent)));
            ByteArrayOutputStream out = new ByteArrayOutputStream(sent.length());
            assertEquals(rows, copy.copyOut("COPY (SELECT * FROM copied ORDER BY id) TO STDOUT", out));
            assertEquals(
                    sha256(sent.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                    sha256(out.toByteArray()),
                    sent.length() + " bytes in, " + out.size() + " bytes out");
        }
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void anUnknownBranchGetsA3D000ThatNamesIt(ProxyFixture fx) {
        SQLException e = assertThrows(
                SQLException.class, () -> fx.viaProxy("postgres@nope").close());
        assertEquals("3D000", e.getSQLState());
        assertTrue(e.getMessage().contains("branch \"nope\" does not exist"), e.getMessage());
    }
}
