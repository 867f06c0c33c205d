package dev.sprout.migrate;

/**
 * PostgreSQL's table lock modes, weakest first, with what each blocks for other sessions (the conflict table of the
 * PostgreSQL documentation, "Explicit Locking").
 */
public final class Locks {
    private static final String[][] MODES = {
        {"AccessShareLock", "ACCESS SHARE", "only ACCESS EXCLUSIVE (ALTER TABLE, DROP, TRUNCATE, VACUUM FULL)"},
        {"RowShareLock", "ROW SHARE", "only EXCLUSIVE and ACCESS EXCLUSIVE"},
        {"RowExclusiveLock", "ROW EXCLUSIVE", "CREATE INDEX and stronger locks; not reads or writes"},
        {
            "ShareUpdateExclusiveLock",
            "SHARE UPDATE EXCLUSIVE",
            "VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY and" + " schema changes; not reads or writes"
        },
        {"ShareLock", "SHARE", "writes (INSERT, UPDATE, DELETE); reads go on"},
        {"ShareRowExclusiveLock", "SHARE ROW EXCLUSIVE", "writes (INSERT, UPDATE, DELETE); reads go on"},
        {"ExclusiveLock", "EXCLUSIVE", "writes and SELECT FOR UPDATE/SHARE; plain reads go on"},
        {"AccessExclusiveLock", "ACCESS EXCLUSIVE", "reads and writes"}
    };

    private Locks() {}

    /** 0 for ACCESS SHARE up to 7 for ACCESS EXCLUSIVE; -1 for a mode not of tables. */
    public static int strength(String mode) {
        for (int i = 0; i < MODES.length; i++) {
            if (MODES[i][0].equals(mode)) {
                return i;
            }
        }
        return -1;
    }

    /** {@code AccessExclusiveLock} → {@code ACCESS EXCLUSIVE}. */
    public static String label(String mode) {
        int i = strength(mode);
        return i < 0 ? mode : MODES[i][1];
    }

    /** What other sessions' statements this mode makes wait. */
    public static String blocks(String mode) {
        int i = strength(mode);
        return i < 0 ? "?" : MODES[i][2];
    }

    /** Whether the mode makes other sessions' reads or writes of the table wait (SHARE and stronger). */
    public static boolean blocksWrites(String mode) {
        return strength(mode) >= 4;
    }
}
