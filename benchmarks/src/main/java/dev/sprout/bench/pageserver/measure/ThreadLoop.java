package dev.sprout.bench.pageserver.measure;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Drives a blocking operation on {@code threads} platform threads, each calling it in a loop for the warm-up and
 * the measurement: the in-process baselines ({@code PageStore.readPage}, {@code PageStore.commit}) and
 * callers that block on an answer ({@code join()}).
 */
public final class ThreadLoop {

    /** One call of the operation on thread {@code thread} (0..threads-1). */
    @FunctionalInterface
    public interface BlockingOp {
        void run(int thread) throws Exception;
    }

    private ThreadLoop() {}

    public static Measured run(String name, int threads, int unitsPerOp, Phases phases, Probe probe, BlockingOp op) {
        long start = System.nanoTime();
        long measureStart = start + phases.warmup().toNanos();
        long measureEnd = measureStart + phases.measure().toNanos();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Recorder> recorders = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Recorder r = new Recorder();
            recorders.add(r);
            int index = t;
            workers.add(Thread.ofPlatform().name(name + "-" + t).start(() -> {
                try {
                    while (failure.get() == null) {
                        long started = System.nanoTime();
                        if (started >= measureEnd) {
                            return;
                        }
                        op.run(index);
                        long finished = System.nanoTime();
                        if (started >= measureStart && finished <= measureEnd) {
                            r.add(finished - started);
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        ClosedLoop.sleepUntil(measureStart);
        Map<String, Long> before = probe.read();
        ClosedLoop.sleepUntil(measureEnd);
        Map<String, Long> after = probe.read();
        for (Thread w : workers) {
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        if (failure.get() != null) {
            throw new IllegalStateException(name + " failed: " + failure.get(), failure.get());
        }
        Recorder merged = new Recorder();
        recorders.forEach(merged::addAll);
        return new Measured(
                merged.summary(),
                merged.size(),
                (long) merged.size() * unitsPerOp,
                (measureEnd - measureStart) / 1e9,
                Measured.delta(before, after));
    }
}
