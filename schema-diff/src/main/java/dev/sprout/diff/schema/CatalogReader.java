package dev.sprout.diff.schema;

import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a {@link Snapshot} of one database from its catalogs, with PostgreSQL's own {@code pg_get_*def} functions
 * for definitions, so that two sides compare as PostgreSQL normalizes them (not as they were typed). Leaves out
 * the system schemas, temporary and TOAST schemas, and every object that belongs to an extension (the extension
 * itself stands for them). All reads run in one {@code REPEATABLE READ} read-only transaction, so the snapshot is
 * of one moment.
 *
 * <p>Written for PostgreSQL 15 (what Sprout's computes run); catalog columns that differ between versions are read
 * through {@code to_jsonb} so that an older or newer server is read as far as it goes.
 *
 * <p>Thread-safe (immutable): reads on different connections may run at once; one read at a time per connection.
 */
public final class CatalogReader {
    private static final Gson GSON = new Gson();
    private static final String SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema')"
            + " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

    private final Set<Include> include;

    public CatalogReader(Set<Include> include) {
        this.include = Set.copyOf(include);
    }

    /** Not a member of an extension: {@code catalog} is the object's system catalog, {@code oid} its oid column. */
    private static String own(String catalog, String oid) {
        return "NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = '" + catalog + "'::regclass AND x.objid = "
                + oid + " AND x.deptype = 'e')";
    }

    public Snapshot read(Connection c) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
            Snapshot s = read(st);
            c.commit();
            return s;
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    /**
     * Reads the catalogs inside the transaction {@code c} is in, leaving it open: what it has changed and not
     * committed is seen (the migration check compares a migration's second run this way, then rolls it back).
     */
    public Snapshot readInTransaction(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            return read(st);
        }
    }

    private Snapshot read(Statement st) throws SQLException {
        String database = one(st, "SELECT current_database()");
        String version = one(st, "SELECT current_setting('server_version')");
        List<DbObject> out = new ArrayList<>();
        schemas(st, out);
        extensions(st, out);
        collations(st, out);
        enums(st, out);
        ranges(st, out);
        domains(st, out);
        composites(st, out);
        sequences(st, out);
        tables(st, out);
        columns(st, out);
        constraints(st, out);
        indexes(st, out);
        views(st, out);
        functions(st, out);
        triggers(st, out);
        eventTriggers(st, out);
        policies(st, out);
        return Snapshot.of(database, version, out);
    }

    // ---- one method per kind ---------------------------------------------------------------------------------

    private void schemas(Statement st, List<DbObject> out) throws SQLException {
        query(
                st,
                "SELECT format('%I', n.nspname) AS name, pg_get_userbyid(n.nspowner) AS owner, n.nspacl::text AS acl,"
                        + " obj_description(n.oid, 'pg_namespace') AS comment FROM pg_namespace n WHERE " + SCHEMAS
                        + " AND " + own("pg_namespace", "n.oid"),
                rs -> {
                    Map<String, String> p = new LinkedHashMap<>();
                    common(rs, p);
                    out.add(object(Kind.SCHEMA, rs.getString("name"), null, p));
                });
    }

    private void extensions(Statement st, List<DbObject> out) throws SQLException {
        query(
                st,
                "SELECT format('%I', e.extname) AS name, e.extversion, format('%I', n.nspname) AS schema,"
                        + " obj_description(e.oid, 'pg_extension') AS comment"
                        + " FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace",
                rs -> {
                    Map<String, String> p = new LinkedHashMap<>();
                    p.put("version", rs.getString("extversion"));
                    p.put("schema", rs.getString("schema"));
                    comment(rs, p);
                    out.add(object(Kind.EXTENSION, rs.getString("name"), null, p));
                });
    }

    private void collations(Statement st, List<DbObject> out) throws SQLException {
        query(
                st,
                "SELECT format('%I.%I', n.nspname, c.collname) AS name, c.collprovider, c.collisdeterministic,"
                        + " c.collcollate, c.collctype, to_jsonb(c) ->> 'colliculocale' AS icu,"
                        + " pg_get_userbyid(c.collowner) AS owner, NULL AS acl, obj_description(c.oid, 'pg_collation') AS comment"
                        + " FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace WHERE " + SCHEMAS
                        + " AND "
                        + own("pg_collation", "c.oid"),
                rs -> {
                    Map<String, String> p = new LinkedHashMap<>();
                    String provider = rs.getString("collprovider");
                    p.put(
                            "provider",
                            switch (provider) {
                                case "i" -> "icu";
                                case "c" -> "libc";
                                default -> "default";
                            });
                    if (provider.equals("i")) {
                        p.put("locale", rs.getString("icu"));
                    } else {
                        p.put("lc_collate", rs.getString("collcollate"));
                        p.put("lc_ctype", rs.getString("collctype"));
                    }
                    p.put("deterministic", Boolean.toString(rs.getBoolean("collisdeterministic")));
                    common(rs, p);
                    out.add(object(Kind.COLLATION, rs.getString("name"), null, p));
                });
    }

    private static final String TYPES = " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE " + SCHEMAS
            + " AND " + own("pg_type", "t.oid");
    private static final String TYPE_COMMON = ", pg_get_userbyid(t.typowner) AS owner, t.typacl::text AS acl,"
            + " obj_description(t.oid, 'pg_type') AS comment";

    private void enums(Statement st, List<DbObject> out) throws SQLException {
        query(
                st,
                "SELECT format('%I.%I', n.nspname, t.typname) AS name, (SELECT json_agg(e.enumlabel ORDER BY"
                        + " e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)::text AS labels" + TYPE_COMMON
                        + TYPES
                        + " AND t.typtype = 'e'",
                rs -> {
                    List<String> labels = strings(rs.getString("labels"));
                    Map<String, String> p = new LinkedHashMap<>();
                    p.put(
                            "values",
                            String.join(", ", labels.stream().map(Sql::literal).toList()));
                    common(rs, p);
                    out.add(new DbObject(Kind.ENUM, rs.getString("name"), Optional.empty(), p, labels, List.of()));
                });
    }

    private void ranges(Statement st, List<DbObject> out) throws SQLException {
        query(
                st,
                "SELECT format('%I.%I', n.nspname, t.typname) AS name, format_type(r.rngsubtype, NULL) AS subtype,"
                        + " CASE WHEN r.rngsubdiff <> 0 THEN r.rngsubdiff::regproc::text END AS subdiff,"
                        + " CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation THEN (SELECT format('%I.%I',"
                        + " cn.nspname, co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace"
                        + " WHERE co.oid = r.rngcollation) END AS collation" + TYPE_COMMON
                        + " FROM pg_range r JOIN pg_type t ON t.oid = r.rngtypid JOIN pg_type st ON st.oid = r.rngsubtype"
                        + " JOIN pg_namespace n ON n.oid = t.typnamespace WHERE " + SCHEMAS + " AND "
                        + own("pg_type", "t.oid"),
                rs -> {
                    Map<String, String> p = new LinkedHashMap<>();
                    p.put("subtype", rs.getString("subtype"));
                    put(p, "subtype_diff", rs.getString("subdiff"));
                    put(p, "collation", rs.getString("collation"));
                    common(rs, p);
                    out.add(object(Kind.RANGE, rs.getString("name"), null, p));
                });
    }

    private void domains(Statement st, List<DbObject> out) throws SQLException {
        query(
                st,
                "SELECT format('%I.%I', n.nspname, t.typname) AS name, format_type(t.typbasetype, t.typtypmod) AS"
                        + " base, t.typnotnull, t.typdefault, CASE WHEN t.typcollation <> bt.typcollation THEN (SELECT"
                        + " format('%I.%I', cn.nspname, co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid ="
                        + " co.collnamespace WHERE co.oid = t.typcollation) END AS collation, (SELECT json_agg(json_build_array("
                        + "format('%I', k.conname), pg_get_constraintdef(k.oid)) ORDER BY k.conname) FROM pg_constraint k WHERE"
                        + " k.contypid = t.oid)::text AS checks" + TYPE_COMMON
                        + " FROM pg_type t JOIN pg_type bt ON bt.oid = t.typbasetype JOIN pg_namespace n ON n.oid ="
                        + " t.typnamespace WHERE t.typtype = 'd' AND " + SCHEMAS + " AND " + own("pg_type", "t.oid"),
                rs -> {
                    Map<String, String> p = new LinkedHashMap<>();
                    p.put("type", rs.getString("base"));
                    put(p, "collation", rs.getString("collation"));
                    put(p, "default", rs.getString("typdefault"));
                    p.put("not null", Boolean.toString(rs.getBoolean("typnotnull")));
                    List<String> parts = new ArrayList<>();
                    for (List<String> pair : pairs(rs.getString("checks"))) {
                        parts.add(pair.get(0) + "\t" + pair.get(1));
                    }
                    if (!parts.isEmpty()) {
                        p.put(
                                "constraints",
                                String.join(
                                        "; ",
                                        parts.stream()
                                                .map(s -> s.replace("\t", " "))
                                                .toList()));
                    }
                    common(rs, p);
                    out.add(new DbObject(Kind.DOMAIN, rs.getString("name"), Optional.empty(), p, parts, List.of()));
                });
    }

    private void composites(Statement st, List<DbObject> out) throws SQLException {
        query(
                st,
                "SELECT format('%I.%I', n.nspname, t.typname) AS name, (SELECT json_agg(json_build_array(format('%I',"
                        + " a.attname), format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum) FROM pg_attribute a WHERE"
                        + " a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)::text AS attrs"
                        + TYPE_COMMON
                        + " FROM pg_type t JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c' JOIN pg_namespace n ON"
                        + " n.oid = t.typnamespace WHERE " + SCHEMAS + " AND " + own("pg_type", "t.oid"),
                rs -> {
                    List<String> parts = new ArrayList<>();
                    for (List<String> pair : pairs(rs.getString("attrs"))) {
                        parts.add(pair.get(0) + "\t" + pair.get(1));
                    }
                    Map<String, String> p = new LinkedHashMap<>();
                    p.put(
                            "attributes",
                            String.join(
                                    ", ",
                                    parts.stream()
                                            .map(s -> s.replace("\t", " "))
                                            .toList()));
                    common(rs, p);
                    out.add(new DbObject(Kind.COMPOSITE, rs.getString("name"), Optional.empty(), p, parts, List.of()));
                });
    }

    private void sequences(Statement st, List<DbObject> out) throws SQLException {
        query(
                st,
                "SELECT format('%I.%I', n.nspname, c.relname) AS name, format_type(s.seqtypid, NULL) AS type,"
                        + " s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle, (SELECT format('%I.%I.%I',"
                        + " tn.nspname, tc.relname, a.attname) FROM pg_depend d JOIN pg_class tc ON tc.oid = d.refobjid JOIN"
                        + " pg_namespace tn ON tn.oid = tc.relnamespace JOIN pg_attribute a ON a.attrelid = d.refobjid AND"
                        + " a.attnum = d.refobjsubid WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND"
                        + " d.refclassid = 'pg_class'::regclass AND d.deptype = 'a') AS owned_by,"
                        + " pg_get_userbyid(c.relowner) AS owner, c.relacl::text AS acl, obj_description(c.oid, 'pg_class') AS"
                        + " comment FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid ="
                        + " c.relnamespace WHERE " + SCHEMAS + " AND " + own("pg_class", "c.oid")
                        + " AND NOT EXISTS (SELECT 1"
                        + " FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i')",
                rs -> {
                    Map<String, String> p = new LinkedHashMap<>();
                    p.put("type", rs.getString("type"));
                    p.put("start", rs.getString("seqstart"));
                    p.put("increment", rs.getString("seqincrement"));
                    p.put("minvalue", rs.getString("seqmin"));
                    p.put("maxvalue", rs.getString("seqmax"));
                    p.put("cache", rs.getString("seqcache"));
                    p.put("cycle", Boolean.toString(rs.getBoolean("seqcycle")));
                    put(p, "owned by", rs.getString("owned_by"));
                    common(rs, p);
                    out.add(object(Kind.SEQUENCE, rs.getString("name"), null, p));
                });
    }

    private static final String RELATIONS = " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE "
            + SCHEMAS + " AND " + own("pg_class", "c.oid");

    private void tables(Statement st, List<DbObject> out) throws SQLException {
        query(
                st,
                "SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relkind, c.relpersistence,"
                        + " array_to_string(c.reloptions, ', ') AS options, c.relrowsecurity, c.relforcerowsecurity,"
                        + " CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partkey,"
                        + " CASE WHEN c.relispartition THEN (SELECT format('%I.%I', pn.nspname, pc.relname) FROM pg_inherits i"
                        + " JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE"
                        + " i.inhrelid = c.oid) END AS partition_of,"
                        + " CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS bound,"
                        + " CASE WHEN NOT c.relispartition THEN (SELECT string_agg(format('%I.%I', pn.nspname, pc.relname), ', '"
                        + " ORDER BY i.inhseqno) FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace"
                        + " pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid) END AS inherits,"
                        + " pg_get_userbyid(c.relowner) AS owner, c.relacl::text AS acl, obj_description(c.oid, 'pg_class') AS"
                        + " comment" + RELATIONS + " AND c.relkind IN ('r', 'p')",
                rs -> {
                    Map<String, String> p = new LinkedHashMap<>();
                    p.put(
                            "partitioned",
                            Boolean.toString(rs.getString("relkind").equals("p")));
                    put(p, "partition key", rs.getString("partkey"));
                    put(p, "partition of", rs.getString("partition_of"));
                    put(p, "partition bound", rs.getString("bound"));
                    put(p, "inherits", rs.getString("inherits"));
                    p.put(
                            "unlogged",
                            Boolean.toString(rs.getString("relpersistence").equals("u")));
                    put(p, "storage parameters", emptyToNull(rs.getString("options")));
                    p.put("row level security", Boolean.toString(rs.getBoolean("relrowsecurity")));
                    p.put("force row level security", Boolean.toString(rs.getBoolean("relforcerowsecurity")));
                    common(rs, p);
                    out.add(object(Kind.TABLE, rs.getString("name"), null, p));
                });
    }

    private void columns(Statement st, List<DbObject> out) throws SQLException {
        query(
                st,
                "SELECT format('%I.%I', n.nspname, c.relname) AS rel, format('%I', a.attname) AS col,"
                        + " row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum) AS position,"
                        + " format_type(a.atttypid, a.atttypmod) AS type, CASE WHEN a.attcollation <> t.typcollation THEN"
                        + " (SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co JOIN pg_namespace cn ON"
                        + " cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END AS collation,"
                        + " CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END AS dflt,"
                        + " CASE WHEN a.attgenerated = 's' THEN pg_get_expr(ad.adbin, ad.adrelid) END AS generated,"
                        + " a.attnotnull, a.attidentity, col_description(c.oid, a.attnum) AS comment"
                        + " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid ="
                        + " c.relnamespace JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_attrdef ad ON ad.adrelid ="
                        + " a.attrelid AND ad.adnum = a.attnum WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT"
                        + " a.attisdropped AND a.attislocal AND NOT c.relispartition AND " + SCHEMAS + " AND "
                        + own("pg_class", "c.oid"),
                rs -> {
                    Map<String, String> p = new LinkedHashMap<>();
                    p.put("type", rs.getString("type"));
                    put(p, "collation", rs.getString("collation"));
                    put(p, "default", rs.getString("dflt"));
                    put(p, "generated", rs.getString("generated"));
                    String identity = rs.getString("attidentity");
                    if (identity.equals("a")) {
                        p.put("identity", "always");
                    } else if (identity.equals("d")) {
                        p.put("identity", "by default");
                    }
                    p.put("not null", Boolean.toString(rs.getBoolean("attnotnull")));
                    if (include.contains(Include.COLUMN_ORDER)) {
                        p.put("position", rs.getString("position"));
                    }
                    comment(rs, p);
                    String rel = rs.getString("rel");
                    // the position always goes along (a table's DDL lists its columns in order), compared only when
                    // asked
                    out.add(new DbObject(
                            Kind.COLUMN,
                            rel + "." + rs.getString("col"),
                            Optional.of(rel),
                            p,
                            List.of(rs.getString("position")),
                            List.of()));
                });
    }

    private void constraints(Statement st, List<DbObject> out) throws SQLException {
        query(
                st,
                "SELECT format('%I.%I', n.nspname, c.relname) AS rel, format('%I', k.conname) AS con, k.contype,"
                        + " pg_get_constraintdef(k.oid) AS def, obj_description(k.oid, 'pg_constraint') AS comment"
                        + " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid ="
                        + " c.relnamespace WHERE c.relkind IN ('r', 'p') AND k.conparentid = 0 AND k.conislocal AND "
                        + SCHEMAS
                        + " AND " + own("pg_class", "c.oid"),
                rs -> {
                    Map<String, String> p = new LinkedHashMap<>();
                    p.put(
                            "type",
                            switch (rs.getString("contype")) {
                                case "p" -> "primary key";
                                case "u" -> "unique";
                                case "f" -> "foreign key";
                                case "c" -> "check";
                                case "x" -> "exclusion";
                                default -> "trigger";
                            });
                    p.put("definition", rs.getString("def"));
                    comment(rs, p);
                    String rel = rs.getString("rel");
                    out.add(object(Kind.CONSTRAINT, rel + "." + rs.getString("con"), rel, p));
                });
    }

    private void indexes(Statement st, List<DbObject> out) throws SQLException {
        query(
                st,
                "SELECT format('%I.%I', n.nspname, t.relname) AS rel, format('%I.%I', n.nspname, c.relname) AS name,"
                        + " pg_get_indexdef(i.indexrelid) AS def, obj_description(c.oid, 'pg_class') AS comment"
                        + " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid"
                        + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT c.relispartition AND t.relkind IN ('r', 'p',"
                        + " 'm') AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid ="
                        + " i.indrelid AND k.contype IN ('p', 'u', 'x')) AND " + SCHEMAS + " AND "
                        + own("pg_class", "t.oid"),
                rs -> {
                    Map<String, String> p = new LinkedHashMap<>();
                    p.put("definition", rs.getString("def"));
                    comment(rs, p);
                    out.add(object(Kind.INDEX, rs.getString("name"), rs.getString("rel"), p));
                });
    }

    private void views(Statement st, List<DbObject> out) throws SQLException {
        query(
                st,
                "SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relkind, pg_get_viewdef(c.oid, true) AS def,"
                        + " array_to_string(c.reloptions, ', ') AS options, (SELECT json_agg(DISTINCT CASE WHEN d.refclassid ="
                        + " 'pg_class'::regclass THEN (SELECT CASE rc.relkind WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized"
                        + " view ' ELSE 'table ' END || format('%I.%I', rn.nspname, rc.relname) FROM pg_class rc JOIN"
                        + " pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = d.refobjid) ELSE (SELECT CASE rp.prokind"
                        + " WHEN 'p' THEN 'procedure ' ELSE 'function ' END || format('%I.%I(%s)', pn.nspname, rp.proname,"
                        + " pg_get_function_identity_arguments(rp.oid)) FROM pg_proc rp JOIN pg_namespace pn ON pn.oid ="
                        + " rp.pronamespace WHERE rp.oid = d.refobjid) END) FROM pg_depend d JOIN pg_rewrite r ON r.oid ="
                        + " d.objid WHERE d.classid = 'pg_rewrite'::regclass AND r.ev_class = c.oid AND d.refobjid <> c.oid AND"
                        + " d.refclassid IN ('pg_class'::regclass, 'pg_proc'::regclass))::text AS deps,"
                        + " pg_get_userbyid(c.relowner) AS owner, c.relacl::text AS acl, obj_description(c.oid, 'pg_class') AS"
                        + " comment" + RELATIONS + " AND c.relkind IN ('v', 'm')",
                rs -> {
                    Map<String, String> p = new LinkedHashMap<>();
                    p.put("definition", stripSemicolon(rs.getString("def")));
                    put(p, "options", emptyToNull(rs.getString("options")));
                    common(rs, p);
                    Kind kind = rs.getString("relkind").equals("m") ? Kind.MATERIALIZED_VIEW : Kind.VIEW;
                    List<String> deps = strings(rs.getString("deps")).stream()
                            .filter(d -> d != null)
                            .toList();
                    out.add(new DbObject(kind, rs.getString("name"), Optional.empty(), p, List.of(), deps));
                });
    }

    private void functions(Statement st, List<DbObject> out) throws SQLException {
        query(
                st,
                "SELECT format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) AS name,"
                        + " p.prokind, pg_get_functiondef(p.oid) AS def, pg_get_function_arguments(p.oid) AS args,"
                        + " pg_get_function_result(p.oid) AS result, (SELECT json_agg(DISTINCT CASE rc.relkind WHEN 'v'"
                        + " THEN 'view ' WHEN 'm' THEN 'materialized view ' ELSE 'table ' END || format('%I.%I',"
                        + " rn.nspname, rc.relname)) FROM pg_depend d JOIN pg_class rc ON rc.oid = CASE d.refclassid WHEN"
                        + " 'pg_class'::regclass THEN d.refobjid ELSE (SELECT COALESCE(NULLIF(ty.typrelid, 0), (SELECT"
                        + " e.typrelid FROM pg_type e WHERE e.oid = ty.typelem)) FROM pg_type ty WHERE ty.oid ="
                        + " d.refobjid) END JOIN pg_namespace rn ON rn.oid = rc.relnamespace WHERE d.classid ="
                        + " 'pg_proc'::regclass AND d.objid = p.oid AND d.refclassid IN ('pg_class'::regclass,"
                        + " 'pg_type'::regclass) AND d.deptype = 'n' AND rc.relkind IN ('r', 'p', 'v', 'm'))::text AS"
                        + " deps, pg_get_userbyid(p.proowner) AS owner, p.proacl::text AS"
                        + " acl, obj_description(p.oid, 'pg_proc') AS comment FROM pg_proc p JOIN pg_namespace n ON n.oid ="
                        + " p.pronamespace WHERE p.prokind IN ('f', 'p') AND " + SCHEMAS + " AND "
                        + own("pg_proc", "p.oid"),
                rs -> {
                    Map<String, String> p = new LinkedHashMap<>();
                    p.put("arguments", rs.getString("args"));
                    put(p, "returns", rs.getString("result"));
                    p.put("definition", rs.getString("def").strip());
                    common(rs, p);
                    Kind kind = rs.getString("prokind").equals("p") ? Kind.PROCEDURE : Kind.FUNCTION;
                    // the relations a SQL-standard body (BEGIN ATOMIC, RETURN) reads (it is parsed at creation),
                    // and those whose row type the signature names: both must exist first
                    List<String> deps = strings(rs.getString("deps"));
                    out.add(new DbObject(kind, rs.getString("name"), Optional.empty(), p, List.of(), deps));
                });
    }

    private void triggers(Statement st, List<DbObject> out) throws SQLException {
        query(
                st,
                "SELECT format('%I.%I', n.nspname, c.relname) AS rel, format('%I', t.tgname) AS trg,"
                        + " pg_get_triggerdef(t.oid) AS def, t.tgenabled, obj_description(t.oid, 'pg_trigger') AS comment"
                        + " FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid ="
                        + " c.relnamespace WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND " + SCHEMAS + " AND "
                        + own("pg_class", "c.oid"),
                rs -> {
                    Map<String, String> p = new LinkedHashMap<>();
                    p.put("definition", rs.getString("def"));
                    p.put("enabled", enabled(rs.getString("tgenabled")));
                    comment(rs, p);
                    String rel = rs.getString("rel");
                    out.add(object(Kind.TRIGGER, rel + "." + rs.getString("trg"), rel, p));
                });
    }

    private void eventTriggers(Statement st, List<DbObject> out) throws SQLException {
        query(
                st,
                "SELECT format('%I', e.evtname) AS name, e.evtevent, format('%I.%I', n.nspname, p.proname) AS fn,"
                        + " e.evtenabled, array_to_json(e.evttags)::text AS tags, pg_get_userbyid(e.evtowner) AS owner, NULL AS"
                        + " acl, obj_description(e.oid, 'pg_event_trigger') AS comment FROM pg_event_trigger e JOIN pg_proc p"
                        + " ON p.oid = e.evtfoid JOIN pg_namespace n ON n.oid = p.pronamespace WHERE "
                        + own("pg_event_trigger", "e.oid"),
                rs -> {
                    Map<String, String> p = new LinkedHashMap<>();
                    p.put("event", rs.getString("evtevent"));
                    p.put("function", rs.getString("fn"));
                    List<String> tags = strings(rs.getString("tags"));
                    if (!tags.isEmpty()) {
                        p.put(
                                "tags",
                                String.join(
                                        ", ", tags.stream().map(Sql::literal).toList()));
                    }
                    p.put("enabled", enabled(rs.getString("evtenabled")));
                    common(rs, p);
                    out.add(new DbObject(
                            Kind.EVENT_TRIGGER, rs.getString("name"), Optional.empty(), p, tags, List.of()));
                });
    }

    private void policies(Statement st, List<DbObject> out) throws SQLException {
        query(
                st,
                "SELECT format('%I.%I', n.nspname, c.relname) AS rel, format('%I', p.polname) AS pol, p.polcmd,"
                        + " p.polpermissive, (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE format('%I',"
                        + " pg_get_userbyid(r)) END, ', ' ORDER BY 1) FROM unnest(p.polroles) r) AS roles,"
                        + " pg_get_expr(p.polqual, p.polrelid) AS qual, pg_get_expr(p.polwithcheck, p.polrelid) AS chk,"
                        + " obj_description(p.oid, 'pg_policy') AS comment FROM pg_policy p JOIN pg_class c ON c.oid ="
                        + " p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " + SCHEMAS + " AND "
                        + own("pg_class", "c.oid"),
                rs -> {
                    Map<String, String> p = new LinkedHashMap<>();
                    p.put(
                            "command",
                            switch (rs.getString("polcmd")) {
                                case "r" -> "SELECT";
                                case "a" -> "INSERT";
                                case "w" -> "UPDATE";
                                case "d" -> "DELETE";
                                default -> "ALL";
                            });
                    p.put("permissive", Boolean.toString(rs.getBoolean("polpermissive")));
                    p.put("roles", rs.getString("roles"));
                    put(p, "using", rs.getString("qual"));
                    put(p, "with check", rs.getString("chk"));
                    comment(rs, p);
                    String rel = rs.getString("rel");
                    out.add(object(Kind.POLICY, rel + "." + rs.getString("pol"), rel, p));
                });
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    private interface Row {
        void accept(ResultSet rs) throws SQLException;
    }

    private static void query(Statement st, String sql, Row row) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                row.accept(rs);
            }
        }
    }

    private static String one(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static DbObject object(Kind kind, String name, String relation, Map<String, String> p) {
        return new DbObject(kind, name, Optional.ofNullable(relation), p, List.of(), List.of());
    }

    /** Owner, privileges and comment, each when asked for. */
    private void common(ResultSet rs, Map<String, String> p) throws SQLException {
        if (include.contains(Include.OWNERS)) {
            put(p, "owner", rs.getString("owner"));
        }
        if (include.contains(Include.PRIVILEGES)) {
            put(p, "privileges", rs.getString("acl"));
        }
        comment(rs, p);
    }

    private void comment(ResultSet rs, Map<String, String> p) throws SQLException {
        if (include.contains(Include.COMMENTS)) {
            put(p, "comment", rs.getString("comment"));
        }
    }

    private static void put(Map<String, String> p, String key, String value) {
        if (value != null) {
            p.put(key, value);
        }
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    private static String stripSemicolon(String def) {
        String d = def.strip();
        return d.endsWith(";") ? d.substring(0, d.length() - 1) : d;
    }

    private static String enabled(String code) {
        return switch (code) {
            case "D" -> "disabled";
            case "R" -> "replica";
            case "A" -> "always";
            default -> "origin";
        };
    }

    private static List<String> strings(String json) {
        if (json == null) {
            return List.of();
        }
        List<String> list = GSON.fromJson(json, new TypeToken<List<String>>() {}.getType());
        return list == null ? List.of() : list;
    }

    private static List<List<String>> pairs(String json) {
        if (json == null) {
            return List.of();
        }
        List<List<String>> list = GSON.fromJson(json, new TypeToken<List<List<String>>>() {}.getType());
        return list == null ? List.of() : list;
    }
}
