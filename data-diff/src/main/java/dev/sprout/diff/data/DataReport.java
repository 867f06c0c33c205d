package dev.sprout.diff.data;

import com.google.gson.GsonBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A data diff as people and programs read it: {@link #text} and {@link #markdown} give a summary (counts per
 * table) and then up to {@code limit} rows per table; {@link #json} and {@link #csv} give every row.
 */
public final class DataReport {
    private DataReport() {}

    public static boolean equal(List<TableDiff> diffs) {
        return diffs.stream().allMatch(TableDiff::equal);
    }

    /** {@code 3 tables differ: 12 inserted, 2 deleted, 5 updated}, or {@code no differences}. */
    public static String summary(List<TableDiff> diffs) {
        long differ = diffs.stream().filter(d -> !d.equal()).count();
        if (differ == 0) {
            return "no differences in " + diffs.size() + " tables";
        }
        return differ + " of " + diffs.size() + " tables differ: " + sum(diffs, 'i') + " inserted, " + sum(diffs, 'd')
                + " deleted, " + sum(diffs, 'u') + " updated";
    }

    private static long sum(List<TableDiff> diffs, char what) {
        return diffs.stream()
                .mapToLong(d -> switch (what) {
                    case 'i' -> d.inserted().size();
                    case 'd' -> d.deleted().size();
                    default -> d.updated().size();
                })
                .sum();
    }

    private static String counts(TableDiff d) {
        return switch (d.status()) {
            case ONLY_FROM -> "only on FROM (" + d.rowsFrom() + " rows)";
            case ONLY_TO -> "only on TO (" + d.rowsTo() + " rows)";
            case BOTH ->
                "+" + d.inserted().size() + " -" + d.deleted().size() + " ~"
                        + d.updated().size();
        };
    }

    public static String text(List<TableDiff> diffs, String fromLabel, String toLabel, int limit) {
        StringBuilder out = new StringBuilder();
        out.append("data diff ")
                .append(fromLabel)
                .append(" → ")
                .append(toLabel)
                .append(": ")
                .append(summary(diffs))
                .append('\n');
        for (TableDiff d : diffs) {
            if (!d.shown()) {
                continue;
            }
            out.append("  ").append(d.table()).append(": ").append(counts(d));
            if (d.status() == TableDiff.Status.BOTH) {
                out.append(" (by ")
                        .append(d.keyedBy())
                        .append(", ")
                        .append(d.method())
                        .append(')');
            }
            out.append('\n');
        }
        for (TableDiff d : diffs) {
            if (!d.shown() || d.status() != TableDiff.Status.BOTH) {
                continue;
            }
            out.append('\n').append(d.table()).append('\n');
            d.notes().forEach(n -> out.append("  note: ").append(n).append('\n'));
            int shown = 0;
            for (Map<String, String> r : d.inserted()) {
                if (shown++ >= limit) {
                    break;
                }
                out.append("  + ").append(values(r)).append('\n');
            }
            for (Map<String, String> r : d.deleted()) {
                if (shown++ >= limit) {
                    break;
                }
                out.append("  - ").append(values(r)).append('\n');
            }
            for (TableDiff.Update u : d.updated()) {
                if (shown++ >= limit) {
                    break;
                }
                out.append("  ~ ")
                        .append(values(u.key()))
                        .append(": ")
                        .append(changes(u))
                        .append('\n');
            }
            int total = d.inserted().size() + d.deleted().size() + d.updated().size();
            if (total > limit) {
                out.append("  … ").append(total - limit).append(" more (--limit, or --format json|csv for all)\n");
            }
        }
        return out.toString();
    }

    public static String markdown(List<TableDiff> diffs, String fromLabel, String toLabel, int limit) {
        StringBuilder out = new StringBuilder();
        out.append("**Data diff** `")
                .append(fromLabel)
                .append("` → `")
                .append(toLabel)
                .append("`: ")
                .append(summary(diffs))
                .append("\n\n");
        if (equal(diffs)) {
            return out.toString();
        }
        out.append("| table | inserted | deleted | updated | matched by |\n| --- | ---: | ---: | ---: | --- |\n");
        for (TableDiff d : diffs) {
            if (!d.shown()) {
                continue;
            }
            switch (d.status()) {
                case ONLY_FROM ->
                    out.append("| `")
                            .append(d.table())
                            .append("` | | ")
                            .append(d.rowsFrom())
                            .append(" | | only on FROM |\n");
                case ONLY_TO ->
                    out.append("| `")
                            .append(d.table())
                            .append("` | ")
                            .append(d.rowsTo())
                            .append(" | | | only on TO |\n");
                case BOTH ->
                    out.append("| `")
                            .append(d.table())
                            .append("` | ")
                            .append(d.inserted().size())
                            .append(" | ")
                            .append(d.deleted().size())
                            .append(" | ")
                            .append(d.updated().size())
                            .append(" | ")
                            .append(d.keyedBy())
                            .append(" |\n");
            }
        }
        for (TableDiff d : diffs) {
            if (d.equal() || d.status() != TableDiff.Status.BOTH) {
                continue;
            }
            out.append("\n<details><summary><code>").append(d.table()).append("</code></summary>\n\n");
            d.notes().forEach(n -> out.append("_").append(n).append("_\n\n"));
            out.append("```diff\n");
            out.append(text(List.of(d), fromLabel, toLabel, limit)
                    .lines()
                    .filter(l -> l.startsWith("  + ")
                            || l.startsWith("  - ")
                            || l.startsWith("  ~ ")
                            || l.startsWith("  … "))
                    .map(l -> l.substring(2).replaceFirst("^~", "!"))
                    .reduce("", (x, y) -> x + y + "\n"));
            out.append("```\n</details>\n");
        }
        return out.toString();
    }

    /** Every row: see {@code docs/data-diff.md}. */
    public static String json(List<TableDiff> diffs, String fromLabel, String toLabel) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("from", fromLabel);
        root.put("to", toLabel);
        root.put("equal", equal(diffs));
        List<Map<String, Object>> tables = new ArrayList<>();
        for (TableDiff d : diffs) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("table", d.table());
            t.put("status", d.status().name().toLowerCase(java.util.Locale.ROOT));
            t.put("equal", d.equal());
            t.put("matched_by", d.keyedBy());
            t.put("method", d.method());
            t.put("schema_differs", d.schemaDiffers());
            t.put("notes", d.notes());
            t.put("rows_from", d.rowsFrom());
            t.put("rows_to", d.rowsTo());
            t.put("inserted", d.inserted());
            t.put("deleted", d.deleted());
            List<Map<String, Object>> ups = new ArrayList<>();
            for (TableDiff.Update u : d.updated()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("key", u.key());
                m.put("changed", u.changed());
                ups.add(m);
            }
            t.put("updated", ups);
            tables.add(t);
        }
        root.put("tables", tables);
        return new GsonBuilder()
                        .setPrettyPrinting()
                        .disableHtmlEscaping()
                        .serializeNulls()
                        .create()
                        .toJson(root) + "\n";
    }

    /** {@code table,change,column,before,after}: one line per inserted or deleted value and per changed column. */
    public static String csv(List<TableDiff> diffs) {
        StringBuilder out = new StringBuilder("table,change,key,column,before,after\n");
        for (TableDiff d : diffs) {
            for (Map<String, String> r : d.inserted()) {
                r.forEach((c, v) -> line(out, d.table(), "inserted", "", c, "", v));
            }
            for (Map<String, String> r : d.deleted()) {
                r.forEach((c, v) -> line(out, d.table(), "deleted", "", c, v, ""));
            }
            for (TableDiff.Update u : d.updated()) {
                u.changed()
                        .forEach((c, ba) -> line(out, d.table(), "updated", values(u.key()), c, ba.get(0), ba.get(1)));
            }
        }
        return out.toString();
    }

    private static void line(StringBuilder out, String... fields) {
        for (int i = 0; i < fields.length; i++) {
            if (i > 0) {
                out.append(',');
            }
            String f = fields[i] == null ? "" : fields[i];
            out.append(
                    f.contains(",") || f.contains("\"") || f.contains("\n")
                            ? "\"" + f.replace("\"", "\"\"") + "\""
                            : f);
        }
        out.append('\n');
    }

    private static String values(Map<String, String> row) {
        List<String> parts = new ArrayList<>();
        row.forEach((c, v) -> parts.add(c + "=" + v));
        return String.join(" ", parts);
    }

    private static String changes(TableDiff.Update u) {
        List<String> parts = new ArrayList<>();
        u.changed().forEach((c, ba) -> parts.add(c + ": " + ba.get(0) + " → " + ba.get(1)));
        return String.join("; ", parts);
    }
}
