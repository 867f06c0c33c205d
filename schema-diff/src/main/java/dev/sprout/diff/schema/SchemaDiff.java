package dev.sprout.diff.schema;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The differences between two snapshots, object by object (matched on kind and name), sorted by kind and then name.
 * A renamed object shows as one removed and one added: the catalogs cannot tell a rename from a drop and a create.
 */
public record SchemaDiff(Snapshot from, Snapshot to, List<Change> changes) {
    public SchemaDiff {
        changes = List.copyOf(changes);
    }

    public static SchemaDiff compare(Snapshot from, Snapshot to) {
        List<Change> out = new ArrayList<>();
        for (DbObject a : from.objects().values()) {
            DbObject b = to.objects().get(a.key());
            if (b == null) {
                out.add(new Change.Removed(a));
            } else {
                Set<String> names = new LinkedHashSet<>(b.properties().keySet());
                names.addAll(a.properties().keySet());
                List<String> differ = names.stream()
                        .filter(p -> !Objects.equals(
                                a.properties().get(p), b.properties().get(p)))
                        .toList();
                if (!differ.isEmpty()) {
                    out.add(new Change.Changed(a, b, differ));
                }
            }
        }
        for (DbObject b : to.objects().values()) {
            if (!from.objects().containsKey(b.key())) {
                out.add(new Change.Added(b));
            }
        }
        out.sort(Comparator.comparing((Change c) -> c.kind()).thenComparing(Change::name));
        return new SchemaDiff(from, to, out);
    }

    public boolean equal() {
        return changes.isEmpty();
    }

    public long count(Class<? extends Change> type) {
        return changes.stream().filter(type::isInstance).count();
    }
}
