package dev.sprout.protocol.client;

import io.netty.channel.EventLoop;
import io.netty.util.collection.LongObjectHashMap;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Every pending request of a client, from its in-flight slot to its completion: the slots that bound them, the
 * requests written and not yet answered (by id), the requests waiting for a connection (in call order), their
 * timeouts, and the one place futures are completed.
 *
 * <p>A request settles exactly once (answer, refusal, timeout, connection loss or close, whichever comes first):
 * settling cancels its timer and frees its slot <em>before</em> its future completes, so a callback can issue
 * the next request at once.
 *
 * <p>Concurrency: {@link #acquire} and {@link #release} may be called from any thread; everything else on the
 * client's event loop only.
 */
final class RequestTable {
    private final ClientOptions options;
    private final EventLoop loop;
    private final Semaphore slots;
    private final LongObjectHashMap<PendingRequest<?>> inFlight = new LongObjectHashMap<>();
    /** Each holds a slot, so there are at most maxInFlight (plus none: internal requests never wait). */
    private final ArrayDeque<PendingRequest<?>> waiting = new ArrayDeque<>();

    RequestTable(ClientOptions options, EventLoop loop) {
        this.options = options;
        this.loop = loop;
        this.slots = new Semaphore(options.maxInFlight());
    }

    // ---- slots (any thread) --------------------------------------------------------------------------------------

    /**
     * Takes an in-flight slot for {@code p}, blocking until its deadline when all are taken; what to fail it
     * with when none came. The event loop itself never blocks: only it frees slots.
     */
    Optional<Throwable> acquire(PendingRequest<?> p) {
        if (slots.tryAcquire()) {
            return Optional.empty();
        }
        if (loop.inEventLoop()) {
            return Optional.of(
                    new RequestTimeoutException(
                            p.describe() + " could not be sent: all "
                                    + options.maxInFlight()
                                    + " in-flight slots are taken and the caller runs on the client's event "
                                    + "loop, which cannot wait for one (complete futures on another executor, or bound the callbacks' requests)"));
        }
        try {
            if (slots.tryAcquire(p.timeoutNanos, TimeUnit.NANOSECONDS)) {
                return Optional.empty();
            }
            return Optional.of(new RequestTimeoutException(p.describe() + " timed out after "
                    + TimeUnit.NANOSECONDS.toMillis(p.timeoutNanos) + " ms waiting for one of " + options.maxInFlight()
                    + " in-flight slots"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of(new CancellationException(p.describe() + " was interrupted waiting for one of "
                    + options.maxInFlight() + " in-flight slots"));
        }
    }

    /** Gives back a slot taken for a request that never reached the event loop. */
    void release() {
        slots.release();
    }

    // ---- bookkeeping (event loop) --------------------------------------------------------------------------------

    /** Starts {@code p}'s timeout, counted from its call; false (and {@code p} failed) if it has run out already. */
    boolean startTimer(PendingRequest<?> p) {
        long remaining = p.timeoutNanos - (System.nanoTime() - p.startNanos);
        if (remaining <= 0) {
            timeout(p);
            return false;
        }
        p.timer = loop.schedule(() -> timeout(p), remaining, TimeUnit.NANOSECONDS);
        return true;
    }

    /** {@code p} was written: its answer is awaited under its id. */
    void sent(PendingRequest<?> p) {
        p.sent = true;
        inFlight.put(p.id, p);
    }

    /** The request an answer with {@code id} belongs to, taken out of the table, if it is still awaited. */
    Optional<PendingRequest<?>> answered(long id) {
        return Optional.ofNullable(inFlight.remove(id));
    }

    boolean anyInFlight() {
        return !inFlight.isEmpty();
    }

    /** Takes the in-flight requests that match out of the table, oldest first, to be failed. */
    List<PendingRequest<?>> takeInFlight(Predicate<PendingRequest<?>> which) {
        List<PendingRequest<?>> taken = new ArrayList<>();
        for (PendingRequest<?> p : inFlight.values()) {
            if (which.test(p)) {
                taken.add(p);
            }
        }
        for (PendingRequest<?> p : taken) {
            inFlight.remove(p.id);
        }
        taken.sort(Comparator.comparingLong(p -> p.id));
        return taken;
    }

    /** {@code p} waits for a usable connection. */
    void await(PendingRequest<?> p) {
        waiting.add(p);
    }

    int waitingCount() {
        return waiting.size();
    }

    /** Takes every waiting request out of the table, in call order. */
    List<PendingRequest<?>> takeWaiting() {
        List<PendingRequest<?>> all = new ArrayList<>(waiting);
        waiting.clear();
        return all;
    }

    private void timeout(PendingRequest<?> p) {
        if (p.settled) {
            return;
        }
        String where;
        if (p.sent) {
            inFlight.remove(p.id);
            where = "";
        } else {
            waiting.remove(p); // linear, but there are at most maxInFlight and timeouts are rare
            where = " waiting for the connection to " + options.address() + " to come back";
        }
        fail(
                p,
                new RequestTimeoutException(p.describe() + " timed out after "
                        + TimeUnit.NANOSECONDS.toMillis(p.timeoutNanos) + " ms" + where));
    }

    // ---- completion (event loop) ---------------------------------------------------------------------------------

    <T> void succeed(PendingRequest<T> p, T value) {
        if (settle(p)) {
            complete(p, () -> p.future.complete(value));
        }
    }

    void fail(PendingRequest<?> p, Throwable error) {
        if (settle(p)) {
            complete(p, () -> p.future.completeExceptionally(error));
        }
    }

    private boolean settle(PendingRequest<?> p) {
        if (p.settled) {
            return false;
        }
        p.settled = true;
        if (p.timer != null) {
            p.timer.cancel(false);
        }
        if (!p.internal) {
            slots.release();
        }
        return true;
    }

    /** Internal requests complete here, on the loop, since the dispatcher's own callbacks hang off them. */
    private void complete(PendingRequest<?> p, Runnable completion) {
        if (p.internal || options.callbackExecutor() == ClientOptions.EVENT_LOOP) {
            completion.run();
            return;
        }
        try {
            options.callbackExecutor().execute(completion);
        } catch (RejectedExecutionException e) {
            completion.run(); // the caller's executor is shut down; completing here beats never completing
        }
    }
}
