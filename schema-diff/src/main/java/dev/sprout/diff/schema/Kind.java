package dev.sprout.diff.schema;

/**
 * The kinds of schema object a diff knows, in the order reports list them. {@link #label} is how a report and the
 * JSON name the kind; {@link #title} heads a group of them in Markdown.
 */
public enum Kind {
    SCHEMA("schema", "Schemas"),
    EXTENSION("extension", "Extensions"),
    COLLATION("collation", "Collations"),
    ENUM("enum", "Enum types"),
    RANGE("range", "Range types"),
    DOMAIN("domain", "Domains"),
    COMPOSITE("composite type", "Composite types"),
    SEQUENCE("sequence", "Sequences"),
    TABLE("table", "Tables"),
    COLUMN("column", "Columns"),
    CONSTRAINT("constraint", "Constraints"),
    INDEX("index", "Indexes"),
    VIEW("view", "Views"),
    MATERIALIZED_VIEW("materialized view", "Materialized views"),
    FUNCTION("function", "Functions"),
    PROCEDURE("procedure", "Procedures"),
    TRIGGER("trigger", "Triggers"),
    EVENT_TRIGGER("event trigger", "Event triggers"),
    POLICY("policy", "Policies");

    public final String label;
    public final String title;

    Kind(String label, String title) {
        this.label = label;
        this.title = title;
    }

    /** The kind whose {@link #label} this is. */
    public static Kind ofLabel(String label) {
        for (Kind k : values()) {
            if (k.label.equals(label)) {
                return k;
            }
        }
        throw new IllegalArgumentException("no object kind is called '" + label + "'");
    }
}
