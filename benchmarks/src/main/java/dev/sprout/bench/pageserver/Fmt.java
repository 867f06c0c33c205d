package dev.sprout.bench.pageserver;

import java.util.Locale;

/** Number formats of the report: microseconds, rates, counts and ratios, all in {@link Locale#ROOT}. */
final class Fmt {
    private Fmt() {}

    /** Nanoseconds as microseconds: one decimal below 100 µs, whole microseconds with separators above. */
    static String us(double nanos) {
        if (Double.isNaN(nanos)) {
            return "–";
        }
        double us = nanos / 1_000;
        return Math.abs(us) < 100 ? String.format(Locale.ROOT, "%.1f", us) : String.format(Locale.ROOT, "%,.0f", us);
    }

    /** A share of the machine's CPU time, or a dash when it was not measured. */
    static String share(java.util.OptionalDouble fraction) {
        return fraction.isPresent() ? String.format(Locale.ROOT, "%.0f%%", fraction.getAsDouble() * 100) : "–";
    }

    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    static String rate(double perSecond) {
        return String.format(Locale.ROOT, "%,.0f", perSecond);
    }

    static String ratio(double r) {
        if (Double.isNaN(r) || Double.isInfinite(r)) {
            return "–";
        }
        return String.format(Locale.ROOT, r < 10 ? "%.2f×" : "%.1f×", r);
    }

    static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.0f%%", fraction * 100);
    }

    static String decimal(double v, int places) {
        return String.format(Locale.ROOT, "%,." + places + "f", v);
    }

    static String yesNo(boolean met) {
        return met ? "yes" : "**no**";
    }
}
