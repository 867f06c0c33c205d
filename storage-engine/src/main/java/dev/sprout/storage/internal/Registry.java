package dev.sprout.storage.internal;

import dev.sprout.storage.error.StorageIoException;
import dev.sprout.storage.error.UnknownTimelineException;
import dev.sprout.storage.timeline.TimelineId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * Every live timeline, loaded from the meta column family at open and kept in step with it by the writer.
 * Thread-safe; membership changes only under the writer's lock.
 */
public final class Registry {
    private final Map<TimelineId, TimelineState> timelines = new ConcurrentHashMap<>();

    /** Loads timeline records, their file sets and the global counters. */
    static Loaded load(RocksHandles rocks) {
        Registry registry = new Registry();
        Globals globals = Globals.EMPTY;
        try (RocksIterator it = rocks.db.newIterator(rocks.meta, rocks.plainRead)) {
            for (it.seek(new byte[] {Keys.META_TIMELINE}); it.isValid(); it.next()) {
                byte[] k = it.key();
                if (k[0] != Keys.META_TIMELINE) {
                    break;
                }
                TimelineId id = Keys.timelineAt(k, 1);
                registry.timelines.put(id, TimelineState.decode(id, it.value()));
            }
            for (it.seek(new byte[] {Keys.META_FILE}); it.isValid(); it.next()) {
                byte[] k = it.key();
                if (k[0] != Keys.META_FILE) {
                    break;
                }
                TimelineState t = registry.timelines.get(Keys.timelineAt(k, 1));
                if (t != null) {
                    byte[] first = it.value();
                    t.files.put(Keys.getLong(k, 17), first.length == 8 ? Keys.getLong(first, 0) : 0L);
                }
            }
            VersionedReader.check(it);
            byte[] g = rocks.db.get(rocks.meta, Keys.metaGlobal());
            if (g != null) {
                globals = Globals.decode(g);
            }
        } catch (RocksDBException e) {
            throw new StorageIoException("cannot read the store's metadata: " + e.getMessage(), e);
        }
        for (TimelineState t : registry.timelines.values()) {
            t.parentId.ifPresent(p -> {
                TimelineState parent = registry.timelines.get(p);
                if (parent == null) {
                    throw new IllegalStateException("timeline " + t.id + " names parent " + p + ", which is missing");
                }
                t.parent = parent;
            });
        }
        return new Loaded(registry, globals);
    }

    record Loaded(Registry registry, Globals globals) {}

    public TimelineState require(TimelineId id) {
        TimelineState t = timelines.get(id);
        if (t == null) {
            throw new UnknownTimelineException("timeline " + id + " does not exist");
        }
        return t;
    }

    public Optional<TimelineState> find(TimelineId id) {
        return Optional.ofNullable(timelines.get(id));
    }

    public Collection<TimelineState> all() {
        return timelines.values();
    }

    public List<TimelineState> children(TimelineState parent) {
        List<TimelineState> out = new ArrayList<>();
        for (TimelineState t : timelines.values()) {
            if (t.parent == parent) {
                out.add(t);
            }
        }
        return out;
    }

    void add(TimelineState t) {
        timelines.put(t.id, t);
    }

    void remove(TimelineState t) {
        timelines.remove(t.id);
    }
}
