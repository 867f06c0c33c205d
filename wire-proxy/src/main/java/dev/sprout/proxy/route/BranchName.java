package dev.sprout.proxy.route;

import dev.sprout.proxy.error.ProxyError;
import dev.sprout.proxy.error.SqlState;
import java.util.regex.Pattern;

/**
 * The rule every branch name follows: lowercase letters, digits, {@code -}, {@code _} and {@code /}, starting with a
 * letter or digit, at most {@value #MAX_LENGTH} characters (PostgreSQL's identifier limit, so that a name fits
 * wherever a database name does). The proxy checks it before asking anyone about the name.
 */
public final class BranchName {
    public static final int MAX_LENGTH = 63;
    private static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9_/-]*");

    private BranchName() {
    }

    /** Returns {@code name} when it is valid, else throws {@link SqlState#INVALID_NAME} naming it and the rule. */
    public static String require(String name, String source) {
        if (name.isEmpty() || name.length() > MAX_LENGTH || !VALID.matcher(name).matches()) {
            throw new ProxyError(SqlState.INVALID_NAME, "invalid branch name \"" + printable(name) + "\" in the " + source,
                    "A branch name has 1 to " + MAX_LENGTH + " lowercase letters, digits, '-', '_' or '/', "
                            + "and starts with a letter or digit.");
        }
        return name;
    }

    private static String printable(String s) {
        String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        StringBuilder b = new StringBuilder(cut.length());
        cut.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }
}
