package dev.sprout.cli;

/** Byte counts for people: binary units, one decimal ("0 B", "8.0 KiB", "64.0 MiB"). */
final class ByteSizes {
    private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private ByteSizes() {}

    static String format(long bytes) {
        if (bytes >= 0 && bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 0) {
            // a uint64 from the management API above 2^63 - 1; no store holds that, but print what was said
            return Long.toUnsignedString(bytes) + " B";
        }
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", value, UNITS[unit]);
    }
}
