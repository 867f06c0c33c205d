package dev.sprout.migrate;

import dev.sprout.migrate.Finding.Severity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Turns the measurements of migration runs into findings, each with its evidence. "Pre-existing" is what the base had
 * before the check ({@code base}); "big" is a pre-existing table whose size on the base is at least {@code bigTable}
 * bytes. The rules, by id:
 *
 * <ul>
 *   <li>{@code migration-failed} (error): a statement failed.
 *   <li>{@code index-not-concurrent} (warning): a new index on a big table, made by a statement other than
 *       {@code CREATE INDEX CONCURRENTLY} (writes wait for the whole build).
 *   <li>{@code access-exclusive-lock} (warning): the migration held ACCESS EXCLUSIVE on a big table.
 *   <li>{@code table-rewrite} (error): a big table got a new relation file.
 *   <li>{@code constraint-validation} (warning): on a big table, a foreign key or CHECK added already validated (not
 *       {@code NOT VALID} first), or {@code SET NOT NULL} on a column no validated {@code CHECK (c IS NOT NULL)}
 *       covered.
 *   <li>{@code column-type-change} (warning): a pre-existing column's type changed.
 *   <li>{@code dropped-still-used} (error): a pre-existing table or column dropped or renamed whose old name a
 *       routine's body still mentions.
 *   <li>{@code volatile-default} (warning): a column added to a non-empty pre-existing table with a default that
 *       calls a volatile function (every row gets its own value: the table is rewritten).
 * </ul>
 *
 * Each rule fires at most once per migration and relation.
 */
public final class Rules {
    public static final String ACCESS_EXCLUSIVE = "AccessExclusiveLock";

    private Rules() {}

    /** The findings of {@code runs}. */
    public static List<Finding> evaluate(Catalog.State base, List<Runner.Run> runs, long bigTable) {
        Map<String, Finding> out = new LinkedHashMap<>();
        for (Runner.Run r : runs) {
            String file = r.migration().file();
            r.failure()
                    .ifPresent(f -> add(
                            out,
                            new Finding(
                                    "migration-failed",
                                    Severity.ERROR,
                                    file,
                                    "-",
                                    "line " + f.line() + ": " + f.message() + " (SQLSTATE " + f.sqlState() + ")",
                                    f.statement())));
            if (r.status() == Runner.Status.SKIPPED) {
                continue;
            }
            for (Runner.Lock l : r.locks()) {
                Catalog.Table t = base.tables().get(l.relation());
                if (t != null && t.size() >= bigTable && l.mode().equals(ACCESS_EXCLUSIVE)) {
                    add(
                            out,
                            new Finding(
                                    "access-exclusive-lock",
                                    Severity.WARNING,
                                    file,
                                    t.name(),
                                    "ACCESS EXCLUSIVE lock on " + t.name() + " (" + Sizes.format(t.size())
                                            + "): reads and writes wait",
                                    "held " + l.heldMillis() + " ms from the statement at line " + l.line()));
                }
            }
            for (Catalog.Table t : base.tables().values()) {
                Catalog.Table was = r.before().tables().get(t.oid());
                Catalog.Table now = r.after().tables().get(t.oid());
                if (t.size() >= bigTable && was != null && now != null && was.fileNode() != now.fileNode()) {
                    add(
                            out,
                            new Finding(
                                    "table-rewrite",
                                    Severity.ERROR,
                                    file,
                                    t.name(),
                                    t.name() + " (" + Sizes.format(t.size())
                                            + ") was rewritten: a new relation file, under"
                                            + " an ACCESS EXCLUSIVE lock for the whole rewrite",
                                    "relfilenode " + was.fileNode() + " → " + now.fileNode()));
                }
            }
            indexes(out, base, r, bigTable);
            constraints(out, base, r, bigTable);
            columns(out, base, r);
            dropped(out, base, r);
        }
        return new ArrayList<>(out.values());
    }

    private static void add(Map<String, Finding> out, Finding f) {
        out.putIfAbsent(f.key(), f);
    }

    private static boolean big(Catalog.State base, long table, long bigTable) {
        Catalog.Table t = base.tables().get(table);
        return t != null && t.size() >= bigTable;
    }

