package dev.sprout.http.auth;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a token may do. {@link #ADMIN} covers everything; {@link #BRANCH_WRITE} covers {@link #READ} and is limited
 * to the branches its token's pattern matches.
 *
 * <ul>
 *   <li>{@code read}: list and get branches, the metrics.
 *   <li>{@code branch-write}: create, reset, restore, delete, start, stop and suspend branches whose names match the
 *       token's pattern.
 *   <li>{@code admin}: everything, including tokens, the audit log and the pageserver's timelines API.
 * </ul>
 */
public enum Scope {
    READ("read"),
    BRANCH_WRITE("branch-write"),
    ADMIN("admin");

    private final String label;

    Scope(String label) {
        this.label = label;
    }

    /** The name clients use ({@code branch-write}). */
    public String label() {
        return label;
    }

    /** Whether a token holding this scope may do what {@code needed} allows. */
    public boolean covers(Scope needed) {
        return switch (this) {
            case ADMIN -> true;
            case BRANCH_WRITE -> needed == BRANCH_WRITE || needed == READ;
            case READ -> needed == READ;
        };
    }

    /**
     * The scope called {@code label}, case-insensitive.
     *
     * @throws IllegalArgumentException naming the label and the scopes there are
     */
    public static Scope parse(String label) {
        String wanted = label.strip().toLowerCase(Locale.ROOT);
        for (Scope s : values()) {
            if (s.label.equals(wanted)) {
                return s;
            }
        }
        throw new IllegalArgumentException("no scope \"" + label + "\" (expected one of "
                + Arrays.stream(values()).map(Scope::label).collect(Collectors.joining(", ")) + ")");
    }
}
