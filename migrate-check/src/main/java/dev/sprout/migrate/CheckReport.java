package dev.sprout.migrate;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sprout.diff.data.DataReport;
import dev.sprout.diff.data.TableDiff;
import dev.sprout.diff.schema.Report;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A migration check's report: Markdown (a pull-request comment: the verdict first, a table per migration, the
 * findings, then the details), plain text, and JSON (documented in docs/migrate-check.md).
 */
public final class CheckReport {
    private CheckReport() {}

    /** {@code passed} or {@code failed}, with the counts. */
    public static String verdict(CheckResult r) {
        return (r.fails() ? "failed" : "passed") + ": " + counts(r);
    }

    private static String counts(CheckResult r) {
        List<String> parts = new ArrayList<>();
        for (Finding.Severity s : List.of(Finding.Severity.ERROR, Finding.Severity.WARNING, Finding.Severity.INFO)) {
            long n = r.count(s);
            if (n > 0) {
                parts.add(n + " " + s.label() + (n == 1 ? "" : "s"));
            }
        }
        return parts.isEmpty() ? "no findings" : String.join(", ", parts);
    }

    private static String pending(CheckResult r) {
        long applied = r.ups().stream()
                .filter(u -> u.status() == Runner.Status.APPLIED)
                .count();
        return r.set().layout().label + " layout, " + r.ups().size() + " pending"
                + (r.set().layout() == MigrationSet.Layout.FLYWAY ? " (" + r.appliedBefore() + " applied before)" : "")
                + ", " + applied + " applied";
    }

