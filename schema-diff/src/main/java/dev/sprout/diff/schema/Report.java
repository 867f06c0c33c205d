package dev.sprout.diff.schema;

import com.google.gson.GsonBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link SchemaDiff} as people and programs read it:
 *
 * <ul>
 *   <li>{@link #text}: one line per object ({@code +} added, {@code -} removed, {@code ~} changed with each
 *       property's before and after), ANSI colours when asked;</li>
 *   <li>{@link #markdown}: a pull-request comment: a summary line, then the changed objects grouped by kind, a
 *       changed object's properties in a before/after table;</li>
 *   <li>{@link #json}: the stable form documented in {@code docs/schema-diff.md}.</li>
 * </ul>
 */
public final class Report {
    private static final String RED = "\u001b[31m";
    private static final String GREEN = "\u001b[32m";
    private static final String YELLOW = "\u001b[33m";
    private static final String RESET = "\u001b[0m";

    private Report() {}

    /** {@code 2 added, 1 removed, 3 changed}, or {@code no differences}. */
    public static String summary(SchemaDiff diff) {
        if (diff.equal()) {
            return "no differences";
        }
        return diff.count(Change.Added.class) + " added, " + diff.count(Change.Removed.class) + " removed, "
                + diff.count(Change.Changed.class) + " changed";
    }

    public static String text(SchemaDiff diff, String fromLabel, String toLabel, boolean colour) {
        StringBuilder out = new StringBuilder();
        out.append("schema diff ")
                .append(fromLabel)
                .append(" → ")
                .append(toLabel)
                .append(" (database ")
                .append(diff.to().database())
                .append("): ")
                .append(summary(diff))
                .append('\n');
        for (Change c : diff.changes()) {
            String label = c.kind().label + " " + c.name();
            switch (c) {
                case Change.Added a ->
                    out.append(paint(colour, GREEN, "+ " + label)).append('\n');
                case Change.Removed r ->
                    out.append(paint(colour, RED, "- " + label)).append('\n');
                case Change.Changed ch -> {
                    out.append(paint(colour, YELLOW, "~ " + label)).append('\n');
                    for (String p : ch.properties()) {
                        out.append("    ")
                                .append(p)
                                .append(": ")
                                .append(oneLine(ch.before().get(p).orElse("(none)")))
                                .append(" → ")
                                .append(oneLine(ch.after().get(p).orElse("(none)")))
                                .append('\n');
                    }
                }
            }
        }
        return out.toString();
    }

    public static String markdown(SchemaDiff diff, String fromLabel, String toLabel) {
        StringBuilder out = new StringBuilder();
        out.append("**Schema diff** `")
                .append(fromLabel)
                .append("` → `")
                .append(toLabel)
                .append("` (database `")
                .append(diff.to().database())
                .append("`): ")
                .append(summary(diff))
                .append('\n');
        Kind group = null;
        for (Change c : diff.changes()) {
            if (c.kind() != group) {
                group = c.kind();
                out.append("\n#### ").append(group.title).append("\n\n");
            }
            switch (c) {
                case Change.Added a ->
                    out.append("- ➕ added `").append(c.name()).append("`\n");
                case Change.Removed r ->
                    out.append("- ➖ removed `").append(c.name()).append("`\n");
                case Change.Changed ch -> {
                    out.append("- ✏️ changed `").append(c.name()).append("`\n\n");
                    out.append("  | | before | after |\n  | --- | --- | --- |\n");
                    for (String p : ch.properties()) {
                        out.append("  | ")
                                .append(p)
                                .append(" | ")
                                .append(cell(ch.before().get(p).orElse("")))
                                .append(" | ")
                                .append(cell(ch.after().get(p).orElse("")))
                                .append(" |\n");
                    }
                    out.append('\n');
                }
            }
        }
        return out.toString();
    }

    /** The JSON form: see {@code docs/schema-diff.md}. */
    public static String json(SchemaDiff diff, String fromLabel, String toLabel) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("from", fromLabel);
        root.put("to", toLabel);
        root.put("database", diff.to().database());
        root.put("equal", diff.equal());
        Map<String, Long> summary = new LinkedHashMap<>();
        summary.put("added", diff.count(Change.Added.class));
        summary.put("removed", diff.count(Change.Removed.class));
        summary.put("changed", diff.count(Change.Changed.class));
        root.put("summary", summary);
        List<Map<String, Object>> changes = new ArrayList<>();
        for (Change c : diff.changes()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", c.kind().label);
            m.put("name", c.name());
            c.object().relation().ifPresent(r -> m.put("relation", r));
            switch (c) {
                case Change.Added a -> {
                    m.put("change", "added");
                    m.put("after", a.object().properties());
                }
                case Change.Removed r -> {
                    m.put("change", "removed");
                    m.put("before", r.object().properties());
                }
                case Change.Changed ch -> {
                    m.put("change", "changed");
                    m.put("properties", ch.properties());
                    m.put("before", ch.before().properties());
                    m.put("after", ch.after().properties());
                }
            }
            changes.add(m);
        }
        root.put("changes", changes);
        return new GsonBuilder()
                        .setPrettyPrinting()
                        .disableHtmlEscaping()
                        .create()
                        .toJson(root) + "\n";
    }

    /** {@code s} as a JSON string literal. */
    public static String jsonString(String s) {
        return new GsonBuilder().disableHtmlEscaping().create().toJson(s);
    }

    private static String paint(boolean colour, String code, String s) {
        return colour ? code + s + RESET : s;
    }

    private static String oneLine(String s) {
        String flat = s.replaceAll("\\s+", " ").strip();
        return flat.length() > 200 ? flat.substring(0, 197) + "..." : flat;
    }

    private static String cell(String s) {
        if (s.isEmpty()) {
            return "–";
        }
        return "`" + s.replaceAll("\\s+", " ").strip().replace("|", "\\|").replace("`", "'") + "`";
    }
}
