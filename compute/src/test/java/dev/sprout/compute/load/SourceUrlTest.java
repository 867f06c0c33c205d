package dev.sprout.compute.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The source URL: libpq's defaults, percent-encoding, parameters, and a password that no printed form repeats. */
class SourceUrlTest {
    @Test
    void everyPartAndItsDefault() {
        SourceUrl u = SourceUrl.parse("postgresql://repl:s%3Acr%40t@db.internal:6543/app?sslmode=require");
        assertEquals("repl", u.user());
        assertEquals(Optional.of("s:cr@t"), u.password());
        assertEquals("db.internal", u.host());
        assertEquals(6543, u.port());
        assertEquals("app", u.database());
        assertEquals(Map.of("sslmode", "require"), u.params());

        SourceUrl bare = SourceUrl.parse("postgres://alice@localhost");
        assertEquals(5432, bare.port());
        assertEquals("postgres", bare.database());
        assertEquals(Optional.empty(), bare.password());

        SourceUrl v6 = SourceUrl.parse("postgresql://u@[::1]:5433/");
        assertEquals("::1", v6.host());
        assertEquals("postgresql://u@[::1]:5433/postgres", v6.redacted());
        assertEquals("[::1]:5433", v6.address());
    }

    @Test
    void aPasswordIsNeverPrintedNorOnTheConnInfo() {
        SourceUrl u = SourceUrl.parse("postgresql://repl:hunter2@h:1/d?password=other&application_name=x");
        assertEquals(Optional.of("other"), u.password(), "a password parameter wins, as in libpq");
        for (String printed : new String[] {u.toString(), u.redacted(), u.conninfo("sprout-import")}) {
            assertFalse(printed.contains("hunter2") || printed.contains("other"), printed);
        }
        assertTrue(u.conninfo("sprout-import").contains("user='repl'"));
    }

    @Test
    void conninfoQuotesWhatLibpqWouldMisread() {
        SourceUrl u = SourceUrl.parse("postgresql://o%27brien@h/my%20db");
        assertEquals("o'brien", u.user());
        assertTrue(u.conninfo("a").contains("user='o\\'brien'"), u.conninfo("a"));
        assertTrue(u.conninfo("a").contains("dbname='my db'"), u.conninfo("a"));
    }

    @Test
    void badUrlsAreSentences() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SourceUrl.parse("mysql://root@h/x"))
                .getMessage()
                .contains("postgresql://"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SourceUrl.parse("postgresql://u:p w@h/"))
                .getMessage()
                .contains("percent-encode"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SourceUrl.parse("postgresql://u@h/?sslmode"))
                .getMessage()
                .contains("has no value"));
    }

    @Test
    void whetherTheUrlNamesItsDatabase() {
        assertTrue(SourceUrl.parse("postgresql://u@h:1/app").namesDatabase());
        assertFalse(SourceUrl.parse("postgresql://u@h:1/").namesDatabase(), "libpq's default, postgres, not named");
        assertFalse(SourceUrl.parse("postgresql://u@h:1").namesDatabase());
        SourceUrl other =
                SourceUrl.parse("postgresql://u:pw@h:1/?sslmode=require").withDatabase("analytics");
        assertEquals("analytics", other.database());
        assertTrue(other.namesDatabase());
        assertEquals(Optional.of("pw"), other.password());
        assertTrue(other.conninfo("x").contains("dbname='analytics'"), other.conninfo("x"));
        assertTrue(other.conninfo("x").contains("sslmode='require'"), other.conninfo("x"));
    }
}