    public static String markdown(CheckResult r) {
        StringBuilder b = new StringBuilder();
        b.append("### ")
                .append(r.fails() ? "❌" : r.findings().isEmpty() ? "✅" : "⚠️")
                .append(" Migration check ")
                .append(verdict(r))
                .append("\n\n`")
                .append(r.base())
                .append("` · ")
                .append(pending(r))
                .append(" · on branch `")
                .append(r.branch())
                .append("`")
                .append(r.kept() ? " (kept)" : "")
                .append(" · ")
                .append(String.format(Locale.ROOT, "%.1f s", r.millis() / 1000.0))
                .append("\n\n");
        if (!r.ups().isEmpty()) {
            b.append("| migration | result | time | WAL | rows changed | strongest lock (held) | rewrites |\n");
            b.append("| --- | --- | ---: | ---: | --- | --- | --- |\n");
            for (Runner.Run u : r.ups()) {
                b.append("| `")
                        .append(u.migration().file())
                        .append("` | ")
                        .append(
                                switch (u.status()) {
                                    case APPLIED -> "✅ applied";
                                    case FAILED ->
                                        "❌ failed at line "
                                                + u.failure().orElseThrow().line();
                                    case SKIPPED -> "⏭ skipped";
                                })
                        .append(" | ")
                        .append(
                                u.status() == Runner.Status.SKIPPED
                                        ? ""
                                        : String.format(Locale.ROOT, "%,d ms", u.millis()))
                        .append(" | ")
                        .append(u.status() == Runner.Status.SKIPPED ? "" : Sizes.format(u.walBytes()))
                        .append(" | ")
                        .append(cell(rows(u)))
                        .append(" | ")
                        .append(cell(strongest(u)))
                        .append(" | ")
                        .append(cell(rewrites(u)))
                        .append(" |\n");
            }
            b.append('\n');
        } else {
            b.append("Nothing to apply: every migration in the directory is applied on the base.\n\n");
        }
        if (!r.findings().isEmpty()) {
            b.append(
                    "#### Findings\n\n| | rule | migration | on | what | evidence |\n| --- | --- | --- | --- | --- | --- |\n");
            for (Finding f : r.findings()) {
                b.append("| ")
                        .append(
                                switch (f.severity()) {
                                    case ERROR -> "❌ error";
                                    case WARNING -> "⚠️ warning";
                                    case INFO -> "ℹ️ info";
                                })
                        .append(" | `")
                        .append(f.rule())
                        .append("` | `")
                        .append(f.migration())
                        .append("` | ")
                        .append(f.relation().equals("-") ? "" : "`" + f.relation() + "`")
                        .append(" | ")
                        .append(cell(f.message()))
                        .append(" | ")
                        .append(cell(f.evidence()))
                        .append(" |\n");
            }
            b.append('\n');
        }
        r.ups().stream().filter(u -> u.failure().isPresent()).forEach(u -> {
            Runner.Failure f = u.failure().orElseThrow();
            b.append("#### `")
                    .append(u.migration().file())
                    .append("` failed\n\nLine ")
                    .append(f.line())
                    .append(", SQLSTATE ")
                    .append(f.sqlState())
                    .append(": ")
                    .append(f.message())
                    .append("\n\n```sql\n")
                    .append(f.statement())
                    .append("\n```\n\n");
        });
        if (!r.set().ignored().isEmpty()) {
            b.append("#### Files ignored\n\n");
            r.set().ignored().forEach(i -> b.append("- ").append(i).append('\n'));
            b.append('\n');
        }
        boolean anyLocks = r.ups().stream().anyMatch(u -> !u.locks().isEmpty());
        if (anyLocks) {
            b.append("#### Locks held\n\n");
            for (Runner.Run u : r.ups()) {
                if (u.locks().isEmpty()) {
                    continue;
                }
                b.append("<details><summary><code>")
                        .append(u.migration().file())
                        .append("</code>: ")
                        .append(u.locks().size())
                        .append(" locks</summary>\n\n")
                        .append("| relation | mode | from line | held | blocks |\n| --- | --- | ---: | ---: | --- |\n");
                for (Runner.Lock l : u.locks()) {
                    b.append("| `")
                            .append(l.name())
                            .append("` | ")
                            .append(Locks.label(l.mode()))
                            .append(" | ")
                            .append(l.line())
                            .append(" | ")
                            .append(String.format(Locale.ROOT, "%,d ms", l.heldMillis()))
                            .append(" | ")
                            .append(Locks.blocks(l.mode()))
                            .append(" |\n");
                }
                b.append("\n</details>\n\n");
            }
        }
        if (!r.again().isEmpty()) {
            b.append("#### Idempotency (each run a second time, then rolled back)\n\n");
            for (SecondRun.Result a : r.again()) {
                b.append("- `")
                        .append(a.migration().file())
                        .append("`: ")
                        .append(a.outcome().label)
                        .append(a.detail().isEmpty() ? "" : ": " + a.detail())
                        .append('\n');
            }
            b.append('\n');
        }
        r.reversal().ifPresent(v -> {
            b.append("#### Reversibility (down scripts applied after the up migrations)\n\n");
            b.append(
                    v.reversed()
                            ? "Everything came back: the schema and the rows equal the base's.\n"
                            : "Not everything came back (see the findings).\n");
            if (!v.dropped().isEmpty()) {
                b.append("\nDropped by the up migrations (rows not expected back): ")
                        .append(String.join(
                                ", ",
                                v.dropped().stream().map(t -> "`" + t + "`").toList()))
                        .append('\n');
            }
            b.append('\n');
        });
        r.schema()
                .ifPresent(
                        s -> b.append(Report.markdown(s, r.base(), r.branch())).append('\n'));
        if (r.data().stream().anyMatch(TableDiff::shown)) {
            b.append(DataReport.markdown(r.data(), r.base(), r.branch(), 5));
        }
        return b.toString();
    }

    private static String cell(String s) {
        return s.isEmpty() ? "–" : s.replace("|", "\\|").replace("\n", " ");
    }

