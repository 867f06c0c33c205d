package dev.sprout.compute.load;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** pg_dumpall's roles script, split into statements as it is applied, and never a password in a note. */
class RoleScriptTest {
    /** What pg_dumpall 15.18 --roles-only wrote for a small cluster (the \restrict key shortened). */
    private static final String SCRIPT = """
            --
            -- PostgreSQL database cluster dump
            --

            \\restrict XF4RAoee

            SET default_transaction_read_only = off;

            SET client_encoding = 'UTF8';
            SET standard_conforming_strings = on;

            --
            -- Roles
            --

            CREATE ROLE alice;
            ALTER ROLE alice WITH NOSUPERUSER INHERIT LOGIN PASSWORD 'SCRAM-SHA-256$4096:abc=$de;f=:gh=';
            CREATE ROLE app_owner;
            COMMENT ON ROLE app_owner IS 'multi
            line; with ''quotes'' -- and no comment';
            CREATE ROLE "Odd ""Name""\";
            CREATE ROLE postgres;
            ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS;
            ALTER ROLE alice SET search_path TO 'shop', 'public';
            GRANT app_owner TO alice GRANTED BY postgres;

            \\unrestrict XF4RAoee

            --
            -- PostgreSQL database cluster dump complete
            --
            """;

    @Test
    void theScriptSplitsIntoItsStatements() {
        assertEquals(
                List.of(
                        "SET default_transaction_read_only = off",
                        "SET client_encoding = 'UTF8'",
                        "SET standard_conforming_strings = on",
                        "CREATE ROLE alice",
                        "ALTER ROLE alice WITH NOSUPERUSER INHERIT LOGIN PASSWORD 'SCRAM-SHA-256$4096:abc=$de;f=:gh='",
                        "CREATE ROLE app_owner",
                        "COMMENT ON ROLE app_owner IS 'multi\nline; with ''quotes'' -- and no comment'",
                        "CREATE ROLE \"Odd \"\"Name\"\"\"",
                        "CREATE ROLE postgres",
                        "ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS",
                        "ALTER ROLE alice SET search_path TO 'shop', 'public'",
                        "GRANT app_owner TO alice GRANTED BY postgres"),
                RoleScript.statements(SCRIPT));
    }

    @Test
    void aNoteNeverCarriesAPassword() {
        assertEquals(
                "ALTER ROLE alice WITH LOGIN PASSWORD '…' VALID UNTIL 'infinity'",
                RoleScript.redact("ALTER ROLE alice WITH LOGIN PASSWORD 'md5abc''d' VALID UNTIL 'infinity'"));
    }
}
