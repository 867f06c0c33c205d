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

    /**
     * The layout of keys and values this build reads and writes. A store of another layout is refused at open
     * rather than misread; bump it with every incompatible change.
     */
    static final int FORMAT_VERSION = 2;

    /**
     * An older layout this build reads and upgrades at open by recording {@link #FORMAT_VERSION}: version 1 had no
     * page deltas ({@link PageDelta}), so every version-1 value reads the same; a version-1 build must not open
     * the store once deltas may be in it.
     */
    static final int UPGRADED_FORMAT_VERSION = 1;

    /** Checks (or, for a new store, records) the on-disk format version. */
    static void checkFormat(RocksHandles rocks, java.nio.file.Path dir) {
        try {
            byte[] v = rocks.db.get(rocks.meta, Keys.metaFormat());
            if (v == null) {
                if (rocks.db.get(rocks.meta, Keys.metaGlobal()) != null) {
                    throw new StorageIoException(
                            "the store at " + dir + " was written by a build without an on-disk format"
                                    + " version (expected version " + FORMAT_VERSION
                                    + "); open it with that build, or delete it",
                            null);
                }
                byte[] mine = new byte[4];
                Keys.putInt(mine, 0, FORMAT_VERSION);
                rocks.db.put(rocks.meta, rocks.commitWrite, Keys.metaFormat(), mine);
            } else if (v.length == 4 && Keys.getInt(v, 0) == UPGRADED_FORMAT_VERSION) {
                byte[] mine = new byte[4];
                Keys.putInt(mine, 0, FORMAT_VERSION);
                rocks.db.put(rocks.meta, rocks.commitWrite, Keys.metaFormat(), mine);
            } else if (v.length != 4 || Keys.getInt(v, 0) != FORMAT_VERSION) {
                throw new StorageIoException(
                        "the store at " + dir + " has on-disk format version "
                                + (v.length == 4 ? Keys.getInt(v, 0) : -1) + "; this build reads version "
                                + FORMAT_VERSION,
                        null);
            }
        } catch (RocksDBException e) {
            throw new StorageIoException("cannot read the store's format version: " + e.getMessage(), e);
        }
    }

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
