package dev.sprout.bench.kit;

import java.util.ArrayList;
import java.util.List;

/** A Markdown table of a benchmark report. Not thread-safe. */
public final class Table {
    private final List<String> headers;
    private final List<Boolean> right = new ArrayList<>();
    private final List<List<String>> rows = new ArrayList<>();

    /** Headers ending in {@code >} are right-aligned (the marker is dropped). */
    public Table(String... headers) {
        this.headers = new ArrayList<>();
        for (String h : headers) {
            boolean r = h.endsWith(">");
            right.add(r);
            this.headers.add(r ? h.substring(0, h.length() - 1) : h);
        }
    }

    public Table row(Object... cells) {
        if (cells.length != headers.size()) {
            throw new IllegalArgumentException(
                    cells.length + " cells for " + headers.size() + " columns: " + List.of(cells));
        }
        List<String> r = new ArrayList<>();
        for (Object c : cells) {
            r.add(String.valueOf(c));
        }
        rows.add(r);
        return this;
    }

    public String render() {
        StringBuilder s =
                new StringBuilder("| ").append(String.join(" | ", headers)).append(" |\n|");
        for (boolean r : right) {
            s.append(r ? " ---: |" : " --- |");
        }
        s.append('\n');
        for (List<String> r : rows) {
            s.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        return s.toString();
    }
}
