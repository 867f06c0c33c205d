package dev.sprout.bench.kit;

import java.time.Duration;
import java.util.Locale;
import java.util.OptionalDouble;

/** The number formats of every report, all in {@link Locale#ROOT}; a figure that was not measured (NaN) is a dash. */
public final class Fmt {
    public static final String NONE = "–";

    private Fmt() {}

    @SuppressWarnings("AnnotateFormatMethod") // a Locale.ROOT String.format; callers pass literal formats
    public static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /** A rate or other figure: no decimals from 100 on, one below. */
    public static String num(double v) {
        if (Double.isNaN(v)) {
            return NONE;
        }
        return Math.abs(v) >= 100 ? f("%,.0f", v) : f("%.1f", v);
    }

    /** {@code v} with {@code places} decimals and thousands separators. */
    public static String dec(double v, int places) {
        return Double.isNaN(v) ? NONE : f("%,." + places + "f", v);
    }

    public static String count(long n) {
        return f("%,d", n);
    }

    /** Milliseconds: whole from 100 ms on, one decimal below. */
    public static String ms(double millis) {
        return num(millis);
    }

    public static String ms(Duration d) {
        return ms(d.toNanos() / 1e6);
    }

    /** Nanoseconds as microseconds: one decimal below 100 µs, whole microseconds with separators above. */
    public static String us(double nanos) {
        if (Double.isNaN(nanos)) {
            return NONE;
        }
        double us = nanos / 1_000;
        return Math.abs(us) < 100 ? f("%.1f", us) : f("%,.0f", us);
    }

    /** "5 s", or "1.5 s" when not whole. */
    public static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : f("%.1f s", d.toMillis() / 1e3);
    }

    /** {@link #seconds} of {@code d} cut to tenths of a second. */
    public static String tenths(Duration d) {
        return seconds(Duration.ofMillis(d.toMillis() / 100 * 100));
    }

    /** Per second, whole, with separators. */
    public static String rate(double perSecond) {
        return f("%,.0f", perSecond);
    }

    public static String ratio(double r) {
        if (Double.isNaN(r) || Double.isInfinite(r)) {
            return NONE;
        }
        return f(r < 10 ? "%.2f×" : "%.1f×", r);
    }

    public static String percent(double fraction) {
        return Double.isNaN(fraction) ? NONE : f("%.0f%%", fraction * 100);
    }

    /** A share of the machine's CPU time, or a dash when it was not measured. */
    public static String share(OptionalDouble fraction) {
        return percent(fraction.orElse(Double.NaN));
    }

    public static String mib(long bytes) {
        return f("%,.1f MiB", bytes / (1024.0 * 1024));
    }

    public static String yesNo(boolean met) {
        return met ? "yes" : "**no**";
    }
}
