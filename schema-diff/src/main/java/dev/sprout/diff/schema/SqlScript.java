package dev.sprout.diff.schema;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The DDL that turns FROM into TO, in dependency order: first every drop (dependents before what they depend on),
 * then every create and alter (what is depended on first). Rules that keep it applicable:
 *
 * <ul>
 *   <li>what cannot be altered in place is dropped and created again (indexes, constraints, views, triggers,
 *       policies, range types, collations; an enum that lost or reordered values; a function whose arguments or
 *       result type changed; a table whose partitioning changed);</li>
 *   <li>views and materialized views are recreated around changes below them: a table whose column changes type or
 *       is dropped, a relation or function that is recreated or dropped, transitively (as read from FROM's
 *       dependencies); policies and triggers of a table whose column changes type likewise; foreign keys that
 *       point at a table whose keys are recreated or which is dropped;</li>
 *   <li>what belongs to a dropped relation is not dropped on its own, and what belongs to a created one is created
 *       with it;</li>
 *   <li>an enum gains values with {@code ADD VALUE BEFORE/AFTER} at their place; a column changes with
 *       {@code ALTER COLUMN} (type with a {@code USING} cast, default, NOT NULL, identity).</li>
 * </ul>
 *
 * <p>Privileges are reported, not generated (a comment line says so). Column order cannot be changed in place;
 * a difference in it (with {@link Include#COLUMN_ORDER}) gets a comment line too. The script runs statement by
 * statement (an enum's new value cannot be used in the transaction that adds it), after
 * {@code SET check_function_bodies = false}.
 */
public final class SqlScript {
    /** One statement (without its semicolon) and, when it needs one, why it is there. */
    public record Step(String sql, Optional<String> why) {
        public Step {
            Objects.requireNonNull(sql, "sql");
            Objects.requireNonNull(why, "why");
        }

        /** Whether this is a comment line only (nothing to run). */
        public boolean commentOnly() {
            return sql.startsWith("--");
        }
    }

    private final Snapshot from;
    private final Snapshot to;
    private final List<Change> changes;

    /** FROM objects dropped explicitly, and why (if not simply removed). */
    private final Map<String, String> drop = new LinkedHashMap<>();
    /** TO objects created, and why (if not simply added). */
    private final Map<String, String> create = new LinkedHashMap<>();
    /** Changed objects altered in place. */
    private final Map<String, Change.Changed> alter = new LinkedHashMap<>();

    private SqlScript(SchemaDiff diff) {
        this.from = diff.from();
        this.to = diff.to();
        this.changes = diff.changes();
    }

    /** The steps that turn {@code diff.from()} into {@code diff.to()}; none when they are equal. */
    public static List<Step> of(SchemaDiff diff) {
        return new SqlScript(diff).build();
    }

    /** The script as text: a header, then each step (its reason as a comment line above it). */
    public static String render(SchemaDiff diff, String fromLabel, String toLabel) {
        StringBuilder out = new StringBuilder();
        out.append("-- sprout diff schema: the DDL that turns ")
                .append(fromLabel)
                .append(" into ")
                .append(toLabel)
                .append('\n');
        List<Step> steps = of(diff);
        if (steps.isEmpty()) {
            out.append("-- the schemas are equal: nothing to do\n");
            return out.toString();
        }
        out.append("SET check_function_bodies = false;\n");
        for (Step s : steps) {
            s.why().ifPresent(w -> out.append("-- ").append(w).append('\n'));
            out.append(s.sql()).append(s.commentOnly() ? "\n" : ";\n");
        }
        return out.toString();
    }

    // ---- deciding what happens to each object ------------------------------------------------------------------

    private List<Step> build() {
        for (Change c : changes) {
            switch (c) {
                case Change.Added a -> create.put(a.object().key(), "");
                case Change.Removed r -> drop.put(r.object().key(), "");
                case Change.Changed ch -> {
                    if (recreates(ch)) {
                        drop.put(ch.before().key(), "recreated: " + String.join(", ", ch.properties()) + " changed");
                        create.put(ch.after().key(), "");
                    } else {
                        alter.put(ch.after().key(), ch);
                    }
                }
            }
        }
        cascade();
        List<Step> steps = new ArrayList<>();
        dropPhase(steps);
        createPhase(steps);
        metaPhase(steps);
        return steps;
    }

    private static final Set<String> META = Set.of("owner", "privileges", "comment");

    /** Whether a changed object is dropped and created again instead of altered. */
    private boolean recreates(Change.Changed ch) {
        List<String> props =
                ch.properties().stream().filter(p -> !META.contains(p)).toList();
        if (props.isEmpty()) {
            return false;
        }
        DbObject a = ch.before();
        DbObject b = ch.after();
        return switch (a.kind()) {
            case SCHEMA, SEQUENCE, COMPOSITE, COLUMN -> props.contains("generated");
            case EXTENSION -> false;
            case COLLATION, RANGE, INDEX, VIEW, MATERIALIZED_VIEW, POLICY -> true;
            case ENUM -> !isSubsequence(a.parts(), b.parts());
            case DOMAIN -> props.contains("type") || props.contains("collation");
            case TABLE -> props.contains("partitioned") || props.contains("partition key");
            case CONSTRAINT -> !validatesOnly(a, b);
            case FUNCTION, PROCEDURE -> props.contains("arguments") || props.contains("returns");
            case TRIGGER, EVENT_TRIGGER -> !props.equals(List.of("enabled"));
        };
    }

    private static boolean validatesOnly(DbObject a, DbObject b) {
        return a.require("definition").equals(b.require("definition") + " NOT VALID");
    }

    private static boolean isSubsequence(List<String> small, List<String> big) {
        int i = 0;
        for (String s : big) {
            if (i < small.size() && small.get(i).equals(s)) {
                i++;
            }
        }
        return i == small.size();
    }

    /** Adds what the drops and changes drag along: see the class comment. */
    private void cascade() {
        // tables whose columns change type or go: their views, policies and triggers are recreated
        Set<String> reshaped = new LinkedHashSet<>();
        for (Change c : changes) {
            if (c.kind() != Kind.COLUMN) {
                continue;
            }
            String rel = c.object().relation().orElseThrow();
            if (c instanceof Change.Removed
                    || (c instanceof Change.Changed ch
                            && (ch.properties().contains("type")
                                    || ch.properties().contains("collation")))) {
                reshaped.add(rel);
            }
        }
        for (String rel : reshaped) {
            for (DbObject part : from.partsOf(rel)) {
                if (part.kind() == Kind.POLICY || part.kind() == Kind.TRIGGER) {
                    recreate(part, "recreated around the change of a column type of " + rel);
                }
            }
        }
        // foreign keys pointing at a table that is dropped or whose keys are recreated
        Set<String> keysGone = new LinkedHashSet<>();
        for (String key : drop.keySet()) {
            DbObject o = from.asMap().get(key);
            if (o.kind() == Kind.TABLE) {
                keysGone.add(o.name());
            } else if (o.kind() == Kind.CONSTRAINT
                    && Set.of("primary key", "unique").contains(o.require("type"))) {
                keysGone.add(o.relation().orElseThrow());
            } else if (o.kind() == Kind.INDEX && o.require("definition").startsWith("CREATE UNIQUE")) {
                keysGone.add(o.relation().orElseThrow());
            }
        }
        for (DbObject o : from.objects().values()) {
            if (o.kind() == Kind.CONSTRAINT && o.require("type").equals("foreign key")) {
                String def = o.require("definition");
                for (String t : keysGone) {
                    if (def.contains("REFERENCES " + t + "(") || def.contains("REFERENCES " + unqualified(t) + "(")) {
                        recreate(o, "recreated around the change of the keys of " + t);
                    }
                }
            }
        }
        // views over anything dropped or reshaped, transitively
        boolean grew = true;
        while (grew) {
            grew = false;
            Set<String> below = new LinkedHashSet<>(drop.keySet());
            for (String rel : reshaped) {
                below.add(DbObject.key(Kind.TABLE, rel));
            }
            for (DbObject v : from.objects().values()) {
                if (readsRelations(v) && !drop.containsKey(v.key())) {
                    Optional<String> dep =
                            v.dependsOn().stream().filter(below::contains).findFirst();
                    if (dep.isPresent()) {
                        recreate(v, "recreated around the change of " + dep.get());
                        grew = true;
                    }
                }
            }
        }
        // what a created relation holds is created with it
        for (String key : List.copyOf(create.keySet())) {
            DbObject o = to.asMap().get(key);
            if (o.kind() == Kind.TABLE || o.kind() == Kind.VIEW || o.kind() == Kind.MATERIALIZED_VIEW) {
                for (DbObject part : to.partsOf(o.name())) {
                    if (!create.containsKey(part.key())) {
                        create.put(part.key(), "recreated with " + o.name());
                        alter.remove(part.key());
                    }
                }
            }
        }
    }

    private void recreate(DbObject inFrom, String why) {
        if (drop.containsKey(inFrom.key())) {
            return;
        }
        drop.put(inFrom.key(), why);
        alter.remove(inFrom.key());
        if (to.asMap().containsKey(inFrom.key())) {
            create.put(inFrom.key(), why);
        }
    }

    private static String unqualified(String name) {
        return name.startsWith("public.") ? name.substring("public.".length()) : name;
    }

    // ---- drops -------------------------------------------------------------------------------------------------

    private static final List<Kind> DROP_ORDER = List.of(
            Kind.EVENT_TRIGGER,
            Kind.TRIGGER,
            Kind.POLICY,
            Kind.MATERIALIZED_VIEW, // with VIEW, in dependency order
            Kind.CONSTRAINT,
            Kind.INDEX,
            Kind.COLUMN,
            Kind.TABLE,
            Kind.FUNCTION,
            Kind.PROCEDURE,
            Kind.SEQUENCE,
            Kind.DOMAIN,
            Kind.COMPOSITE,
            Kind.RANGE,
            Kind.ENUM,
            Kind.COLLATION,
            Kind.EXTENSION,
            Kind.SCHEMA);

    private void dropPhase(List<Step> steps) {
        Set<String> droppedRelations = new LinkedHashSet<>();
        for (String key : drop.keySet()) {
            DbObject o = from.asMap().get(key);
            if (o.kind() == Kind.TABLE || o.kind() == Kind.VIEW || o.kind() == Kind.MATERIALIZED_VIEW) {
                droppedRelations.add(o.name());
            }
        }
        Predicate<DbObject> goesWithItsRelation =
                o -> o.relation().filter(droppedRelations::contains).isPresent();
        for (Kind kind : DROP_ORDER) {
            List<DbObject> objects = droppedInTurn(kind);
            if (kind == Kind.COLUMN) {
                unlinkTables(steps);
            }
            for (DbObject o : objects) {
                if (goesWithItsRelation.test(o)) {
                    continue;
                }
                if (o.kind() == Kind.COLUMN && staysThroughInheritance(o)) {
                    continue;
                }
                steps.add(new Step(dropSql(o), why(drop.get(o.key()))));
            }
        }
    }

    /** The dropped objects of {@code kind}'s turn in {@link #DROP_ORDER}, in the order they go. */
    private List<DbObject> droppedInTurn(Kind kind) {
        return switch (kind) {
            case MATERIALIZED_VIEW -> {
                // views in dependency order, after the routines with SQL-standard bodies that read relations
                List<DbObject> readers =
                        new ArrayList<>(dropped(k -> k == Kind.FUNCTION || k == Kind.PROCEDURE).stream()
                                .filter(o -> !o.dependsOn().isEmpty())
                                .toList());
                readers.addAll(byDepth(dropped(k -> k == Kind.VIEW || k == Kind.MATERIALIZED_VIEW), from, true));
                yield readers;
            }
            case FUNCTION, PROCEDURE ->
                dropped(k -> k == kind).stream()
                        .filter(o -> o.dependsOn().isEmpty())
                        .toList();
            case TABLE -> byDepth(dropped(k -> k == Kind.TABLE), from, true);
            case CONSTRAINT ->
                dropped(k -> k == Kind.CONSTRAINT).stream()
                        .sorted(Comparator.comparing(o -> !o.require("type").equals("foreign key")))
                        .toList();
            default -> dropped(k -> k == kind);
        };
    }

    private List<DbObject> dropped(Predicate<Kind> kinds) {
        return drop.keySet().stream()
                .map(k -> from.asMap().get(k))
                .filter(o -> kinds.test(o.kind()))
                .toList();
    }

    /** DETACH PARTITION and NO INHERIT of tables that stay, before columns and tables are dropped. */
    private void unlinkTables(List<Step> steps) {
        for (Change.Changed ch : alter.values()) {
            if (ch.kind() != Kind.TABLE) {
                continue;
            }
            DbObject a = ch.before();
            DbObject b = ch.after();
            Optional<String> parentA = a.get("partition of");
            if (parentA.isPresent()
                    && (!parentA.equals(b.get("partition of"))
                            || !a.get("partition bound").equals(b.get("partition bound")))) {
                steps.add(new Step("ALTER TABLE " + parentA.get() + " DETACH PARTITION " + a.name(), Optional.empty()));
            }
            for (String p : list(a.get("inherits"))) {
                if (!list(b.get("inherits")).contains(p)) {
                    steps.add(new Step("ALTER TABLE " + a.name() + " NO INHERIT " + p, Optional.empty()));
                }
            }
        }
    }

    /**
     * A column that only looks dropped or added because its table joins or leaves a parent (a partition's columns
     * and inherited ones are the parent's): attaching or detaching keeps it.
     */
    private boolean staysThroughInheritance(DbObject column) {
        String rel = column.relation().orElseThrow();
        String col = column.name().substring(rel.length() + 1);
        Optional<DbObject> tableTo = to.get(Kind.TABLE, rel);
        Optional<DbObject> tableFrom = from.get(Kind.TABLE, rel);
        if (tableTo.isEmpty() || tableFrom.isEmpty()) {
            return false;
        }
        Snapshot side = from.asMap().containsKey(column.key()) ? to : from;
        DbObject table = side == to ? tableTo.get() : tableFrom.get();
        List<String> parents = new ArrayList<>(list(table.get("inherits")));
        table.get("partition of").ifPresent(parents::add);
        for (String p : parents) {
            if (side.asMap().containsKey(DbObject.key(Kind.COLUMN, p + "." + col))) {
                return true;
            }
        }
        return false;
    }

    private String dropSql(DbObject o) {
        String rel = o.relation().orElse("");
        return switch (o.kind()) {
            case SCHEMA -> "DROP SCHEMA " + o.name();
            case EXTENSION -> "DROP EXTENSION " + o.name();
            case COLLATION -> "DROP COLLATION " + o.name();
            case ENUM, RANGE, COMPOSITE -> "DROP TYPE " + o.name();
            case DOMAIN -> "DROP DOMAIN " + o.name();
            // a sequence owned by a column goes with the column's table
            case SEQUENCE -> "DROP SEQUENCE IF EXISTS " + o.name();
            case TABLE -> "DROP TABLE " + o.name();
            case COLUMN -> "ALTER TABLE " + rel + " DROP COLUMN " + local(o);
            case CONSTRAINT -> "ALTER TABLE " + rel + " DROP CONSTRAINT " + local(o);
            case INDEX -> "DROP INDEX " + o.name();
            case VIEW -> "DROP VIEW " + o.name();
            case MATERIALIZED_VIEW -> "DROP MATERIALIZED VIEW " + o.name();
            case FUNCTION -> "DROP FUNCTION " + o.name();
            case PROCEDURE -> "DROP PROCEDURE " + o.name();
            case TRIGGER -> "DROP TRIGGER " + local(o) + " ON " + rel;
            case EVENT_TRIGGER -> "DROP EVENT TRIGGER " + o.name();
            case POLICY -> "DROP POLICY " + local(o) + " ON " + rel;
        };
    }

    // ---- creates and alters ------------------------------------------------------------------------------------

    private void createPhase(List<Step> steps) {
        for (Kind kind : List.of(
                Kind.SCHEMA,
                Kind.EXTENSION,
                Kind.COLLATION,
                Kind.ENUM,
                Kind.RANGE,
                Kind.DOMAIN,
                Kind.COMPOSITE,
                Kind.FUNCTION,
                Kind.PROCEDURE,
                Kind.SEQUENCE)) {
            createOrAlter(steps, kind, o -> o.dependsOn().isEmpty());
        }
        domainConstraints(steps);
        for (DbObject t : byDepth(created(k -> k == Kind.TABLE), to, false)) {
            steps.add(new Step(createTable(t), why(create.get(t.key()))));
            tableFlags(steps, t.name(), Optional.empty(), t);
        }
        for (Change.Changed ch : alters(Kind.TABLE)) {
            alterTable(steps, ch);
        }
        for (Change c : changes) {
            if (c.kind() != Kind.COLUMN) {
                continue;
            }
            String rel = c.object().relation().orElseThrow();
            if (created(Kind.TABLE, rel)) {
                continue; // created with its table
            }
            if (c instanceof Change.Added a
                    && create.containsKey(a.object().key())
                    && !staysThroughInheritance(a.object())) {
                steps.add(new Step("ALTER TABLE " + rel + " ADD COLUMN " + columnDef(a.object()), Optional.empty()));
            } else if (c instanceof Change.Changed ch
                    && alter.containsKey(ch.after().key())) {
                alterColumn(steps, ch);
            } else if (c instanceof Change.Changed ch
                    && create.containsKey(ch.after().key())) {
                steps.add(new Step(
                        "ALTER TABLE " + rel + " ADD COLUMN " + columnDef(ch.after()),
                        why(create.get(ch.after().key()))));
            }
        }
        linkTables(steps);
        for (DbObject s : created(k -> k == Kind.SEQUENCE)) {
            s.get("owned by")
                    .ifPresent(col ->
                            steps.add(new Step("ALTER SEQUENCE " + s.name() + " OWNED BY " + col, Optional.empty())));
        }
        for (Change.Changed ch : alters(Kind.SEQUENCE)) {
            if (ch.properties().contains("owned by")) {
                steps.add(new Step(
                        "ALTER SEQUENCE " + ch.after().name() + " OWNED BY "
                                + ch.after().get("owned by").orElse("NONE"),
                        Optional.empty()));
            }
        }
        createOrAlter(
                steps,
                Kind.INDEX,
                o -> to.get(Kind.MATERIALIZED_VIEW, o.relation().orElseThrow()).isEmpty());
        for (DbObject k : created(kind -> kind == Kind.CONSTRAINT).stream()
                .sorted(Comparator.comparing(o -> o.require("type").equals("foreign key")))
                .toList()) {
            steps.add(new Step(createSql(k), why(create.get(k.key()))));
        }
        for (Change.Changed ch : alters(Kind.CONSTRAINT)) {
            if (validatesOnly(ch.before(), ch.after())) {
                steps.add(new Step(
                        "ALTER TABLE " + ch.after().relation().orElseThrow() + " VALIDATE CONSTRAINT "
                                + local(ch.after()),
                        Optional.empty()));
            }
        }
        for (DbObject v : byDepth(created(k -> k == Kind.VIEW || k == Kind.MATERIALIZED_VIEW), to, false)) {
            steps.add(new Step(createSql(v), why(create.get(v.key()))));
        }
        createOrAlter(
                steps,
                Kind.INDEX,
                o -> to.get(Kind.MATERIALIZED_VIEW, o.relation().orElseThrow()).isPresent());
        for (Kind kind : List.of(Kind.FUNCTION, Kind.PROCEDURE)) {
            createOrAlter(steps, kind, o -> !o.dependsOn().isEmpty());
        }
        for (Kind kind : List.of(Kind.TRIGGER, Kind.EVENT_TRIGGER, Kind.POLICY)) {
            createOrAlter(steps, kind, o -> true);
        }
    }

    /** Creates and alters of {@code kind}'s objects that {@code which} selects (by their TO side). */
    private void createOrAlter(List<Step> steps, Kind kind, Predicate<DbObject> which) {
        for (DbObject o : created(k -> k == kind).stream().filter(which).toList()) {
            steps.add(new Step(createSql(o), why(create.get(o.key()))));
            if ((kind == Kind.TRIGGER || kind == Kind.EVENT_TRIGGER)
                    && !o.require("enabled").equals("origin")) {
                steps.add(new Step(enableSql(o), Optional.empty()));
            }
        }
        for (Change.Changed ch : alters(kind)) {
            if (which.test(ch.after())) {
                alterInPlace(steps, ch);
            }
        }
    }

    private static boolean readsRelations(DbObject o) {
        return switch (o.kind()) {
            case VIEW, MATERIALIZED_VIEW, FUNCTION, PROCEDURE -> !o.dependsOn().isEmpty();
            default -> false;
        };
    }

    private List<DbObject> created(Predicate<Kind> kinds) {
        return create.keySet().stream()
                .map(k -> to.asMap().get(k))
                .filter(o -> kinds.test(o.kind()))
                .toList();
    }

    private boolean created(Kind kind, String name) {
        return create.containsKey(DbObject.key(kind, name));
    }

    private List<Change.Changed> alters(Kind kind) {
        return alter.values().stream().filter(c -> c.kind() == kind).toList();
    }

    private String createSql(DbObject o) {
        String rel = o.relation().orElse("");
        return switch (o.kind()) {
            case SCHEMA -> "CREATE SCHEMA " + o.name();
            case EXTENSION ->
                "CREATE EXTENSION " + o.name() + " WITH SCHEMA " + o.require("schema") + " VERSION "
                        + Sql.literal(o.require("version"));
            case COLLATION -> "CREATE COLLATION " + o.name() + " (" + collationOptions(o) + ")";
            case ENUM -> "CREATE TYPE " + o.name() + " AS ENUM (" + o.require("values") + ")";
            case RANGE ->
                "CREATE TYPE " + o.name() + " AS RANGE (subtype = " + o.require("subtype")
                        + o.get("subtype_diff")
                                .map(d -> ", subtype_diff = " + d)
                                .orElse("")
                        + o.get("collation").map(c -> ", collation = " + c).orElse("") + ")";
            case DOMAIN ->
                "CREATE DOMAIN " + o.name() + " AS " + o.require("type")
                        + o.get("collation").map(c -> " COLLATE " + c).orElse("")
                        + o.get("default").map(d -> " DEFAULT " + d).orElse("")
                        + (o.require("not null").equals("true") ? " NOT NULL" : "");
            case COMPOSITE -> "CREATE TYPE " + o.name() + " AS (" + o.require("attributes") + ")";
            case SEQUENCE -> "CREATE SEQUENCE " + o.name() + sequenceOptions(o);
            case TABLE -> createTable(o);
            case COLUMN -> "ALTER TABLE " + rel + " ADD COLUMN " + columnDef(o);
            case CONSTRAINT -> "ALTER TABLE " + rel + " ADD CONSTRAINT " + local(o) + " " + o.require("definition");
            case INDEX, FUNCTION, PROCEDURE, TRIGGER -> o.require("definition");
            case VIEW ->
                "CREATE VIEW " + o.name()
                        + o.get("options").map(x -> " WITH (" + x + ")").orElse("") + " AS\n" + o.require("definition");
            case MATERIALIZED_VIEW ->
                "CREATE MATERIALIZED VIEW " + o.name()
                        + o.get("options").map(x -> " WITH (" + x + ")").orElse("") + " AS\n" + o.require("definition");
            case EVENT_TRIGGER ->
                "CREATE EVENT TRIGGER " + o.name() + " ON " + o.require("event")
                        + o.get("tags").map(t -> " WHEN TAG IN (" + t + ")").orElse("") + " EXECUTE FUNCTION "
                        + o.require("function") + "()";
            case POLICY ->
                "CREATE POLICY " + local(o) + " ON " + rel + " AS "
                        + (o.require("permissive").equals("true") ? "PERMISSIVE" : "RESTRICTIVE") + " FOR "
                        + o.require("command") + " TO " + o.require("roles")
                        + o.get("using").map(u -> " USING (" + u + ")").orElse("")
                        + o.get("with check")
                                .map(w -> " WITH CHECK (" + w + ")")
                                .orElse("");
        };
    }

    private static String collationOptions(DbObject o) {
        List<String> opts = new ArrayList<>();
        opts.add("provider = " + o.require("provider"));
        o.get("locale").ifPresent(l -> opts.add("locale = " + Sql.literal(l)));
        o.get("lc_collate").ifPresent(l -> opts.add("lc_collate = " + Sql.literal(l)));
        o.get("lc_ctype").ifPresent(l -> opts.add("lc_ctype = " + Sql.literal(l)));
        if (o.require("deterministic").equals("false")) {
            opts.add("deterministic = false");
        }
        return String.join(", ", opts);
    }

    private static String sequenceOptions(DbObject o) {
        return " AS " + o.require("type") + " INCREMENT BY " + o.require("increment") + " MINVALUE "
                + o.require("minvalue") + " MAXVALUE " + o.require("maxvalue") + " START WITH " + o.require("start")
                + " CACHE " + o.require("cache") + (o.require("cycle").equals("true") ? " CYCLE" : " NO CYCLE");
    }

    private String createTable(DbObject t) {
        StringBuilder sql = new StringBuilder("CREATE ");
        if (t.require("unlogged").equals("true")) {
            sql.append("UNLOGGED ");
        }
        sql.append("TABLE ").append(t.name());
        Optional<String> parent = t.get("partition of");
        if (parent.isPresent()) {
            sql.append(" PARTITION OF ").append(parent.get()).append(' ').append(t.require("partition bound"));
        } else {
            List<DbObject> columns = to.partsOf(t.name()).stream()
                    .filter(o -> o.kind() == Kind.COLUMN)
                    .sorted(Comparator.comparingInt(
                            o -> Integer.parseInt(o.parts().getFirst())))
                    .toList();
            sql.append(" (");
            List<String> parents = list(t.get("inherits"));
            for (int i = 0; i < columns.size(); i++) {
                DbObject c = columns.get(i);
                // a column merged with a parent's generated column takes the parent's generation expression
                boolean inherited = parents.stream()
                        .map(p -> to.asMap().get(DbObject.key(Kind.COLUMN, p + "." + local(c))))
                        .anyMatch(pc -> pc != null && pc.get("generated").isPresent());
                sql.append(i == 0 ? "\n    " : ",\n    ").append(columnDef(c, !inherited));
            }
            sql.append(columns.isEmpty() ? ")" : "\n)");
            t.get("inherits").ifPresent(p -> sql.append(" INHERITS (").append(p).append(')'));
        }
        t.get("partition key").ifPresent(k -> sql.append(" PARTITION BY ").append(k));
        t.get("storage parameters")
                .ifPresent(s -> sql.append(" WITH (").append(s).append(')'));
        return sql.toString();
    }

    private static String columnDef(DbObject c) {
        return columnDef(c, true);
    }

    private static String columnDef(DbObject c, boolean generated) {
        StringBuilder def = new StringBuilder(local(c)).append(' ').append(c.require("type"));
        c.get("collation").ifPresent(x -> def.append(" COLLATE ").append(x));
        c.get("default").ifPresent(x -> def.append(" DEFAULT ").append(x));
        c.get("generated")
                .filter(x -> generated)
                .ifPresent(x -> def.append(" GENERATED ALWAYS AS (").append(x).append(") STORED"));
        c.get("identity")
                .ifPresent(x -> def.append(" GENERATED ").append(identity(x)).append(" AS IDENTITY"));
        if (c.require("not null").equals("true")) {
            def.append(" NOT NULL");
        }
        return def.toString();
    }

    private static String identity(String value) {
        return value.equals("always") ? "ALWAYS" : "BY DEFAULT";
    }

    /** Row-level security flags of a table, after it is created (or altered: {@code before} present). */
    private static void tableFlags(List<Step> steps, String name, Optional<DbObject> before, DbObject after) {
        boolean rlsBefore =
                before.map(b -> b.require("row level security").equals("true")).orElse(false);
        boolean rls = after.require("row level security").equals("true");
        if (rls != rlsBefore) {
            steps.add(new Step(
                    "ALTER TABLE " + name + (rls ? " ENABLE" : " DISABLE") + " ROW LEVEL SECURITY", Optional.empty()));
        }
        boolean forceBefore = before.map(
                        b -> b.require("force row level security").equals("true"))
                .orElse(false);
        boolean force = after.require("force row level security").equals("true");
        if (force != forceBefore) {
            steps.add(new Step(
                    "ALTER TABLE " + name + (force ? " FORCE" : " NO FORCE") + " ROW LEVEL SECURITY",
                    Optional.empty()));
        }
    }

    private void alterTable(List<Step> steps, Change.Changed ch) {
        DbObject a = ch.before();
        DbObject b = ch.after();
        String t = b.name();
        if (!a.require("unlogged").equals(b.require("unlogged"))) {
            steps.add(new Step(
                    "ALTER TABLE " + t + (b.require("unlogged").equals("true") ? " SET UNLOGGED" : " SET LOGGED"),
                    Optional.empty()));
        }
        if (!a.get("storage parameters").equals(b.get("storage parameters"))) {
            a.get("storage parameters")
                    .ifPresent(p -> steps.add(new Step(
                            "ALTER TABLE " + t + " RESET ("
                                    + String.join(
                                            ", ",
                                            list(Optional.of(p)).stream()
                                                    .map(kv -> kv.split("=", 2)[0])
                                                    .toList())
                                    + ")",
                            Optional.empty())));
            b.get("storage parameters")
                    .ifPresent(p -> steps.add(new Step("ALTER TABLE " + t + " SET (" + p + ")", Optional.empty())));
        }
        tableFlags(steps, t, Optional.of(a), b);
    }

    /** ATTACH PARTITION and INHERIT of tables that stay, after their columns are in place. */
    private void linkTables(List<Step> steps) {
        for (Change.Changed ch : alters(Kind.TABLE)) {
            DbObject a = ch.before();
            DbObject b = ch.after();
            Optional<String> parentB = b.get("partition of");
            if (parentB.isPresent()
                    && (!parentB.equals(a.get("partition of"))
                            || !a.get("partition bound").equals(b.get("partition bound")))) {
                steps.add(new Step(
                        "ALTER TABLE " + parentB.get() + " ATTACH PARTITION " + b.name() + " "
                                + b.require("partition bound"),
                        Optional.empty()));
            }
            for (String p : list(b.get("inherits"))) {
                if (!list(a.get("inherits")).contains(p)) {
                    steps.add(new Step("ALTER TABLE " + b.name() + " INHERIT " + p, Optional.empty()));
                }
            }
        }
    }

    private void alterColumn(List<Step> steps, Change.Changed ch) {
        DbObject a = ch.before();
        DbObject b = ch.after();
        String prefix = "ALTER TABLE " + b.relation().orElseThrow() + " ALTER COLUMN " + local(b);
        Optional<String> identityA = a.get("identity");
        Optional<String> identityB = b.get("identity");
        if (identityA.isPresent() && identityB.isEmpty()) {
            steps.add(new Step(prefix + " DROP IDENTITY", Optional.empty()));
        }
        Optional<String> defaultNow = a.get("default");
        if (ch.properties().contains("type") || ch.properties().contains("collation")) {
            if (defaultNow.isPresent()) {
                steps.add(new Step(prefix + " DROP DEFAULT", Optional.empty()));
                defaultNow = Optional.empty();
            }
            String type = b.require("type");
            steps.add(new Step(
                    prefix + " TYPE " + type
                            + b.get("collation").map(c -> " COLLATE " + c).orElse("") + " USING " + local(b) + "::"
                            + type,
                    Optional.empty()));
        }
        if (!defaultNow.equals(b.get("default"))) {
            steps.add(new Step(
                    prefix + b.get("default").map(d -> " SET DEFAULT " + d).orElse(" DROP DEFAULT"), Optional.empty()));
        }
        if (!a.require("not null").equals(b.require("not null")) && !(identityB.isPresent() && identityA.isEmpty())) {
            steps.add(new Step(
                    prefix + (b.require("not null").equals("true") ? " SET NOT NULL" : " DROP NOT NULL"),
                    Optional.empty()));
        }
        if (identityB.isPresent() && identityA.isEmpty()) {
            if (a.require("not null").equals("false")) {
                steps.add(new Step(prefix + " SET NOT NULL", Optional.empty()));
            }
            steps.add(new Step(
                    prefix + " ADD GENERATED " + identity(identityB.get()) + " AS IDENTITY", Optional.empty()));
        } else if (identityB.isPresent() && !identityB.equals(identityA)) {
            steps.add(new Step(prefix + " SET GENERATED " + identity(identityB.get()), Optional.empty()));
        }
        if (ch.properties().contains("position")) {
            steps.add(new Step(
                    "-- " + b.name() + " is column " + b.require("position") + " in TO, " + a.require("position")
                            + " in FROM: PostgreSQL cannot move a column in place",
                    Optional.empty()));
        }
    }

    /** Alters of kinds other than tables and columns. */
    private void alterInPlace(List<Step> steps, Change.Changed ch) {
        DbObject a = ch.before();
        DbObject b = ch.after();
        List<String> props = ch.properties();
        switch (b.kind()) {
            case EXTENSION -> {
                if (props.contains("schema")) {
                    steps.add(new Step(
                            "ALTER EXTENSION " + b.name() + " SET SCHEMA " + b.require("schema"), Optional.empty()));
                }
                if (props.contains("version")) {
                    steps.add(new Step(
                            "ALTER EXTENSION " + b.name() + " UPDATE TO " + Sql.literal(b.require("version")),
                            Optional.empty()));
                }
            }
            case ENUM -> {
                List<String> now = new ArrayList<>(a.parts());
                List<String> want = b.parts();
                for (int i = 0; i < want.size(); i++) {
                    String label = want.get(i);
                    if (now.contains(label)) {
                        continue;
                    }
                    String where;
                    Optional<String> next = want.subList(i + 1, want.size()).stream()
                            .filter(now::contains)
                            .findFirst();
                    if (next.isPresent()) {
                        where = " BEFORE " + Sql.literal(next.get());
                        now.add(now.indexOf(next.get()), label);
                    } else {
                        where = now.isEmpty() ? "" : " AFTER " + Sql.literal(now.getLast());
                        now.add(label);
                    }
                    steps.add(new Step(
                            "ALTER TYPE " + b.name() + " ADD VALUE " + Sql.literal(label) + where, Optional.empty()));
                }
            }
            case DOMAIN -> {
                if (props.contains("default")) {
                    steps.add(new Step(
                            "ALTER DOMAIN " + b.name()
                                    + b.get("default")
                                            .map(d -> " SET DEFAULT " + d)
                                            .orElse(" DROP DEFAULT"),
                            Optional.empty()));
                }
                if (props.contains("not null")) {
                    steps.add(new Step(
                            "ALTER DOMAIN " + b.name()
                                    + (b.require("not null").equals("true") ? " SET NOT NULL" : " DROP NOT NULL"),
                            Optional.empty()));
                }
            }
            case COMPOSITE -> {
                Map<String, String> before = namedParts(a);
                Map<String, String> after = namedParts(b);
                before.forEach((name, type) -> {
                    if (!after.containsKey(name)) {
                        steps.add(new Step("ALTER TYPE " + b.name() + " DROP ATTRIBUTE " + name, Optional.empty()));
                    } else if (!after.get(name).equals(type)) {
                        steps.add(new Step(
                                "ALTER TYPE " + b.name() + " ALTER ATTRIBUTE " + name + " TYPE " + after.get(name),
                                Optional.empty()));
                    }
                });
                after.forEach((name, type) -> {
                    if (!before.containsKey(name)) {
                        steps.add(new Step(
                                "ALTER TYPE " + b.name() + " ADD ATTRIBUTE " + name + " " + type, Optional.empty()));
                    }
                });
            }
            case SEQUENCE -> {
                if (props.stream().anyMatch(p -> !META.contains(p) && !p.equals("owned by"))) {
                    steps.add(new Step("ALTER SEQUENCE " + b.name() + sequenceOptions(b), Optional.empty()));
                }
            }
            case FUNCTION, PROCEDURE -> {
                if (props.contains("definition")) {
                    steps.add(new Step(b.require("definition"), Optional.empty()));
                }
            }
            case TRIGGER, EVENT_TRIGGER -> {
                if (props.contains("enabled")) {
                    steps.add(new Step(enableSql(b), Optional.empty()));
                }
            }
            default -> {
                // SCHEMA, and kinds that are recreated when more than their owner, privileges or comment changed
            }
        }
    }

    /**
     * A domain's CHECK constraints, after the routines (a check may call one, and a routine may take the domain):
     * every constraint of a created domain, and those that differ on a changed one.
     */
    private void domainConstraints(List<Step> steps) {
        for (DbObject d : created(k -> k == Kind.DOMAIN)) {
            namedParts(d)
                    .forEach((name, def) -> steps.add(new Step(
                            "ALTER DOMAIN " + d.name() + " ADD CONSTRAINT " + name + " " + def, Optional.empty())));
        }
        for (Change.Changed ch : alters(Kind.DOMAIN)) {
            Map<String, String> before = namedParts(ch.before());
            Map<String, String> after = namedParts(ch.after());
            String domain = ch.after().name();
            before.forEach((name, def) -> {
                if (!def.equals(after.get(name))) {
                    steps.add(new Step("ALTER DOMAIN " + domain + " DROP CONSTRAINT " + name, Optional.empty()));
                }
            });
            after.forEach((name, def) -> {
                if (!def.equals(before.get(name))) {
                    steps.add(new Step(
                            "ALTER DOMAIN " + domain + " ADD CONSTRAINT " + name + " " + def, Optional.empty()));
                }
            });
        }
    }

    private static String enableSql(DbObject o) {
        String how = switch (o.require("enabled")) {
            case "disabled" -> "DISABLE";
            case "replica" -> "ENABLE REPLICA";
            case "always" -> "ENABLE ALWAYS";
            default -> "ENABLE";
        };
        return o.kind() == Kind.TRIGGER
                ? "ALTER TABLE " + o.relation().orElseThrow() + " " + how + " TRIGGER " + local(o)
                : "ALTER EVENT TRIGGER " + o.name() + " " + how;
    }

    private static Map<String, String> namedParts(DbObject o) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String p : o.parts()) {
            String[] kv = p.split("\t", 2);
            out.put(kv[0], kv[1]);
        }
        return out;
    }

    // ---- owners, comments, privileges --------------------------------------------------------------------------

    private void metaPhase(List<Step> steps) {
        for (Change c : changes) {
            DbObject b = c.object();
            if (c instanceof Change.Removed) {
                continue;
            }
            boolean fresh = create.containsKey(b.key());
            Optional<DbObject> a = c instanceof Change.Changed ch ? Optional.of(ch.before()) : Optional.empty();
            Optional<String> ownerWord = ownerTarget(b);
            if (ownerWord.isPresent()
                    && b.get("owner").isPresent()
                    && (fresh || !b.get("owner").equals(a.flatMap(x -> x.get("owner"))))) {
                steps.add(new Step("ALTER " + ownerWord.get() + " OWNER TO " + b.require("owner"), Optional.empty()));
            }
            Optional<String> commentBefore = fresh ? Optional.empty() : a.flatMap(x -> x.get("comment"));
            if (!b.get("comment").equals(commentBefore) && (b.get("comment").isPresent() || a.isPresent())) {
                steps.add(new Step(
                        "COMMENT ON " + commentTarget(b) + " IS "
                                + Sql.literal(b.get("comment").orElse(null)),
                        Optional.empty()));
            }
            if (!b.get("privileges").equals(a.flatMap(x -> x.get("privileges")))
                    && b.get("privileges").isPresent()) {
                steps.add(new Step(
                        "-- privileges of " + b.kind().label + " " + b.name() + " are " + b.require("privileges")
                                + " in TO: not generated, grant them by hand",
                        Optional.empty()));
            }
        }
    }

    private static Optional<String> ownerTarget(DbObject o) {
        return Optional.ofNullable(
                switch (o.kind()) {
                    case SCHEMA -> "SCHEMA " + o.name();
                    case COLLATION -> "COLLATION " + o.name();
                    case ENUM, RANGE, COMPOSITE -> "TYPE " + o.name();
                    case DOMAIN -> "DOMAIN " + o.name();
                    case SEQUENCE -> "SEQUENCE " + o.name();
                    case TABLE -> "TABLE " + o.name();
                    case VIEW -> "VIEW " + o.name();
                    case MATERIALIZED_VIEW -> "MATERIALIZED VIEW " + o.name();
                    case FUNCTION -> "FUNCTION " + o.name();
                    case PROCEDURE -> "PROCEDURE " + o.name();
                    case EVENT_TRIGGER -> "EVENT TRIGGER " + o.name();
                    case EXTENSION, COLUMN, CONSTRAINT, INDEX, TRIGGER, POLICY -> null;
                });
    }

    private static String commentTarget(DbObject o) {
        String rel = o.relation().orElse("");
        return switch (o.kind()) {
            case SCHEMA -> "SCHEMA " + o.name();
            case EXTENSION -> "EXTENSION " + o.name();
            case COLLATION -> "COLLATION " + o.name();
            case ENUM, RANGE, COMPOSITE -> "TYPE " + o.name();
            case DOMAIN -> "DOMAIN " + o.name();
            case SEQUENCE -> "SEQUENCE " + o.name();
            case TABLE -> "TABLE " + o.name();
            case COLUMN -> "COLUMN " + o.name();
            case CONSTRAINT -> "CONSTRAINT " + local(o) + " ON " + rel;
            case INDEX -> "INDEX " + o.name();
            case VIEW -> "VIEW " + o.name();
            case MATERIALIZED_VIEW -> "MATERIALIZED VIEW " + o.name();
            case FUNCTION -> "FUNCTION " + o.name();
            case PROCEDURE -> "PROCEDURE " + o.name();
            case TRIGGER -> "TRIGGER " + local(o) + " ON " + rel;
            case EVENT_TRIGGER -> "EVENT TRIGGER " + o.name();
            case POLICY -> "POLICY " + local(o) + " ON " + rel;
        };
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /** The name of a column, constraint, trigger or policy within its relation. */
    private static String local(DbObject o) {
        String rel = o.relation().orElseThrow();
        return o.name().substring(rel.length() + 1);
    }

    private static Optional<String> why(String reason) {
        return reason == null || reason.isEmpty() ? Optional.empty() : Optional.of(reason);
    }

    private static List<String> list(Optional<String> commaSeparated) {
        return commaSeparated.map(s -> Arrays.asList(s.split(", ", -1))).orElse(List.of());
    }

    /**
     * Tables by their depth below parents (partitions and children after their parents), views by their depth
     * above the views they read; {@code reverse} for drops.
     */
    private static List<DbObject> byDepth(List<DbObject> objects, Snapshot side, boolean reverse) {
        Map<String, Integer> depth = new HashMap<>();
        Comparator<DbObject> order = Comparator.comparingInt(o -> depth(o, side, depth, 0));
        List<DbObject> sorted = new ArrayList<>(objects);
        sorted.sort(reverse ? order.reversed() : order);
        return sorted;
    }

    private static int depth(DbObject o, Snapshot side, Map<String, Integer> memo, int guard) {
        Integer known = memo.get(o.key());
        if (known != null) {
            return known;
        }
        if (guard > 100) {
            return 0;
        }
        List<String> above = new ArrayList<>();
        if (o.kind() == Kind.TABLE) {
            o.get("partition of").ifPresent(p -> above.add(DbObject.key(Kind.TABLE, p)));
            list(o.get("inherits")).forEach(p -> above.add(DbObject.key(Kind.TABLE, p)));
        } else {
            above.addAll(o.dependsOn());
        }
        int d = 0;
        for (String key : above) {
            DbObject parent = side.asMap().get(key);
            if (parent != null
                    && (parent.kind() == o.kind()
                            || parent.kind() == Kind.VIEW
                            || parent.kind() == Kind.MATERIALIZED_VIEW)) {
                d = Math.max(d, 1 + depth(parent, side, memo, guard + 1));
            }
        }
        memo.put(o.key(), d);
        return d;
    }
}