    private static void indexes(Map<String, Finding> out, Catalog.State base, Runner.Run r, long bigTable) {
        for (Catalog.Index ix : r.after().indexes().values()) {
            // an index rebuilt under a new OID with its old name (ALTER COLUMN TYPE rebuilds the column's indexes)
            // is not a new one
            boolean rebuilt = r.before().indexes().values().stream()
                    .anyMatch(old -> old.table() == ix.table() && old.name().equals(ix.name()));
            if (r.before().indexes().containsKey(ix.oid()) || rebuilt || !big(base, ix.table(), bigTable)) {
                continue;
            }
            Optional<Runner.Step> made = firstWith(r, p -> p.indexes().contains(ix.oid()));
            if (made.isPresent() && !made.get().statement().concurrentIndex()) {
                Catalog.Table t = base.tables().get(ix.table());
                add(
                        out,
                        new Finding(
                                "index-not-concurrent",
                                Severity.WARNING,
                                r.migration().file(),
                                t.name(),
                                "index " + ix.name() + " built on " + t.name() + " (" + Sizes.format(t.size())
                                        + ") without CONCURRENTLY: writes to the table wait for the whole build",
                                "made by the statement at line "
                                        + made.get().statement().line() + "; " + lockOn(r, ix.table())));
            }
        }
    }

    private static void constraints(Map<String, Finding> out, Catalog.State base, Runner.Run r, long bigTable) {
        for (Runner.Step s : r.steps()) {
            if (s.probe().isEmpty() || !s.probe().get().catalogs()) {
                continue;
            }
            for (Catalog.Constraint k : s.probe().get().constraints().values()) {
                if (r.before().constraints().containsKey(k.oid())
                        || !(k.type().equals("f") || k.type().equals("c"))
                        || !big(base, k.table(), bigTable)
                        || seenBefore(r, s, p -> p.constraints().containsKey(k.oid()))) {
                    continue;
                }
                if (k.validated()) {
                    Catalog.Table t = base.tables().get(k.table());
                    add(
                            out,
                            new Finding(
                                    "constraint-validation",
                                    Severity.WARNING,
                                    r.migration().file(),
                                    t.name(),
                                    (k.type().equals("f") ? "foreign key " : "check constraint ") + k.name()
                                            + " added to "
                                            + t.name() + " (" + Sizes.format(t.size())
                                            + ") validated at once: the table is"
                                            + " scanned under the lock (add it NOT VALID, then VALIDATE CONSTRAINT in a"
                                            + " later migration)",
                                    "line " + s.statement().line() + ": " + k.definition() + "; "
                                            + lockOn(r, k.table())));
                }
            }
        }
        for (Catalog.Column c : r.after().columns().values()) {
            Catalog.Column was = r.before().column(c.table(), c.attnum());
            if (was == null || was.notNull() || !c.notNull() || !big(base, c.table(), bigTable)) {
                continue;
            }
            Optional<Runner.Step> made = firstWith(r, p -> p.notNull().contains(c.key()));
            Pattern covered = Pattern.compile("CHECK \\(\\(\"?" + Pattern.quote(c.name()) + "\"? IS NOT NULL\\)\\)");
            boolean check = r.before().constraints().values().stream()
                            .anyMatch(k -> k.table() == c.table()
                                    && k.validated()
                                    && covered.matcher(k.definition()).matches())
                    || made.flatMap(Runner.Step::probe).stream()
                            .flatMap(p -> p.constraints().values().stream())
                            .anyMatch(k -> k.table() == c.table()
                                    && k.validated()
                                    && covered.matcher(k.definition()).matches());
            if (!check) {
                Catalog.Table t = base.tables().get(c.table());
                add(
                        out,
                        new Finding(
                                "constraint-validation",
                                Severity.WARNING,
                                r.migration().file(),
                                t.name(),
                                "SET NOT NULL on " + t.name() + "." + c.name() + " (" + Sizes.format(t.size())
                                        + ") scans the"
                                        + " table under an ACCESS EXCLUSIVE lock (add CHECK (" + c.name()
                                        + " IS NOT NULL) NOT"
                                        + " VALID, VALIDATE it, then SET NOT NULL)",
                                made.map(s -> "line " + s.statement().line()).orElse("the migration") + "; "
                                        + lockOn(r, c.table())));
            }
        }
    }

    private static void columns(Map<String, Finding> out, Catalog.State base, Runner.Run r) {
        for (Catalog.Column c : r.after().columns().values()) {
            Catalog.Table table = base.tables().get(c.table());
            if (table == null) {
                continue;
            }
            Catalog.Column was = r.before().column(c.table(), c.attnum());
            String name = r.after().tables().get(c.table()).name() + "." + c.name();
            if (was != null
                    && base.column(c.table(), c.attnum()) != null
                    && !was.type().equals(c.type())) {
                add(
                        out,
                        new Finding(
                                "column-type-change",
                                Severity.WARNING,
                                r.migration().file(),
                                name,
                                "the type of " + name + " changed: " + was.type() + " → " + c.type()
                                        + " (code reading or writing it may break; some changes rewrite the table)",
                                "pg_attribute: " + was.type() + " → " + c.type()));
            }
            if (was == null && c.volatileDefault() && table.size() > 0) {
                add(
                        out,
                        new Finding(
                                "volatile-default",
                                Severity.WARNING,
                                r.migration().file(),
                                name,
                                "column " + name
                                        + " added with a volatile default: every existing row gets its own value,"
                                        + " so the table (" + Sizes.format(table.size()) + ") is rewritten under ACCESS"
                                        + " EXCLUSIVE (add it without a default, backfill in batches, then set the default)",
                                "the default calls a volatile function (pg_proc.provolatile = 'v')"));
            }
        }
    }

