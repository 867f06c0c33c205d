package dev.sprout.diff.schema;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What a diff compares beyond the objects' definitions, each off by default (noise for most users, signal for
 * some): owners, privileges (ACLs), comments, and the order of a table's columns.
 */
public enum Include {
    OWNERS,
    PRIVILEGES,
    COMMENTS,
    COLUMN_ORDER;

    /** Parses {@code owners,privileges,comments,column-order}; an empty string is none. */
    public static Set<Include> parse(String list) {
        Set<Include> out = EnumSet.noneOf(Include.class);
        for (String item : list.split(",", -1)) {
            String s = item.strip().toLowerCase(Locale.ROOT);
            if (s.isEmpty()) {
                continue;
            }
            try {
                out.add(Include.valueOf(s.replace('-', '_').toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "--include takes owners, privileges, comments and column-order; not '" + item.strip() + "'", e);
            }
        }
        return out;
    }
}
