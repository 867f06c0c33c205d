package dev.sprout.protocol;

import java.util.regex.Pattern;

/**
 * The rule every branch name follows, wherever one is read (the branches API, the wire proxy's startup packet):
 * 1 to {@value #MAX_LENGTH} lowercase letters, digits, {@code -}, {@code _} or {@code /}, starting with a letter or
 * digit. {@value #MAX_LENGTH} is PostgreSQL's identifier limit, so a name fits wherever a database name does. Each
 * reader turns a bad name into its own refusal (an HTTP 400, a PostgreSQL error), with {@link #RULE} in it.
 */
public final class BranchName {
    public static final int MAX_LENGTH = 63;
    /** The root branch, made on the first start. */
    public static final String MAIN = "main";
    /** The rule as a sentence's end: "use ..." or "a branch name has ...". */
    public static final String RULE =
            "1 to " + MAX_LENGTH + " lowercase letters, digits, '-', '_' or '/', starting with" + " a letter or digit";

    private static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9_/-]*");

    private BranchName() {}

    /** Whether {@code name} follows the rule; false for null. */
    public static boolean isValid(String name) {
        return name != null
                && !name.isEmpty()
                && name.length() <= MAX_LENGTH
                && VALID.matcher(name).matches();
    }
}
