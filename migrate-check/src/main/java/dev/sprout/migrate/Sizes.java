package dev.sprout.migrate;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte sizes for people ("64.0 MiB") and from them ("10MB", "1.5GiB", "4096"): binary units either way. */
public final class Sizes {
    private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB"};
    private static final Pattern SIZE = Pattern.compile("^\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([KMGT]?)(?:I?B)?\\s*$");

    private Sizes() {}

    public static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]);
    }

    /**
     * {@code 10MB}, {@code 10MiB}, {@code 10M}, {@code 512kB}, {@code 4096}: bytes (K, M, G, T are powers of 1024).
     *
     * @throws IllegalArgumentException for anything else
     */
    public static long parse(String s) {
        Matcher m = SIZE.matcher(s.toUpperCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "a size is a number with an optional unit (10MB, 1GiB, 4096); not '" + s + "'");
        }
        int shift = switch (m.group(2)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        return (long) (Double.parseDouble(m.group(1)) * (1L << shift));
    }
}
