package dev.sprout.diff.data;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What differs in one table between FROM and TO.
 *
 * @param table    the table's name
 * @param status   {@link Status}
 * @param keyedBy  how rows are matched: {@code primary key (id)}, {@code unique index NAME (a, b)} or
 *                 {@code whole row}
 * @param method   how the rows were read, e.g. {@code full scan}
 * @param schemaDiffers whether the sides' columns differ (the rows are then compared on those they share alike)
 * @param notes    sentences about the comparison (columns left out because the schemas differ, ...)
 * @param inserted rows only TO has (each as column name to JSON value)
 * @param deleted  rows only FROM has
 * @param updated  rows on both sides, matched by key, whose values differ
 * @param rowsFrom rows the table holds on FROM (read to compare), or -1 when not counted
 * @param rowsTo   the same on TO
 */
public record TableDiff(
        String table,
        Status status,
        String keyedBy,
        String method,
        boolean schemaDiffers,
        List<String> notes,
        List<Map<String, String>> inserted,
        List<Map<String, String>> deleted,
        List<Update> updated,
        long rowsFrom,
        long rowsTo) {

    public TableDiff {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(status, "status");
        notes = List.copyOf(notes);
        inserted = List.copyOf(inserted);
        deleted = List.copyOf(deleted);
        updated = List.copyOf(updated);
    }

    /** Whether the table is on both sides, on one only. */
    public enum Status {
        BOTH,
        ONLY_FROM,
        ONLY_TO
    }

    /**
     * A row whose key is on both sides with other values.
     *
     * @param key     the key's columns to their values (JSON)
     * @param changed the columns whose values differ, to {before, after}
     */
    public record Update(Map<String, String> key, Map<String, List<String>> changed) {}

    /** Whether this table is worth a line in a summary: rows differ, or its columns do. */
    public boolean shown() {
        return !equal() || schemaDiffers;
    }

    public boolean equal() {
        return status == Status.BOTH && inserted.isEmpty() && deleted.isEmpty() && updated.isEmpty();
    }
}
