package dev.sprout.bench.compute;

import java.time.Duration;
import java.util.Locale;

/** The number formats of the compute report, all in {@link Locale#ROOT}; tables are {@link dev.sprout.bench.report.Table}. */
public final class Md {

    public static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /** A rate or other figure: no decimals above 100, one below. */
    public static String num(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        return Math.abs(v) >= 100 ? f("%,.0f", v) : f("%.1f", v);
    }

    public static String dec(double v, int places) {
        return Double.isNaN(v) ? "–" : f("%,." + places + "f", v);
    }

    public static String count(long n) {
        return f("%,d", n);
    }

    /** Milliseconds: whole above 100 ms, one decimal below. */
    public static String ms(double millis) {
        if (Double.isNaN(millis)) {
            return "–";
        }
        return Math.abs(millis) >= 100 ? f("%,.0f", millis) : f("%.1f", millis);
    }

    public static String ms(Duration d) {
        return ms(d.toNanos() / 1e6);
    }

    public static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : f("%.1f s", d.toMillis() / 1e3);
    }

    public static String ratio(double r) {
        if (Double.isNaN(r) || Double.isInfinite(r)) {
            return "–";
        }
        return f(r < 10 ? "%.2f×" : "%.1f×", r);
    }

    public static String percent(double fraction) {
        return Double.isNaN(fraction) ? "–" : f("%.0f%%", fraction * 100);
    }

    public static String yesNo(boolean met) {
        return met ? "yes" : "**no**";
    }
}
