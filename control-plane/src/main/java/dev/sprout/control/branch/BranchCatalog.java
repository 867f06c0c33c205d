package dev.sprout.control.branch;

import dev.sprout.storage.catalog.Catalog;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The branches, durable in the store's {@link Catalog} under {@code branch/NAME}. Every change is one synced,
 * atomic catalog write, so a restart finds either the state before an operation or the one after it.
 *
 * <p>Not thread-safe: the {@link dev.sprout.control.ControlPlane} serializes its changes.
 */
public final class BranchCatalog {
    static final String PREFIX = "branch/";
    private final Catalog catalog;

    public BranchCatalog(Catalog catalog) {
        this.catalog = catalog;
    }

    public Optional<Branch> find(String name) {
        return catalog.get(PREFIX + name).map(Branch::decode);
    }

    /** Every branch, by name. */
    public List<Branch> all() {
        List<Branch> out = new ArrayList<>();
        catalog.scan(PREFIX).values().forEach(v -> out.add(Branch.decode(v)));
        return out;
    }

    /** The branches whose parent is {@code name}. */
    public List<Branch> children(String name) {
        return all().stream().filter(b -> b.parent().equals(Optional.of(name))).toList();
    }

    /** Writes {@code put} and removes {@code remove} in one atomic, synced write. */
    public void write(List<Branch> put, List<String> remove) {
        catalog.write(changes(put, remove));
    }

    /**
     * The catalog changes that put {@code put} and remove {@code remove}, for a write of the store's that carries
     * them with other records ({@code PageStore.branch} with catalog changes: a new timeline and its branch).
     */
    public static Map<String, Optional<byte[]>> changes(List<Branch> put, List<String> remove) {
        Map<String, Optional<byte[]>> changes = new TreeMap<>();
        remove.forEach(n -> changes.put(PREFIX + n, Optional.empty()));
        put.forEach(b -> changes.put(PREFIX + b.name(), Optional.of(b.encode())));
        return changes;
    }

    public void put(Branch branch) {
        write(List.of(branch), List.of());
    }
}
