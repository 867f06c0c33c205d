package dev.sprout.migrate;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Splits a SQL script into its statements the way PostgreSQL's lexer sees them, so that each statement can be run and
 * measured on its own, and an error can name its line. A semicolon ends a statement except inside: a string
 * ({@code '...'} with {@code ''}, {@code E'...'} with backslash escapes), a quoted identifier ({@code "..."}), a
 * dollar-quoted string ({@code $tag$...$tag$}), a comment ({@code -- ...} to the end of the line, nested
 * {@code /* ... *}{@code /}), or the body of a SQL-standard routine ({@code BEGIN ATOMIC ... END}, in which
 * {@code CASE ... END} nests). Text after the last semicolon is a statement too; empty statements are dropped.
 */
public final class Statements {
    private static final Pattern OUTSIDE_TRANSACTION = Pattern.compile(
            "^(CREATE( UNIQUE)? INDEX CONCURRENTLY|DROP INDEX CONCURRENTLY|REINDEX .*CONCURRENTLY|REINDEX \\(.*\\)"
                    + " .*CONCURRENTLY|VACUUM|CREATE DATABASE|DROP DATABASE|ALTER SYSTEM|CREATE TABLESPACE"
                    + "|DROP TABLESPACE)( .*)?$");
    private static final Pattern CONCURRENT_INDEX = Pattern.compile("^CREATE( UNIQUE)? INDEX CONCURRENTLY( .*)?$");
    private static final Pattern DML =
            Pattern.compile("^(INSERT|UPDATE|DELETE|SELECT|COPY|MERGE|VALUES|WITH|TABLE)( .*)?$");
    private static final Pattern TRANSACTION_CONTROL = Pattern.compile(
            "^(BEGIN|COMMIT|END|ROLLBACK|ABORT|START TRANSACTION|SAVEPOINT|RELEASE)( (WORK|TRANSACTION|ISOLATION .*|"
                    + "READ .*))?$");

    private Statements() {}

    /**
     * One statement of a script.
     *
     * @param sql  its text, without the ending semicolon, trimmed
     * @param line the line of the script (1-based) it starts on
     */
    public record Statement(String sql, int line) {
        /** Its words in upper case with comments and extra white space taken out (strings and names as they are). */
        public String words() {
            return Statements.words(sql);
        }

        /** Whether PostgreSQL refuses it inside a transaction block (CREATE INDEX CONCURRENTLY, VACUUM, ...). */
        public boolean outsideTransaction() {
            return OUTSIDE_TRANSACTION.matcher(words()).matches();
        }

        /** {@code CREATE [UNIQUE] INDEX CONCURRENTLY}. */
        public boolean concurrentIndex() {
            return CONCURRENT_INDEX.matcher(words()).matches();
        }

        /** Reads or writes rows only (INSERT, UPDATE, DELETE, SELECT, COPY, MERGE, WITH ...): no catalog change. */
        public boolean dml() {
            return DML.matcher(words()).matches();
        }

        /** BEGIN, COMMIT and the like: the check runs each migration in its own transaction and skips these. */
        public boolean transactionControl() {
            return TRANSACTION_CONTROL.matcher(words()).matches();
        }

        /** The line of the script at a 1-based character position within this statement (PostgreSQL's position). */
        public int lineAt(int position) {
            int l = line;
            for (int i = 0; i < Math.min(position - 1, sql.length()); i++) {
                if (sql.charAt(i) == '\n') {
                    l++;
                }
            }
            return l;
        }
    }

    /** The statements of {@code script}, in order. */
    public static List<Statement> split(String script) {
        List<Statement> out = new ArrayList<>();
        int n = script.length();
        int start = 0;
        int atomic = 0; // depth inside BEGIN ATOMIC ... END
        int i = 0;
        while (i < n) {
            char c = script.charAt(i);
            if (c == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
                i = lineEnd(script, i);
            } else if (c == '/' && i + 1 < n && script.charAt(i + 1) == '*') {
                i = blockCommentEnd(script, i);
            } else if (c == '\'') {
                boolean escapes = i > 0
                        && (script.charAt(i - 1) == 'E' || script.charAt(i - 1) == 'e')
                        && (i < 2 || !identifierPart(script.charAt(i - 2)));
                i = quoteEnd(script, i, '\'', escapes);
            } else if (c == '"') {
                i = quoteEnd(script, i, '"', false);
            } else if (c == '$' && (i == 0 || !identifierPart(script.charAt(i - 1)))) {
                i = dollarEnd(script, i);
            } else if (Character.isLetter(c) || c == '_') {
                int end = i;
                while (end < n && identifierPart(script.charAt(end))) {
                    end++;
                }
                String word = script.substring(i, end).toUpperCase(Locale.ROOT);
                if (atomic == 0 && word.equals("BEGIN") && nextWord(script, end).equals("ATOMIC")) {
                    atomic = 1;
                } else if (atomic > 0 && word.equals("CASE")) {
                    atomic++;
                } else if (atomic > 0 && word.equals("END")) {
                    atomic--;
                }
                i = end;
            } else if (c == ';' && atomic == 0) {
                add(out, script, start, i);
                start = i + 1;
                i++;
            } else {
                i++;
            }
        }
        add(out, script, start, n);
        return out;
    }

    private static void add(List<Statement> out, String script, int from, int to) {
        String text = script.substring(from, to);
        if (words(text).isEmpty()) {
            return; // only white space and comments
        }
        // the statement starts at its first word: white space and comments before it are not part of it
        int lead = 0;
        while (lead < text.length()) {
            char c = text.charAt(lead);
            if (Character.isWhitespace(c)) {
                lead++;
            } else if (text.startsWith("--", lead)) {
                lead = lineEnd(text, lead);
            } else if (text.startsWith("/*", lead)) {
                lead = blockCommentEnd(text, lead);
            } else {
                break;
            }
        }
        int line = 1;
        for (int k = 0; k < from + lead; k++) {
            if (script.charAt(k) == '\n') {
                line++;
            }
        }
        out.add(new Statement(text.substring(lead).strip(), line));
    }

    /** The words of {@code sql}: comments dropped, white space runs made one space, words outside quotes upper case. */
    static String words(String sql) {
        StringBuilder b = new StringBuilder();
        int n = sql.length();
        int i = 0;
        boolean space = false;
        while (i < n) {
            char c = sql.charAt(i);
            int end;
            if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                end = lineEnd(sql, i);
                space = true;
                i = end;
                continue;
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                end = blockCommentEnd(sql, i);
                space = true;
                i = end;
                continue;
            } else if (Character.isWhitespace(c)) {
                space = true;
                i++;
                continue;
            } else if (c == '\'' || c == '"') {
                end = quoteEnd(sql, i, c, false);
            } else if (c == '$' && (i == 0 || !identifierPart(sql.charAt(i - 1)))) {
                end = dollarEnd(sql, i);
            } else {
                end = i + 1;
            }
            if (space && !b.isEmpty()) {
                b.append(' ');
            }
            space = false;
            String piece = sql.substring(i, Math.min(end, n));
            b.append(c == '\'' || c == '"' || c == '$' ? piece : piece.toUpperCase(Locale.ROOT));
            i = end;
        }
        return b.toString();
    }

    private static boolean identifierPart(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }

    private static int lineEnd(String s, int i) {
        int nl = s.indexOf('\n', i);
        return nl < 0 ? s.length() : nl + 1;
    }

    private static int blockCommentEnd(String s, int i) {
        int depth = 0;
        int n = s.length();
        while (i < n) {
            if (s.startsWith("/*", i)) {
                depth++;
                i += 2;
            } else if (s.startsWith("*/", i)) {
                depth--;
                i += 2;
                if (depth == 0) {
                    return i;
                }
            } else {
                i++;
            }
        }
        return n;
    }

    /** The index after the quote that closes the one at {@code i} (a doubled quote is part of the text). */
    private static int quoteEnd(String s, int i, char quote, boolean backslashEscapes) {
        int n = s.length();
        i++;
        while (i < n) {
            char c = s.charAt(i);
            if (backslashEscapes && c == '\\') {
                i += 2;
            } else if (c == quote) {
                if (i + 1 < n && s.charAt(i + 1) == quote) {
                    i += 2;
                } else {
                    return i + 1;
                }
            } else {
                i++;
            }
        }
        return n;
    }

    /** After a dollar-quoted string starting at {@code i}, or {@code i + 1} when the dollar starts none ($1). */
    private static int dollarEnd(String s, int i) {
        int n = s.length();
        int j = i + 1;
        if (j < n && Character.isDigit(s.charAt(j))) {
            return j;
        }
        while (j < n && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
            j++;
        }
        if (j >= n || s.charAt(j) != '$') {
            return i + 1;
        }
        String tag = s.substring(i, j + 1);
        int close = s.indexOf(tag, j + 1);
        return close < 0 ? n : close + tag.length();
    }

    private static String nextWord(String s, int i) {
        int n = s.length();
        while (i < n && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        int end = i;
        while (end < n && identifierPart(s.charAt(end))) {
            end++;
        }
        return s.substring(i, end).toUpperCase(Locale.ROOT);
    }
}
