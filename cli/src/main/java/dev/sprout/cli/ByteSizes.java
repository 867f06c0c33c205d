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
        // one decimal rounded half up, in integers (java.util.Formatter is slow to start in a short-lived JVM)
        int unit = 0;
        long scale = 1024;
        while (unit < UNITS.length - 1 && bytes / scale >= 1024) {
            scale *= 1024;
            unit++;
        }
        long tenths = Math.round(bytes * 10.0 / scale);
        if (tenths >= 10240 && unit < UNITS.length - 1) {
            // 1023.96 KiB rounds to 1024.0 KiB: say 1.0 MiB
            tenths = Math.round(bytes * 10.0 / (scale * 1024));
            unit++;
        }
        return tenths / 10 + "." + tenths % 10 + " " + UNITS[unit];
    }
}