    private static String rows(Runner.Run u) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, long[]> e : u.rows().entrySet()) {
            long[] n = e.getValue();
            List<String> p = new ArrayList<>();
            if (n[0] > 0) {
                p.add("+" + n[0]);
            }
            if (n[1] > 0) {
                p.add("~" + n[1]);
            }
            if (n[2] > 0) {
                p.add("-" + n[2]);
            }
            out.add(e.getKey() + " " + String.join(" ", p));
        }
        return String.join(", ", out);
    }

    private static String strongest(Runner.Run u) {
        return u.locks().stream()
                .filter(l -> u.before().tables().containsKey(l.relation()))
                .max(java.util.Comparator.comparingInt((Runner.Lock l) -> Locks.strength(l.mode()))
                        .thenComparingLong(Runner.Lock::heldMillis))
                .map(l -> Locks.label(l.mode()) + " on " + l.name() + " (" + l.heldMillis() + " ms)")
                .orElse("");
    }

    private static String rewrites(Runner.Run u) {
        List<String> out = new ArrayList<>();
        for (Catalog.Table t : u.before().tables().values()) {
            Catalog.Table now = u.after().tables().get(t.oid());
            if (now != null && now.fileNode() != t.fileNode()) {
                out.add(now.name() + " (" + Sizes.format(t.size()) + ")");
            }
        }
        out.sort(null);
        return String.join(", ", out);
    }

    public static String text(CheckResult r) {
        StringBuilder b = new StringBuilder();
        b.append("migration check ").append(verdict(r)).append('\n');
        b.append("base ")
                .append(r.base())
                .append(", ")
                .append(pending(r))
                .append(", branch ")
                .append(r.branch())
                .append(r.kept() ? " (kept)" : "")
                .append('\n');
        for (Runner.Run u : r.ups()) {
            b.append("  ").append(u.migration().file()).append(": ").append(u.status().label);
            if (u.status() != Runner.Status.SKIPPED) {
                b.append(String.format(Locale.ROOT, ", %,d ms, WAL %s", u.millis(), Sizes.format(u.walBytes())));
            }
            u.failure()
                    .ifPresent(f -> b.append(", line ")
                            .append(f.line())
                            .append(" SQLSTATE ")
                            .append(f.sqlState())
                            .append(": ")
                            .append(f.message()));
            b.append('\n');
            for (Runner.Lock l : u.locks()) {
                if (u.before().tables().containsKey(l.relation())) {
                    b.append("    lock ")
                            .append(Locks.label(l.mode()))
                            .append(" on ")
                            .append(l.name())
                            .append(" held ")
                            .append(l.heldMillis())
                            .append(" ms from line ")
                            .append(l.line())
                            .append(" (blocks ")
                            .append(Locks.blocks(l.mode()))
                            .append(")\n");
                }
            }
            String rw = rewrites(u);
            if (!rw.isEmpty()) {
                b.append("    rewrote ").append(rw).append('\n');
            }
            String rows = rows(u);
            if (!rows.isEmpty()) {
                b.append("    rows ").append(rows).append('\n');
            }
        }
        for (Finding f : r.findings()) {
            b.append(f.severity().label())
                    .append(": ")
                    .append(f.rule())
                    .append(' ')
                    .append(f.migration())
                    .append(f.relation().equals("-") ? "" : " " + f.relation())
                    .append(": ")
                    .append(f.message())
                    .append(" [")
                    .append(f.evidence().replace('\n', ' '))
                    .append("]\n");
        }
        for (SecondRun.Result a : r.again()) {
            b.append("second run of ")
                    .append(a.migration().file())
                    .append(": ")
                    .append(a.outcome().label)
                    .append(a.detail().isEmpty() ? "" : ": " + a.detail())
                    .append('\n');
        }
        r.reversal()
                .ifPresent(v -> b.append("down scripts: ")
                        .append(v.reversed() ? "everything came back" : "not everything came back")
                        .append('\n'));
        return b.toString();
    }

    public static String json(CheckResult r) {
        JsonObject o = new JsonObject();
        o.addProperty("verdict", r.fails() ? "fail" : "pass");
        o.addProperty("fail_on", r.failOn().map(Finding.Severity::label).orElse("never"));
        o.addProperty("base", r.base());
        o.addProperty("branch", r.branch());
        o.addProperty("kept", r.kept());
        o.addProperty("layout", r.set().layout().label);
        o.addProperty("applied_before", r.appliedBefore());
        o.addProperty("millis", r.millis());
        JsonArray ignored = new JsonArray();
        r.set().ignored().forEach(ignored::add);
        o.add("ignored", ignored);
        JsonArray drift = new JsonArray();
        for (History.Drift d : r.drift()) {
            JsonObject x = new JsonObject();
            x.addProperty("kind", d.kind().rule.substring("drift-".length()));
            x.addProperty("script", d.script());
            x.addProperty("version", d.version().orElse(null));
            x.addProperty("message", d.message());
            drift.add(x);
        }
        o.add("drift", drift);
        o.add("migrations", runs(r.ups()));
        o.add("downs", runs(r.downs()));
        JsonArray findings = new JsonArray();
        for (Finding f : r.findings()) {
            JsonObject x = new JsonObject();
            x.addProperty("rule", f.rule());
            x.addProperty("severity", f.severity().label());
            x.addProperty("migration", f.migration());
            x.addProperty("relation", f.relation());
            x.addProperty("message", f.message());
            x.addProperty("evidence", f.evidence());
            findings.add(x);
        }
        o.add("findings", findings);
        JsonArray again = new JsonArray();
        for (SecondRun.Result a : r.again()) {
            JsonObject x = new JsonObject();
            x.addProperty("migration", a.migration().file());
            x.addProperty("outcome", a.outcome().name().toLowerCase(Locale.ROOT).replace('_', '-'));
            x.addProperty("detail", a.detail());
            again.add(x);
        }
        o.add("idempotency", again);
        o.add(
                "reversibility",
                r.reversal()
                        .<JsonElement>map(v -> {
                            JsonObject x = new JsonObject();
                            x.addProperty("reversed", v.reversed());
                            x.add("schema_diff", JsonParser.parseString(Report.json(v.schema(), r.base(), r.branch())));
                            JsonArray tables = new JsonArray();
                            v.data().stream().filter(t -> !t.equal()).forEach(t -> tables.add(t.table()));
                            x.add("tables_differing", tables);
                            JsonArray dropped = new JsonArray();
                            v.dropped().forEach(dropped::add);
                            x.add("dropped", dropped);
                            return x;
                        })
                        .orElse(JsonNull.INSTANCE));
        o.add(
                "schema_diff",
                r.schema()
                        .<JsonElement>map(s -> JsonParser.parseString(Report.json(s, r.base(), r.branch())))
                        .orElse(JsonNull.INSTANCE));
        o.add("data_diff", JsonParser.parseString(DataReport.json(r.data(), r.base(), r.branch())));
        return new GsonBuilder()
                        .setPrettyPrinting()
                        .disableHtmlEscaping()
                        .serializeNulls()
                        .create()
                        .toJson(o) + "\n";
    }

    private static JsonArray runs(List<Runner.Run> runs) {
        JsonArray out = new JsonArray();
        for (Runner.Run u : runs) {
            JsonObject x = new JsonObject();
            x.addProperty("file", u.migration().file());
            x.addProperty("kind", u.migration().kind().label);
            x.addProperty("version", u.migration().version().orElse(null));
            x.addProperty("status", u.status().label);
            x.addProperty("transactional", u.transactional());
            x.addProperty("millis", u.millis());
            x.addProperty("wal_bytes", u.walBytes());
            x.add(
                    "error",
                    u.failure()
                            .<JsonElement>map(f -> {
                                JsonObject e = new JsonObject();
                                e.addProperty("statement", f.statement());
                                e.addProperty("line", f.line());
                                e.addProperty("sqlstate", f.sqlState());
                                e.addProperty("message", f.message());
                                return e;
                            })
                            .orElse(JsonNull.INSTANCE));
            JsonArray locks = new JsonArray();
            for (Runner.Lock l : u.locks()) {
                JsonObject e = new JsonObject();
                e.addProperty("relation", l.name());
                e.addProperty("mode", Locks.label(l.mode()));
                e.addProperty("line", l.line());
                e.addProperty("held_ms", l.heldMillis());
                e.addProperty("blocks", Locks.blocks(l.mode()));
                e.addProperty("pre_existing", u.before().tables().containsKey(l.relation()));
                locks.add(e);
            }
            x.add("locks", locks);
            JsonArray rewrites = new JsonArray();
            for (Catalog.Table t : u.before().tables().values()) {
                Catalog.Table now = u.after().tables().get(t.oid());
                if (now != null && now.fileNode() != t.fileNode()) {
                    JsonObject e = new JsonObject();
                    e.addProperty("table", now.name());
                    e.addProperty("size_bytes", t.size());
                    rewrites.add(e);
                }
            }
            x.add("rewrites", rewrites);
            JsonArray rows = new JsonArray();
            u.rows().forEach((t, n) -> {
                JsonObject e = new JsonObject();
                e.addProperty("table", t);
                e.addProperty("inserted", n[0]);
                e.addProperty("updated", n[1]);
                e.addProperty("deleted", n[2]);
                rows.add(e);
            });
            x.add("rows", rows);
            JsonArray notes = new JsonArray();
            u.notes().forEach(notes::add);
            x.add("notes", notes);
            out.add(x);
        }
        return out;
    }
}
