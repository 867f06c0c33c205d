package dev.sprout.pageserver.page;

import dev.sprout.protocol.v1.Code;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One attached timeline on one connection: its mode, the writer generation it holds, the pages it has staged
 * for its next commit, and the queue that applies its changes one at a time in the order they arrived.
 *
 * <p>Concurrency: changes (put, commit, namespace changes, detach) run through {@link #execute}, one at a
 * time, so the staged state is touched by one thread at a time (the queue's hand-off orders the accesses).
 * Reads do not touch the staged state and run concurrently.
 */
final class Session implements Executor {
    final long id;
    final TimelineGate gate;
    final boolean writable;
    final long generation;
    /** Read-only sessions: the LSN they read at, or 0 to follow the timeline's head. */
    final long fixedLsn;

    private final Executor pool;
    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();

    private final List<Staged> staged = new ArrayList<>();
    private long stagedBytes;
    private int stagedPages;
    private volatile boolean closed;

    Session(long id, TimelineGate gate, boolean writable, long generation, long fixedLsn, Executor pool) {
        this.id = id;
        this.gate = gate;
        this.writable = writable;
        this.generation = generation;
        this.fixedLsn = fixedLsn;
        this.pool = pool;
    }

    /** The LSN a read asking for {@code requested} (0 = default) runs at. */
    long readLsn(long requested) {
        if (requested != 0) {
            return requested;
        }
        return fixedLsn != 0 ? fixedLsn : gate.visibleLsn();
    }

    void requireWritable(String what) {
        if (!writable) {
            throw new ServiceException(
                    Code.READ_ONLY, what + " on read-only session " + id + " of timeline " + gate.timeline);
        }
        if (closed) {
            throw new ServiceException(Code.NOT_ATTACHED, "session " + id + " was detached");
        }
    }

    /** A change staged for the next commit, in the order it arrived. */
    sealed interface Staged {
        long fileId();
    }

    record StagedWrite(long fileId, int block, byte[] page) implements Staged {}

    record StagedResize(long fileId, long size) implements Staged {}

    /** Stages changes and returns the number of pages staged; refuses to hold more than {@code maxStagedBytes} of images. */
    int stage(List<Staged> changes, long maxStagedBytes) {
        long bytes = 0;
        int pages = 0;
        for (Staged c : changes) {
            if (c instanceof StagedWrite w) {
                bytes += w.page().length;
                pages++;
            }
        }
        if (stagedBytes + bytes > maxStagedBytes) {
            throw new ServiceException(
                    Code.OVERLOADED,
                    "session " + id + " would stage " + (stagedBytes + bytes)
                            + " bytes of pages, more than the maximum of " + maxStagedBytes + "; commit first");
        }
        staged.addAll(changes);
        stagedBytes += bytes;
        stagedPages += pages;
        return stagedPages;
    }

    List<Staged> staged() {
        return staged;
    }

    void clearStaged() {
        staged.clear();
        stagedBytes = 0;
        stagedPages = 0;
    }

    void close() {
        closed = true;
    }

    boolean closed() {
        return closed;
    }

    /** Queues a change behind this session's earlier changes. */
    @Override
    public void execute(Runnable change) {
        queue.add(change);
        if (draining.compareAndSet(false, true)) {
            pool.execute(this::drain);
        }
    }

    private void drain() {
        while (true) {
            Runnable next;
            while ((next = queue.poll()) != null) {
                next.run();
            }
            draining.set(false);
            if (queue.isEmpty() || !draining.compareAndSet(false, true)) {
                return;
            }
        }
    }
}
