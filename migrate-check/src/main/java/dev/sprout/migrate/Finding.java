package dev.sprout.migrate;

import java.util.Locale;

/**
 * One thing the check found, with its evidence.
 *
 * @param rule      the rule's id ({@code table-rewrite})
 * @param severity  {@link Severity}
 * @param migration the migration file it is about (for drift: the file or history script concerned)
 * @param relation  the table ({@code public.orders}) or column ({@code public.orders.note}), or {@code -}
 * @param message   what happened, in a sentence
 * @param evidence  the measurement behind it
 */
public record Finding(
        String rule, Severity severity, String migration, String relation, String message, String evidence) {

    /** How bad: {@code --fail-on LEVEL} fails the check at this level and above. */
    public enum Severity {
        INFO,
        WARNING,
        ERROR;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** {@code info}, {@code warning} or {@code error}. */
        public static Severity parse(String s) {
            for (Severity v : values()) {
                if (v.label().equals(s)) {
                    return v;
                }
            }
            throw new IllegalArgumentException("a severity is info, warning or error; not '" + s + "'");
        }
    }

    /** {@code rule migration relation}: what the corpus's expect files list. */
    public String key() {
        return rule + " " + migration + " " + relation;
    }
}
