package dev.sprout.storage.internal;

import dev.sprout.storage.error.StorageIoException;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The single write path: assigns LSNs, stamps commit times, and makes each write durable before it is
 * acknowledged.
 *
 * <p>Group commit: callers of {@link #commitGrouped} queue their work; whoever holds the lock drains the queue
 * and writes everything it took as one RocksDB batch with one WAL sync, then acknowledges each caller. Commits
 * that arrive while a sync runs therefore share the next sync. Each queued write still gets its own LSN, in
 * queue order; two writes that touch the same keys never share a group, so each is validated against the
 * committed state that precedes it.
 *
 * <p>Concurrency: thread-safe. All state below is guarded by {@link #lock}; {@link #lastLsn} is also published
 * through a volatile read for readers that only need a bound.
 */
public final class Writer {
    /** A unit of queued work: validates against committed state and puts its keys, or throws. */
    public interface Body<T> {
        T apply(Txn txn);
    }

    private static final byte[] EMPTY = new byte[0];

    private final RocksHandles rocks;
    private final InstantSource clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Pending<?>> queue = new ArrayDeque<>();

    private volatile long lastLsn;
    private final java.util.concurrent.atomic.AtomicLong commits = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong writes = new java.util.concurrent.atomic.AtomicLong();
    private volatile long lastTimeMicros;
    private long nextFileId;

    private static final class Pending<T> {
        final Body<T> body;
        final Set<Object> footprint;
        final CompletableFuture<T> result = new CompletableFuture<>();

        Pending(Body<T> body, Set<Object> footprint) {
            this.body = body;
            this.footprint = footprint;
        }
    }

    public Writer(RocksHandles rocks, InstantSource clock, long lastLsn, long lastTimeMicros, long nextFileId) {
        this.rocks = rocks;
        this.clock = clock;
        this.lastLsn = lastLsn;
        this.lastTimeMicros = lastTimeMicros;
        this.nextFileId = nextFileId;
    }

    public long lastLsn() {
        return lastLsn;
    }

    /** Commits acknowledged so far, and the RocksDB writes (each one WAL sync when syncing) that carried them. */
    public long[] counters() {
        return new long[] {commits.get(), writes.get()};
    }

    /** Runs {@code body} alone at the next LSN, under the lock, and writes its keys with one synced write. */
    public <T> T write(Body<T> body) {
        lock.lock();
        try {
            drainQueue();
            Pending<T> p = new Pending<>(body, Set.of());
            writeGroup(List.of(p));
            return join(p);
        } finally {
            unlockAndLead();
        }
    }

    /**
     * Queues {@code body} for group commit; returns once it is durable (or refused).
     *
     * <p>Whoever holds the lock writes everything queued, group after group, until the queue is empty; a
     * caller that finds the lock taken does not queue up for it but waits for its own result, so the commits
     * that arrive during one sync are all written by the next, and nobody has to take the lock merely to
     * learn that its commit is already done. Every release of the lock is followed by a look at the queue
     * ({@link #unlockAndLead}), so a commit queued while the holder was finishing is never left behind.
     */
    public <T> T commitGrouped(Body<T> body, Set<Object> footprint) {
        Pending<T> p = new Pending<>(body, footprint);
        synchronized (queue) {
            queue.add(p);
        }
        while (true) {
            if (lock.tryLock()) {
                try {
                    drainQueue();
                } finally {
                    unlockAndLead();
                }
            }
            try {
                // Whoever holds the lock writes our commit; the timeout only bounds the wait should that ever
                // not happen, after which we try to write it ourselves.
                p.result.get(LEADER_CHECK_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
                return join(p);
            } catch (java.util.concurrent.TimeoutException stillQueued) {
                // loop: take the lock if it is free
            } catch (InterruptedException | ExecutionException e) {
                return join(p);
            }
        }
    }

    /** How long a queued commit waits for the lock holder before it tries to take the lock itself. */
    private static final long LEADER_CHECK_MILLIS = 50;

    /**
     * Releases the lock; when that was its outermost hold and commits are queued, takes it again (if nobody
     * else has) and writes them. Whoever holds the lock then does the same when it releases it, so a queued
     * commit always has a writer.
     */
    private void unlockAndLead() {
        lock.unlock();
        while (!lock.isHeldByCurrentThread() && hasQueued() && lock.tryLock()) {
            try {
                drainQueue();
            } finally {
                lock.unlock();
            }
        }
    }

    private boolean hasQueued() {
        synchronized (queue) {
            return !queue.isEmpty();
        }
    }

    /**
     * Runs {@code action} under the lock, with no LSN of its own, for writes that are not commits (timeline
     * records, GC, block maps). It sees every acknowledged commit and none that comes after. Reentrant: it may
     * run inside a group's validation, so it never writes queued commits itself.
     */
    public <T> T exclusive(java.util.function.Supplier<T> action) {
        lock.lock();
        try {
            return action.get();
        } finally {
            unlockAndLead();
        }
    }

    /** Writes a meta batch durably (under the caller's {@link #exclusive} section). */
    public void writeDurably(Consumer<WriteBatch> fill) {
        try (WriteBatch wb = new WriteBatch()) {
            fill.accept(wb);
            rocks.db.write(rocks.commitWrite, wb);
        } catch (RocksDBException e) {
            throw new StorageIoException("write failed: " + e.getMessage(), e);
        }
    }

    /** A commit time for something created now: never earlier than the last commit's time. */
    public long nowMicros() {
        long micros = toMicros(clock.instant());
        return Math.max(micros, lastTimeMicros);
    }

    long takeFileId() {
        return nextFileId++;
    }

    private void drainQueue() {
        for (List<Pending<?>> group = takeGroup(); !group.isEmpty(); group = takeGroup()) {
            writeGroup(group);
        }
    }

    private List<Pending<?>> takeGroup() {
        List<Pending<?>> group = new ArrayList<>();
        Set<Object> seen = new HashSet<>();
        synchronized (queue) {
            while (!queue.isEmpty()) {
                Pending<?> next = queue.peek();
                if (!group.isEmpty() && next.footprint.stream().anyMatch(seen::contains)) {
                    break;
                }
                queue.poll();
                group.add(next);
                seen.addAll(next.footprint);
            }
        }
        return group;
    }

    private void writeGroup(List<Pending<?>> group) {
        long time = nowMicros();
        long lsn = lastLsn;
        List<Txn> done = new ArrayList<>();
        List<Pending<?>> succeeded = new ArrayList<>();
        List<Object> results = new ArrayList<>();
        try (WriteBatch wb = new WriteBatch()) {
            for (Pending<?> p : group) {
                wb.setSavePoint();
                Txn txn = new Txn(wb, lsn + 1, time, this);
                try {
                    Object r = p.body.apply(txn);
                    lsn++;
                    done.add(txn);
                    succeeded.add(p);
                    results.add(r);
                } catch (RuntimeException e) {
                    wb.rollbackToSavePoint();
                    p.result.completeExceptionally(e);
                }
            }
            if (done.isEmpty()) {
                return;
            }
            // Per timeline: one record with its final progress, and the logical size at each LSN that changed it;
            // per new (timeline, file): one marker.
            Map<TimelineState, TimelineState.Progress> progress = new HashMap<>();
            Map<Txn.FileKey, Long> touched = new HashMap<>(); // first LSN of each new (timeline, file)
            for (Txn txn : done) {
                for (var e : txn.timelineDeltas.entrySet()) {
                    TimelineState t = e.getKey();
                    long[] d = e.getValue();
                    TimelineState.Progress p =
                            progress.getOrDefault(t, t.progress).committed(txn.lsn, d[0], d[1], d[2]);
                    progress.put(t, p);
                    if (d[2] != 0) {
                        wb.put(rocks.meta, Keys.metaLogicalSize(t.id, txn.lsn), longBytes(p.logicalBytes()));
                    }
                }
                txn.touched.forEach(fk -> touched.putIfAbsent(fk, txn.lsn));
            }
            for (var e : progress.entrySet()) {
                wb.put(rocks.meta, Keys.metaTimeline(e.getKey().id), e.getKey().encode(e.getValue()));
            }
            for (var e : touched.entrySet()) {
                wb.put(
                        rocks.meta,
                        Keys.metaFile(e.getKey().timeline().id, e.getKey().file()),
                        longBytes(e.getValue()));
            }
            for (Txn txn : done) {
                wb.put(rocks.meta, Keys.metaLsnTime(txn.lsn), longBytes(time));
                wb.put(rocks.meta, Keys.metaTimeLsn(time, txn.lsn), EMPTY);
            }
            wb.put(rocks.meta, Keys.metaGlobal(), Globals.encode(lsn, nextFileId, time));
            rocks.db.write(rocks.commitWrite, wb);
            writes.incrementAndGet();
            commits.addAndGet(done.size());

            // Durable: publish. File sets and block maps first, then progress, then the last LSN, so that a
            // reader that sees a new LSN also sees everything that guards the keys written at it.
            touched.forEach((fk, first) -> fk.timeline().files.put(fk.file(), first));
            for (Txn txn : done) {
                txn.afterCommit.forEach(Runnable::run);
            }
            progress.forEach((t, p) -> t.progress = p);
            lastTimeMicros = time;
            lastLsn = lsn;
            for (int i = 0; i < succeeded.size(); i++) {
                complete(succeeded.get(i), results.get(i));
            }
        } catch (RocksDBException | RuntimeException e) {
            // Nothing of the group is acknowledged. File ids it handed out were never persisted, so nobody holds them.
            StorageIoException failure =
                    new StorageIoException("commit failed, nothing of it was written: " + e.getMessage(), e);
            for (Pending<?> p : group) {
                p.result.completeExceptionally(failure); // no-op for those already refused or acknowledged
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> void complete(Pending<T> p, Object result) {
        p.result.complete((T) result);
    }

    private static <T> T join(Pending<T> p) {
        try {
            return p.result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a commit", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    static long toMicros(java.time.Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
    }

    static byte[] longBytes(long v) {
        byte[] b = new byte[8];
        Keys.putLong(b, 0, v);
        return b;
    }
}