    private static void dropped(Map<String, Finding> out, Catalog.State base, Runner.Run r) {
        for (Catalog.Table t : r.before().tables().values()) {
            if (!base.tables().containsKey(t.oid())) {
                continue;
            }
            Catalog.Table now = r.after().tables().get(t.oid());
            if (now == null || !now.name().equals(t.name())) {
                String bare = bare(t.name());
                mentions(r, bare)
                        .ifPresent(routine -> add(
                                out,
                                new Finding(
                                        "dropped-still-used",
                                        Severity.ERROR,
                                        r.migration().file(),
                                        t.name(),
                                        "table " + t.name() + " was "
                                                + (now == null ? "dropped" : "renamed to " + now.name()) + " but "
                                                + routine + " still mentions " + bare,
                                        "the body of " + routine
                                                + " (PostgreSQL does not track names in routine bodies)")));
                continue;
            }
            for (Catalog.Column c : r.before().columns().values()) {
                if (c.table() != t.oid() || base.column(c.table(), c.attnum()) == null) {
                    continue;
                }
                Catalog.Column after = r.after().column(c.table(), c.attnum());
                if (after == null || !after.name().equals(c.name())) {
                    String name = t.name() + "." + c.name();
                    Optional<String> routine = r.after().routines().stream()
                            .filter(p -> word(bare(t.name())).matcher(p.body()).find()
                                    && word(c.name()).matcher(p.body()).find())
                            .map(Catalog.Routine::signature)
                            .findFirst();
                    routine.ifPresent(p -> add(
                            out,
                            new Finding(
                                    "dropped-still-used",
                                    Severity.ERROR,
                                    r.migration().file(),
                                    name,
                                    "column " + name + " was "
                                            + (after == null ? "dropped" : "renamed to " + after.name()) + " but " + p
                                            + " still mentions " + bare(t.name()) + " and " + c.name(),
                                    "the body of " + p + " (PostgreSQL does not track names in routine bodies)")));
                }
            }
        }
    }

    private static Optional<String> mentions(Runner.Run r, String name) {
        Pattern w = word(name);
        return r.after().routines().stream()
                .filter(p -> w.matcher(p.body()).find())
                .map(Catalog.Routine::signature)
                .findFirst();
    }

    private static Pattern word(String name) {
        return Pattern.compile(
                "(?<![A-Za-z0-9_$])" + Pattern.quote(name.toLowerCase(Locale.ROOT)) + "(?![A-Za-z0-9_$])",
                Pattern.CASE_INSENSITIVE);
    }

    /** {@code public.orders} → {@code orders} (quotes dropped). */
    static String bare(String qualified) {
        String rel = qualified.substring(qualified.indexOf('.') + 1);
        return rel.startsWith("\"") ? rel.substring(1, rel.length() - 1).replace("\"\"", "\"") : rel;
    }

    private static Optional<Runner.Step> firstWith(Runner.Run r, java.util.function.Predicate<Catalog.Probe> p) {
        return r.steps().stream()
                .filter(s -> s.probe().filter(Catalog.Probe::catalogs).filter(p).isPresent())
                .findFirst();
    }

    private static boolean seenBefore(Runner.Run r, Runner.Step step, java.util.function.Predicate<Catalog.Probe> p) {
        for (Runner.Step s : r.steps()) {
            if (s == step) {
                return false;
            }
            if (s.probe().filter(Catalog.Probe::catalogs).filter(p).isPresent()) {
                return true;
            }
        }
        return false;
    }

    /** The strongest lock the run held on a table, for evidence. */
    private static String lockOn(Runner.Run r, long table) {
        return r.locks().stream()
                .filter(l -> l.relation() == table)
                .max(java.util.Comparator.comparingInt(l -> Locks.strength(l.mode())))
                .map(l -> Locks.label(l.mode()) + " held " + l.heldMillis() + " ms (blocks " + Locks.blocks(l.mode())
                        + ")")
                .orElse("no lock seen on the table");
    }
}
