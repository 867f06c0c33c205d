package dev.sprout.diff.schema;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One schema object as read from a database's catalogs.
 *
 * <ul>
 *   <li>{@code name}: its identity within its kind, quoted as SQL needs it ({@code app.orders},
 *       {@code app.orders.total} for a column, {@code app.f(integer)} for a function). Two sides hold "the same"
 *       object when kind and name are equal;</li>
 *   <li>{@code relation}: for a column, constraint, index, trigger or policy, the table (or view) it belongs to;</li>
 *   <li>{@code properties}: what is compared, in the order a report shows them (absent ones are not there);</li>
 *   <li>{@code parts}: structured data the DDL needs (enum labels in order, a composite's attributes as
 *       {@code name<TAB>type}, a domain's constraints as {@code name<TAB>definition}); not compared by itself
 *       (the properties show the same content);</li>
 *   <li>{@code dependsOn}: for views and materialized views, the relations and functions they read (names as
 *       {@code kind name} keys), so that the DDL can recreate them in order around changes below them.</li>
 * </ul>
 */
public record DbObject(
        Kind kind,
        String name,
        Optional<String> relation,
        Map<String, String> properties,
        List<String> parts,
        List<String> dependsOn) {
    public DbObject {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(relation, "relation");
        properties = Collections.unmodifiableMap(new LinkedHashMap<>(properties));
        parts = List.copyOf(parts);
        dependsOn = List.copyOf(dependsOn);
    }

    /** {@code kind name}: unique within a snapshot. */
    public String key() {
        return key(kind, name);
    }

    public static String key(Kind kind, String name) {
        return kind.label + " " + name;
    }

    /** A property's value, or empty when the object has none of that name. */
    public Optional<String> get(String property) {
        return Optional.ofNullable(properties.get(property));
    }

    /** A property's value; the object must have it. */
    public String require(String property) {
        String v = properties.get(property);
        if (v == null) {
            throw new IllegalStateException(key() + " has no property '" + property + "'");
        }
        return v;
    }
}
