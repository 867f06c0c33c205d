package dev.sprout.pageserver.page;

import dev.sprout.protocol.v1.Code;
import dev.sprout.storage.timeline.TimelineId;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The page service's view of one timeline: who may write it (the writer generation) and which LSN readers
 * of its head may see.
 *
 * <p>Fencing: every change (commit, namespace change) runs under the read lock after checking that its
 * session's generation is the current one; a read-write attach takes the write lock to bump the generation.
 * So once an attach has returned, no change of an older session is running or can start: the older session
 * is refused with {@link Code#FENCED}. The gate also knows which read-write sessions are attached, so an
 * exclusive attach can be refused ({@link Code#WRITER_ATTACHED}) while the current writer is still connected.
 *
 * <p>Visibility: {@link #visibleLsn} is the newest LSN of this timeline whose effects the page cache has been
 * told about. Head reads use it, never the store's raw last LSN, so a reader cannot see a commit in the
 * engine while the cache still holds the version it replaced.
 *
 * <p>Concurrency: thread-safe. One gate per timeline incarnation; a deleted timeline's gate is closed for good.
 */
final class TimelineGate {
    private static final AtomicLong CACHE_IDS = new AtomicLong();

    final TimelineId timeline;
    /** Keys this incarnation's pages in the page cache. */
    final long cacheId = CACHE_IDS.incrementAndGet();

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile long generation;
    private final AtomicLong visibleLsn;
    /**
     * The store's last LSN when this gate was made. Every change of the timeline after it has been announced to
     * the page cache; changes before it (an earlier process, an earlier incarnation) never were, so reads at
     * LSNs below it must not fill the cache.
     */
    final long announcedFrom;

    private volatile boolean deleted;
    /** Attached read-write sessions (any generation); guarded by the write lock for changes that decide on it. */
    private final Set<Session> writers = ConcurrentHashMap.newKeySet();

    TimelineGate(TimelineId timeline, long generation, long visibleLsn) {
        this.timeline = timeline;
        this.generation = generation;
        this.visibleLsn = new AtomicLong(visibleLsn);
        this.announcedFrom = visibleLsn;
    }

    long generation() {
        return generation;
    }

    long visibleLsn() {
        return visibleLsn.get();
    }

    /** Makes the changes up to {@code lsn} visible to head reads (after the cache has been told about them). */
    void publish(long lsn) {
        visibleLsn.accumulateAndGet(lsn, Math::max);
    }

    boolean deleted() {
        return deleted;
    }

    void markDeleted() {
        lock.writeLock().lock();
        try {
            deleted = true;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Runs a change of session generation {@code sessionGeneration} if it still holds the timeline. */
    <T> T change(long sessionGeneration, Change<T> body) {
        lock.readLock().lock();
        try {
            if (deleted) {
                throw new ServiceException(Code.UNKNOWN_TIMELINE, "timeline " + timeline + " was deleted");
            }
            if (sessionGeneration != generation) {
                throw new ServiceException(
                        Code.FENCED,
                        "timeline " + timeline + " was taken over by writer generation " + generation
                                + "; this session holds generation " + sessionGeneration + " and may no longer write");
            }
            return body.run();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Bumps the generation with {@code claim} (which persists it) while no change runs. */
    long takeOver(java.util.function.LongSupplier claim, boolean exclusive) {
        lock.writeLock().lock();
        try {
            if (deleted) {
                throw new ServiceException(Code.UNKNOWN_TIMELINE, "timeline " + timeline + " was deleted");
            }
            if (exclusive) {
                for (Session s : writers) {
                    if (s.generation == generation && !s.closed()) {
                        throw new ServiceException(
                                Code.WRITER_ATTACHED,
                                "timeline " + timeline + " already has a writer" + " attached (generation " + generation
                                        + "); a second compute may not write it");
                    }
                }
            }
            long next = claim.getAsLong();
            generation = next;
            return next;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Records an attached read-write session, unless a newer writer took the timeline over meanwhile. */
    void writerAttached(Session s) {
        lock.writeLock().lock();
        try {
            if (s.generation != generation) {
                throw new ServiceException(
                        Code.FENCED,
                        "timeline " + timeline + " was taken over by writer generation " + generation
                                + " while session " + s.id + " (generation " + s.generation + ") attached");
            }
            writers.add(s);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Whether a read-write session of the current generation is attached. */
    boolean writerAttached() {
        long current = generation;
        return writers.stream().anyMatch(s -> s.generation == current && !s.closed());
    }

    void writerDetached(Session s) {
        writers.remove(s);
    }

    /** Checks that a reconnecting session's generation is still the current one. */
    void resume(long sessionGeneration) {
        change(sessionGeneration, () -> null);
    }

    @FunctionalInterface
    interface Change<T> {
        T run();
    }
}
