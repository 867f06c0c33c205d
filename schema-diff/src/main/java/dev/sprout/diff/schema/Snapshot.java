package dev.sprout.diff.schema;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/** Every schema object of one database at one moment, by {@link DbObject#key()}; read by {@link CatalogReader}. */
public record Snapshot(String database, String serverVersion, SortedMap<String, DbObject> objects) {
    public Snapshot {
        objects = Collections.unmodifiableSortedMap(new TreeMap<>(objects));
    }

    public static Snapshot of(String database, String serverVersion, List<DbObject> objects) {
        SortedMap<String, DbObject> byKey = new TreeMap<>();
        for (DbObject o : objects) {
            DbObject before = byKey.put(o.key(), o);
            if (before != null) {
                throw new IllegalStateException("two objects read as " + o.key());
            }
        }
        return new Snapshot(database, serverVersion, byKey);
    }

    public Optional<DbObject> get(Kind kind, String name) {
        return Optional.ofNullable(objects.get(DbObject.key(kind, name)));
    }

    /** The objects that belong to {@code relation} (its columns, constraints, indexes, triggers, policies). */
    public List<DbObject> partsOf(String relation) {
        return objects.values().stream()
                .filter(o -> o.relation().filter(relation::equals).isPresent())
                .toList();
    }

    public Map<String, DbObject> asMap() {
        return objects;
    }
}
