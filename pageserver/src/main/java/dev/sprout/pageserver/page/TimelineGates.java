package dev.sprout.pageserver.page;

import dev.sprout.pageserver.cache.PageCache;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.timeline.TimelineId;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@link TimelineGate} per live timeline, made on first use from the store's writer generation.
 * Concurrency: thread-safe.
 */
public final class TimelineGates {
    private final PageStore store;
    private final PageCache cache;
    private final ConcurrentHashMap<TimelineId, TimelineGate> gates = new ConcurrentHashMap<>();

    public TimelineGates(PageStore store, PageCache cache) {
        this.store = store;
        this.cache = cache;
    }

    /** The gate of a timeline; refuses an unknown timeline with the engine's UNKNOWN_TIMELINE. */
    TimelineGate gate(TimelineId id) {
        TimelineGate gate = gates.get(id);
        if (gate != null && !gate.deleted()) {
            return gate;
        }
        return gates.compute(id, (k, old) -> {
            if (old != null && !old.deleted()) {
                return old;
            }
            // The store's last LSN covers every commit made before this gate existed: none can be in the cache.
            long visible = store.lastLsn();
            long generation = store.writerGeneration(id); // throws UnknownTimelineException
            return new TimelineGate(id, generation, visible);
        });
    }

    /** A timeline was deleted: its sessions may not write any more and its cached pages go. */
    public void deleted(TimelineId id) {
        TimelineGate gate = gates.remove(id);
        if (gate != null) {
            gate.markDeleted();
            cache.dropTimeline(gate.cacheId);
        }
    }

    /** Whether a writer of {@code id}'s current generation is attached now (false for a timeline never opened). */
    public boolean writerAttached(TimelineId id) {
        TimelineGate gate = gates.get(id);
        return gate != null && !gate.deleted() && gate.writerAttached();
    }

    public int size() {
        return gates.size();
    }
}
