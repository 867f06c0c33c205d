package dev.sprout.protocol.client;

import io.netty.channel.EventLoop;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;

/**
 * The time a {@link PageClient}'s reconnect backoff runs on: a clock that says how long an outage has lasted
 * (against {@link ClientOptions#maxReconnectTime()}), and a scheduler that runs the next reconnect attempt after
 * its backoff delay. The client's own is {@link #monotonic}: {@link System#nanoTime()} and its event loop's timer.
 * Tests pass a manual clock and a scheduler they fire themselves, so reconnect timing is exact instead of slept for.
 *
 * <p>Request timeouts are not on this clock: they stay on the event loop's timer.
 *
 * @param clock     the time outages are measured by; only differences of its instants are used
 * @param scheduler runs a reconnect attempt after a delay, on any thread (the client moves it to its event loop)
 */
record ReconnectTimer(InstantSource clock, Scheduler scheduler) {

    /** Runs a task once after a delay. */
    @FunctionalInterface
    interface Scheduler {
        void schedule(Runnable task, Duration delay);
    }

    /** {@link System#nanoTime()} as instants (monotonic, not wall-clock time) and {@code loop}'s timer. */
    static ReconnectTimer monotonic(EventLoop loop) {
        InstantSource nanoTime = () -> Instant.EPOCH.plusNanos(System.nanoTime());
        return new ReconnectTimer(
                nanoTime, (task, delay) -> loop.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS));
    }
}
