package dev.sprout.compute.load;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The table of contents of a dump, as {@code pg_restore -l} lists it: an entry a line, {@code ID; CATALOG OID DESC
 * SCHEMA NAME OWNER}. What a logical import reads from it: how many tables carry data (the count behind the
 * restore's progress), and for a selective import ({@code --schema}, {@code --table}) the prerequisites.
 *
 * <p>Prerequisites: pg_dump with {@code -n}/{@code -t} dumps the selected objects and nothing they depend on (their
 * schema, the extensions and types of their columns, the functions of their defaults). Into an empty database such
 * a dump does not restore. {@link #prerequisites} picks, from the schema-only dump of the whole database, every
 * definition that is not a relation (schemas, extensions, types, domains, functions, operators, casts, collations,
 * text search, languages, foreign servers, default privileges, the database's own properties) with their comments
 * and grants, leaving out what the selection dumps itself.
 */
final class DumpToc {
    private static final Pattern ENTRY = Pattern.compile("^(\\d+); (\\d+) (\\d+) (.*)$");

    /** The kinds of definitions restored before a selection (pg_dump's names for them). */
    private static final List<String> PREREQUISITE_KINDS = List.of(
            "DATABASE",
            "DATABASE PROPERTIES",
            "SCHEMA",
            "EXTENSION",
            "PROCEDURAL LANGUAGE",
            "SHELL TYPE",
            "TYPE",
            "DOMAIN",
            "COLLATION",
            "CONVERSION",
            "FUNCTION",
            "PROCEDURE",
            "AGGREGATE",
            "OPERATOR",
            "OPERATOR CLASS",
            "OPERATOR FAMILY",
            "CAST",
            "TRANSFORM",
            "ACCESS METHOD",
            "TEXT SEARCH PARSER",
            "TEXT SEARCH TEMPLATE",
            "TEXT SEARCH DICTIONARY",
            "TEXT SEARCH CONFIGURATION",
            "FOREIGN DATA WRAPPER",
            "SERVER",
            "USER MAPPING",
            "DEFAULT ACL");

    /** Entries about another object: what they are about follows their schema. */
    private static final List<String> ABOUT = List.of("COMMENT ", "ACL ", "SECURITY LABEL ");

    /** One entry: the line as listed, its catalog and object OIDs (0 0 for comments and grants), the rest. */
    record Entry(String line, long catalog, long oid, String rest) {
        /** What identifies the object in another dump of the same database. */
        String identity() {
            return catalog == 0 && oid == 0 ? rest : catalog + "/" + oid;
        }
    }

    private final List<Entry> entries;

    private DumpToc(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** Reads {@code pg_restore -l}'s output. */
    static DumpToc parse(String listing) {
        List<Entry> out = new ArrayList<>();
        for (String line : listing.split("\n", -1)) {
            Matcher m = ENTRY.matcher(line);
            if (m.matches()) {
                out.add(new Entry(line, Long.parseLong(m.group(2)), Long.parseLong(m.group(3)), m.group(4)));
            }
        }
        return new DumpToc(out);
    }

    List<Entry> entries() {
        return entries;
    }

    /** How many tables (and partitions) the dump holds data of. */
    int tablesWithData() {
        return (int)
                entries.stream().filter(e -> e.rest().startsWith("TABLE DATA ")).count();
    }

    /**
     * The list ({@code pg_restore -L}) of this dump's entries that are prerequisites of {@code selection}'s: the
     * definitions of {@link #PREREQUISITE_KINDS} and the comments and grants on them, but those {@code selection}
     * holds itself.
     */
    String prerequisites(DumpToc selection) {
        Set<String> selected = new HashSet<>();
        selection.entries.forEach(e -> selected.add(e.identity()));
        StringBuilder list = new StringBuilder();
        for (Entry e : entries) {
            if (!selected.contains(e.identity()) && prerequisite(e.rest())) {
                list.append(e.line()).append('\n');
            }
        }
        return list.toString();
    }

    static boolean prerequisite(String rest) {
        for (String about : ABOUT) {
            if (rest.startsWith(about)) {
                String afterSchema = rest.substring(about.length());
                int space = afterSchema.indexOf(' ');
                return space > 0 && isKind(afterSchema.substring(space + 1));
            }
        }
        return isKind(rest);
    }

    private static boolean isKind(String text) {
        for (String kind : PREREQUISITE_KINDS) {
            if (text.startsWith(kind + " ")) {
                return true;
            }
        }
        return false;
    }
}
