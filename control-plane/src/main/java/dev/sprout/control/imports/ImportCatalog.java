package dev.sprout.control.imports;

import dev.sprout.storage.catalog.Catalog;
import dev.sprout.storage.timeline.TimelineId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The imports under way, durable in the store's {@link Catalog} under {@code import/TIMELINE}: a restart finds
 * every import that had begun and not finished, and removes what it wrote.
 *
 * <p>Not thread-safe: the {@link dev.sprout.control.ControlPlane} serializes its changes.
 */
public final class ImportCatalog {
    static final String PREFIX = "import/";
    private final Catalog catalog;

    public ImportCatalog(Catalog catalog) {
        this.catalog = catalog;
    }

    public Optional<PendingImport> find(TimelineId timeline) {
        return catalog.get(PREFIX + timeline).map(PendingImport::decode);
    }

    public List<PendingImport> all() {
        List<PendingImport> out = new ArrayList<>();
        catalog.scan(PREFIX).values().forEach(v -> out.add(PendingImport.decode(v)));
        return out;
    }

    public void put(PendingImport p) {
        catalog.write(Map.of(PREFIX + p.timeline(), Optional.of(p.encode())));
    }

    /** The catalog change that removes {@code timeline}'s record, for a write that carries other changes too. */
    public static Map<String, Optional<byte[]>> removal(TimelineId timeline) {
        return Map.of(PREFIX + timeline, Optional.empty());
    }

    public void remove(TimelineId timeline) {
        catalog.write(removal(timeline));
    }
}
