package dev.sprout.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lifetimes as people type them ({@code 90s}, {@code 10m}, {@code 2h30m}, {@code 3d}, {@code 1w}) and as the CLI
 * prints them: the largest units first, at most two of them ({@code 3d}, {@code 1h30m}, {@code 45s}).
 */
final class Lifetimes {
    private static final Pattern PART = Pattern.compile("(\\d{1,9})([smhdw])");

    private Lifetimes() {}

    /** {@code text} as a positive duration; a sentence naming the text and the accepted form when it is not one. */
    static Duration parse(String option, String text) {
        Matcher m = PART.matcher(text);
        Duration total = Duration.ZERO;
        int at = 0;
        while (at < text.length() && m.find(at) && m.start() == at) {
            long n = Long.parseLong(m.group(1));
            total = total.plus(
                    switch (m.group(2)) {
                        case "s" -> Duration.ofSeconds(n);
                        case "m" -> Duration.ofMinutes(n);
                        case "h" -> Duration.ofHours(n);
                        case "d" -> Duration.ofDays(n);
                        default -> Duration.ofDays(7 * n);
                    });
            at = m.end();
        }
        if (text.isEmpty() || at != text.length() || total.isZero()) {
            throw new SproutException(option + " " + text
                    + " is not a lifetime: give a number and a unit, s, m, h, d or w, such as 10m," + " 2h30m or 3d");
        }
        return total;
    }

    /** {@code d} the short way: {@code 3d}, {@code 1h30m}, {@code 45s}. */
    static String format(Duration d) {
        long s = d.toSeconds();
        long[] sizes = {86_400, 3_600, 60, 1};
        String[] units = {"d", "h", "m", "s"};
        StringBuilder out = new StringBuilder();
        int parts = 0;
        for (int i = 0; i < sizes.length && parts < 2; i++) {
            long n = s / sizes[i];
            if (n > 0) {
                out.append(n).append(units[i]);
                s -= n * sizes[i];
                parts++;
            } else if (parts > 0) {
                break;
            }
        }
        return out.isEmpty() ? "0s" : out.toString();
    }
}
