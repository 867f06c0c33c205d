package dev.sprout.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The spellings of a past point, their canonical targets, and the sentences that refuse the others. */
class PastPointTest {
    @Test
    void everySpellingOfAPoint() {
        assertEquals(Optional.empty(), PastPoint.parse("main"));
        assertEquals(
                new PastPoint.AtTime("main", Instant.parse("2026-12-06T09:00:00Z")),
                PastPoint.parse("main@2026-12-06T10:00:00+01:00").orElseThrow());
        assertEquals(
                "main@2026-12-06T09:00:00Z",
                PastPoint.parse("main@2026-12-06T10:00:00+01:00").orElseThrow().target());
        assertEquals(
                new PastPoint.AtLsn("feature", 42),
                PastPoint.parse("feature@lsn:42").orElseThrow());
        PastPoint wal = PastPoint.parse("main@lsn:0/16b3748").orElseThrow();
        assertEquals(new PastPoint.AtWal("main", new WalLsn(0x16B3748L)), wal);
        assertEquals("main@lsn:0/16B3748", wal.target(), "PostgreSQL's own spelling, upper case");
    }

    @Test
    void walPositionsAsPostgresWritesThem() {
        assertEquals(0x1_0000_0000L + 0xFF, WalLsn.parse("1/FF").value());
        assertEquals("16/B374D848", WalLsn.parse("16/b374d848").toString());
        assertEquals("0/0", new WalLsn(0).toString());
        assertEquals("FFFFFFFF/FFFFFFFF", WalLsn.parse("FFFFFFFF/FFFFFFFF").toString());
        assertTrue(WalLsn.looksLike("0/1"));
        assertFalse(WalLsn.looksLike("123"));
        for (String bad : new String[] {"/1", "1/", "0/1/2", "g/1", "123456789/0", "0x1/2", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WalLsn.parse(bad), bad);
            assertTrue(e.getMessage().contains("pg_current_wal_lsn()"), e.getMessage());
        }
    }

    @Test
    void refusalsSayWhatAPointLooksLike() {
        IllegalArgumentException lsn =
                assertThrows(IllegalArgumentException.class, () -> PastPoint.parse("main@lsn:abc"));
        assertTrue(lsn.getMessage().contains("lsn:0/16B3748"), lsn.getMessage());
        IllegalArgumentException wal =
                assertThrows(IllegalArgumentException.class, () -> PastPoint.parse("main@lsn:0/zz"));
        assertTrue(wal.getMessage().contains("not a PostgreSQL WAL position"), wal.getMessage());
        IllegalArgumentException time =
                assertThrows(IllegalArgumentException.class, () -> PastPoint.parse("main@yesterday"));
        assertTrue(time.getMessage().contains("lsn:X/Y"), time.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PastPoint.parse("Bad Name@lsn:1"));
    }
}
