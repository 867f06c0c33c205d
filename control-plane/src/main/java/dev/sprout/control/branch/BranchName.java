package dev.sprout.control.branch;

import dev.sprout.control.ControlException;
import java.util.regex.Pattern;

/**
 * Branch names: 1 to {@value #MAX_LENGTH} lowercase letters, digits, {@code -}, {@code _} or {@code /}, starting
 * with a letter or digit (the wire proxy applies the same rule before it asks about a name).
 */
public final class BranchName {
    public static final int MAX_LENGTH = 63;
    public static final String MAIN = "main";
    private static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9_/-]*");

    private BranchName() {
    }

    public static String require(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_LENGTH || !VALID.matcher(name).matches()) {
            throw new ControlException(ControlException.Code.INVALID_NAME, "invalid branch name \"" + name
                    + "\": use 1 to " + MAX_LENGTH + " lowercase letters, digits, '-', '_' or '/', starting with a letter or digit");
        }
        return name;
    }
}
