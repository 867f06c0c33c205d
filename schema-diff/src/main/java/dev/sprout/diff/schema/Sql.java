package dev.sprout.diff.schema;

/** SQL text helpers: literals as PostgreSQL reads them with standard_conforming_strings on. */
final class Sql {
    private Sql() {}

    /** {@code 'it''s'}; null is {@code NULL}. */
    static String literal(String s) {
        return s == null ? "NULL" : "'" + s.replace("'", "''") + "'";
    }
}
