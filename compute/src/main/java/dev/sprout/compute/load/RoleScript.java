package dev.sprout.compute.load;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The source's roles on the branch: the script {@code pg_dumpall --roles-only} wrote, applied statement by statement
 * over a superuser session of the branch's compute, each in its own transaction.
 *
 * <ul>
 *   <li>A role the branch has already (its superuser {@code postgres}, whose password stays Sprout's) is left as it
 *       is: the script's CREATE ROLE, ALTER ROLE and COMMENT ON ROLE of it are skipped; grants to it are applied.
 *   <li>A statement the branch refuses (a membership GRANTED BY a role that is not there, a setting this version
 *       does not know) is left out with a note, not a failure: the roles are prerequisites of the restore, and what
 *       is missing shows again there.
 * </ul>
 *
 * Notes never carry a password: {@code PASSWORD '...'} is shown as {@code PASSWORD '…'}.
 */
final class RoleScript {
    /** The statements that change one role, and the role's name (quoted or not). */
    private static final Pattern ROLE_STATEMENT = Pattern.compile(
            "^(?:CREATE ROLE|ALTER ROLE|COMMENT ON ROLE|SECURITY LABEL FOR \\S+ ON ROLE)\\s+(\"(?:[^\"]|\"\")*\"|[^\\s;]+)",
            Pattern.CASE_INSENSITIVE);

    private static final Pattern CREATE = Pattern.compile("^CREATE ROLE\\s", Pattern.CASE_INSENSITIVE);
    private static final Pattern PASSWORD = Pattern.compile("PASSWORD '(?:[^']|'')*'", Pattern.CASE_INSENSITIVE);

    private RoleScript() {}

    /**
     * What applying the script did: the roles it created, the roles it left as the branch had them, and a note for
     * each statement left out.
     */
    record Applied(List<String> created, List<String> kept, List<String> notes) {}

    /** Applies {@code script} over {@code branch} (a superuser session in autocommit). */
    static Applied apply(String script, Connection branch) throws SQLException {
        Set<String> existing = new HashSet<>();
        try (Statement st = branch.createStatement();
                ResultSet rs = st.executeQuery("SELECT rolname FROM pg_roles")) {
            while (rs.next()) {
                existing.add(rs.getString(1));
            }
        }
        List<String> created = new ArrayList<>();
        Set<String> kept = new TreeSet<>();
        List<String> notes = new ArrayList<>();
        for (String sql : statements(script)) {
            Matcher m = ROLE_STATEMENT.matcher(sql);
            String role = m.find() ? unquote(m.group(1)) : null;
            if (role != null && existing.contains(role)) {
                kept.add(role);
                continue;
            }
            try (Statement st = branch.createStatement()) {
                st.execute(sql);
                if (role != null && CREATE.matcher(sql).find()) {
                    created.add(role);
                }
            } catch (SQLException e) {
                notes.add("left out of the roles: " + redact(sql) + " (" + firstLine(e.getMessage()) + ")");
            }
        }
        return new Applied(List.copyOf(created), List.copyOf(kept), List.copyOf(notes));
    }

    /**
     * The SQL statements of a script as pg_dumpall writes it: split at semicolons outside quotes and comments;
     * comments and psql's meta-commands (lines starting with a backslash, e.g. {@code \restrict}) left out.
     */
    static List<String> statements(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int n = script.length();
        int i = 0;
        while (i < n) {
            char c = script.charAt(i);
            if (current.toString().isBlank() && c == '\\' && atLineStart(script, i)) {
                i = endOfLine(script, i);
                continue;
            }
            if (c == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
                i = endOfLine(script, i);
                continue;
            }
            if (c == '\'' || c == '"') {
                int end = closing(script, i, c);
                current.append(script, i, end);
                i = end;
                continue;
            }
            if (c == ';') {
                String sql = current.toString().strip();
                if (!sql.isEmpty()) {
                    out.add(sql);
                }
                current.setLength(0);
                i++;
                continue;
            }
            current.append(c);
            i++;
        }
        String rest = current.toString().strip();
        if (!rest.isEmpty()) {
            out.add(rest);
        }
        return out;
    }

    /** {@code sql} without the passwords in it. */
    static String redact(String sql) {
        return PASSWORD.matcher(sql).replaceAll("PASSWORD '…'");
    }

    private static boolean atLineStart(String s, int i) {
        int j = i - 1;
        while (j >= 0 && (s.charAt(j) == ' ' || s.charAt(j) == '\t')) {
            j--;
        }
        return j < 0 || s.charAt(j) == '\n';
    }

    private static int endOfLine(String s, int i) {
        int nl = s.indexOf('\n', i);
        return nl < 0 ? s.length() : nl + 1;
    }

    /** The index after the quote that closes the one at {@code start} (a doubled quote is part of the text). */
    private static int closing(String s, int start, char quote) {
        int i = start + 1;
        while (i < s.length()) {
            if (s.charAt(i) == quote) {
                if (i + 1 < s.length() && s.charAt(i + 1) == quote) {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return s.length();
    }

    private static String unquote(String ident) {
        if (ident.startsWith("\"")) {
            return ident.substring(1, ident.length() - 1).replace("\"\"", "\"");
        }
        return ident.toLowerCase(Locale.ROOT);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }
}
