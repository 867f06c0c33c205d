package dev.sprout.bench.pageserver.measure;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Drives asynchronous operations in a closed loop: {@code chains} independent chains, each with exactly one
 * operation in flight, which starts its next operation from the completion of the previous one. With
 * {@code chains} = N on one client this keeps N requests in flight (the pipeline depth); with one chain per
 * client it is N concurrent, sequential clients.
 *
 * <p>Completions run on whatever thread completes the future (for the page service client, its event loop,
 * with no hand-off to another thread), so the driver adds no thread switch of its own. Each chain owns its
 * recorder; the measuring thread reads them after every chain has stopped (a latch orders the accesses).
 */
public final class ClosedLoop {

    /** Starts a chain's next operation; {@code chain} is 0..chains-1, and a chain's calls never overlap. */
    @FunctionalInterface
    public interface Op {
        CompletableFuture<?> start(int chain);
    }

    private ClosedLoop() {}

    /**
     * Runs {@code op} on {@code chains} chains for the warm-up and the measurement of {@code phases};
     * {@code unitsPerOp} counts what one operation does (pages per request, 1 per commit).
     *
     * @throws IllegalStateException when an operation failed (the first failure is the cause)
     */
    public static Measured run(int chains, int unitsPerOp, Phases phases, Probe probe, Op op) {
        long start = System.nanoTime();
        long measureStart = start + phases.warmup().toNanos();
        long measureEnd = measureStart + phases.measure().toNanos();
        CountDownLatch done = new CountDownLatch(chains);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Chain> all = new ArrayList<>(chains);
        for (int c = 0; c < chains; c++) {
            all.add(new Chain(c, op, measureStart, measureEnd, done, failure));
        }
        all.forEach(Chain::next);
        sleepUntil(measureStart);
        Map<String, Long> before = probe.read();
        sleepUntil(measureEnd);
        Map<String, Long> after = probe.read();
        try {
            if (!done.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException(done.getCount() + " of " + chains + " chains still had an operation in "
                        + "flight 60 s after the measurement ended");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (failure.get() != null) {
            throw new IllegalStateException("an operation failed: " + failure.get(), failure.get());
        }
        Recorder merged = new Recorder();
        all.forEach(c -> merged.addAll(c.recorder));
        return new Measured(
                merged.summary(),
                merged.size(),
                (long) merged.size() * unitsPerOp,
                (measureEnd - measureStart) / 1e9,
                Measured.delta(before, after));
    }

    static void sleepUntil(long deadline) {
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(left);
        }
    }

    private static final class Chain {
        final int index;
        final Op op;
        final long measureStart;
        final long measureEnd;
        final CountDownLatch done;
        final AtomicReference<Throwable> failure;
        final Recorder recorder = new Recorder();

        Chain(
                int index,
                Op op,
                long measureStart,
                long measureEnd,
                CountDownLatch done,
                AtomicReference<Throwable> failure) {
            this.index = index;
            this.op = op;
            this.measureStart = measureStart;
            this.measureEnd = measureEnd;
            this.done = done;
            this.failure = failure;
        }

        void next() {
            long started = System.nanoTime();
            if (started >= measureEnd || failure.get() != null) {
                done.countDown();
                return;
            }
            CompletableFuture<?> f;
            try {
                f = op.start(index);
            } catch (RuntimeException e) {
                stop(e);
                return;
            }
            f.whenComplete((result, error) -> {
                long finished = System.nanoTime();
                if (error != null) {
                    stop(error);
                    return;
                }
                if (started >= measureStart && finished <= measureEnd) {
                    recorder.add(finished - started);
                }
                next();
            });
        }

        void stop(Throwable error) {
            failure.compareAndSet(null, error);
            done.countDown();
        }
    }
}
