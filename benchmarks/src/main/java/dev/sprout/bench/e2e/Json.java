package dev.sprout.bench.e2e;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A small JSON writer for the report's figures: maps (kept in insertion order), lists, strings, numbers, booleans
 * and null. A number that is not finite (a figure that was not measured) is written as {@code null}, never as
 * {@code NaN}, which JSON has not. Enough for a report, so the build takes no JSON library for it.
 */
final class Json {
    private Json() {}

    /** A new object whose keys keep the order they are put in. */
    static Map<String, Object> object() {
        return new LinkedHashMap<>();
    }

    static String write(Object value) {
        StringBuilder s = new StringBuilder();
        write(s, value, 0);
        return s.append('\n').toString();
    }

    private static void write(StringBuilder s, Object v, int depth) {
        switch (v) {
            case null -> s.append("null");
            case String str -> string(s, str);
            case Boolean b -> s.append(b);
            case Integer i -> s.append(i);
            case Long l -> s.append(l);
            case Double d -> number(s, d);
            case Float f -> number(s, f.doubleValue());
            case Number n -> number(s, n.doubleValue());
            case Map<?, ?> m -> {
                if (m.isEmpty()) {
                    s.append("{}");
                    return;
                }
                s.append("{\n");
                int i = 0;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    indent(s, depth + 1);
                    string(s, String.valueOf(e.getKey()));
                    s.append(": ");
                    write(s, e.getValue(), depth + 1);
                    s.append(++i < m.size() ? ",\n" : "\n");
                }
                indent(s, depth);
                s.append('}');
            }
            case List<?> l -> {
                boolean flat = l.stream().allMatch(x -> x == null || x instanceof Number || x instanceof Boolean);
                if (flat) {
                    s.append('[');
                    for (int i = 0; i < l.size(); i++) {
                        write(s, l.get(i), depth + 1);
                        if (i + 1 < l.size()) {
                            s.append(", ");
                        }
                    }
                    s.append(']');
                    return;
                }
                s.append("[\n");
                for (int i = 0; i < l.size(); i++) {
                    indent(s, depth + 1);
                    write(s, l.get(i), depth + 1);
                    s.append(i + 1 < l.size() ? ",\n" : "\n");
                }
                indent(s, depth);
                s.append(']');
            }
            default -> throw new IllegalArgumentException("not a JSON value: " + v.getClass().getName() + " " + v);
        }
    }

    private static void number(StringBuilder s, double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            s.append("null");
        } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            s.append((long) d);
        } else {
            s.append(String.format(Locale.ROOT, "%.6g", d).replaceFirst("\\.?0+(e|$)", "$1"));
        }
    }

    private static void string(StringBuilder s, String str) {
        s.append('"');
        for (int i = 0; i < str.length(); i++) {
            char c = str.charAt(i);
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                default -> {
                    if (c < 0x20) {
                        s.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        s.append(c);
                    }
                }
            }
        }
        s.append('"');
    }

    private static void indent(StringBuilder s, int depth) {
        s.append("  ".repeat(depth));
    }

    /** A list of doubles rounded to microseconds' worth of milliseconds, for raw samples. */
    static List<Double> millis(List<Double> values) {
        return values.stream().map(v -> Math.round(v * 1000) / 1000.0).toList();
    }
}
