package dev.sprout.compute.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A dump's table of contents as pg_restore 15 lists it: the tables with data, and a selection's prerequisites (what
 * is no relation, less what the selection dumps itself).
 */
class DumpTocTest {
    /** {@code pg_restore -l} of {@code pg_dump -Fd -s --section=pre-data} of a small database. */
    private static final String DEFINITIONS = """
            ;
            ; Archive created at 2026-12-07 04:13:51 UTC
            ;     dbname: app
            ;
            7; 2615 16418 SCHEMA - shop app_owner
            2; 3079 16422 EXTENSION - citext\s
            3494; 0 0 COMMENT - EXTENSION citext\s
            917; 1247 16529 TYPE shop address app_owner
            3495; 0 0 COMMENT shop TYPE address app_owner
            920; 1247 16531 DOMAIN shop money_amount app_owner
            224; 1259 16534 TABLE shop customers app_owner
            3496; 0 0 COMMENT shop TABLE customers app_owner
            3497; 0 0 ACL shop TABLE customers app_owner
            273; 1255 16553 FUNCTION shop customer_label(shop.customers) app_owner
            274; 1255 16560 FUNCTION shop f(integer, text) app_owner
            223; 1259 16533 SEQUENCE shop customers_id_seq app_owner
            3498; 0 0 SEQUENCE OWNED BY shop orders_id_seq app_owner
            227; 1259 16554 VIEW shop v app_owner
            3331; 2604 16545 DEFAULT shop orders id app_owner
            3499; 0 0 DEFAULT ACL shop DEFAULT PRIVILEGES FOR TABLES app_owner
            """;

    /** {@code pg_restore -l} of {@code pg_dump -Fd -n shop}, trimmed: the schema and its type are in it. */
    private static final String SELECTION = """
            7; 2615 16418 SCHEMA - shop app_owner
            917; 1247 16529 TYPE shop address app_owner
            3495; 0 0 COMMENT shop TYPE address app_owner
            224; 1259 16534 TABLE shop customers app_owner
            3464; 0 16534 TABLE DATA shop customers app_owner
            3465; 0 16542 TABLE DATA shop orders app_owner
            3475; 0 0 SEQUENCE SET shop customers_id_seq app_owner
            """;

    @Test
    void theTablesWithData() {
        assertEquals(2, DumpToc.parse(SELECTION).tablesWithData());
        assertEquals(0, DumpToc.parse(DEFINITIONS).tablesWithData());
    }

    @Test
    void thePrerequisitesAreTheDefinitionsThatAreNoRelationsLessTheSelection() {
        assertEquals("""
                2; 3079 16422 EXTENSION - citext\s
                3494; 0 0 COMMENT - EXTENSION citext\s
                920; 1247 16531 DOMAIN shop money_amount app_owner
                273; 1255 16553 FUNCTION shop customer_label(shop.customers) app_owner
                274; 1255 16560 FUNCTION shop f(integer, text) app_owner
                3499; 0 0 DEFAULT ACL shop DEFAULT PRIVILEGES FOR TABLES app_owner
                """, DumpToc.parse(DEFINITIONS).prerequisites(DumpToc.parse(SELECTION)));
    }

    @Test
    void commentsAndGrantsFollowWhatTheyAreAbout() {
        assertTrue(DumpToc.prerequisite("COMMENT shop TYPE address app_owner"));
        assertTrue(DumpToc.prerequisite("ACL - SCHEMA shop app_owner"));
        assertTrue(DumpToc.prerequisite("COMMENT - DATABASE app app_owner"));
        assertTrue(DumpToc.prerequisite("DATABASE PROPERTIES - app app_owner"));
        assertFalse(DumpToc.prerequisite("COMMENT shop TABLE customers app_owner"));
        assertFalse(DumpToc.prerequisite("ACL shop TABLE customers app_owner"));
        assertFalse(DumpToc.prerequisite("COMMENT shop COLUMN products.manual app_owner"));
        assertFalse(DumpToc.prerequisite("DEFAULT shop orders id app_owner"));
        assertFalse(DumpToc.prerequisite("MATERIALIZED VIEW shop daily_sales app_owner"));
    }
}
