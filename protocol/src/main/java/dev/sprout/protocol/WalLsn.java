package dev.sprout.protocol;

/**
 * A PostgreSQL WAL position ({@code pg_lsn}) as PostgreSQL writes it: two hexadecimal numbers, the high and the low
 * 32 bits, with a slash ({@code 0/16B3748}, what {@code pg_current_wal_lsn()} and the server log show). Not a Sprout
 * LSN: the control plane maps one to the other ({@code ControlPlane.walPoint}).
 *
 * @param value the 64-bit position
 */
public record WalLsn(long value) {
    /** {@code 16/B374D848}: PostgreSQL's own spelling (upper-case hex, no leading zeros). */
    @Override
    public String toString() {
        return Long.toHexString(value >>> 32).toUpperCase(java.util.Locale.ROOT) + "/"
                + Long.toHexString(value & 0xFFFF_FFFFL).toUpperCase(java.util.Locale.ROOT);
    }

    /** Whether {@code text} is written as a WAL position (has the slash), rather than as a Sprout LSN. */
    public static boolean looksLike(String text) {
        return text.indexOf('/') >= 0;
    }

    /**
     * Parses {@code HIGH/LOW} (1 to 8 hex digits each, either case).
     *
     * @throws IllegalArgumentException with a sentence saying what a WAL position looks like
     */
    public static WalLsn parse(String text) {
        int slash = text.indexOf('/');
        if (slash > 0 && slash < text.length() - 1) {
            String high = text.substring(0, slash);
            String low = text.substring(slash + 1);
            if (hex(high) && hex(low)) {
                return new WalLsn(Long.parseLong(high, 16) << 32 | Long.parseLong(low, 16));
            }
        }
        throw new IllegalArgumentException("\"" + text + "\" is not a PostgreSQL WAL position: two hexadecimal numbers"
                + " with a slash, as pg_current_wal_lsn() shows them (0/16B3748)");
    }

    private static boolean hex(String s) {
        return !s.isEmpty() && s.length() <= 8 && s.chars().allMatch(c -> Character.digit(c, 16) >= 0);
    }
}
