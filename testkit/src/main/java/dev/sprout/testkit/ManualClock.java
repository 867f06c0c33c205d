package dev.sprout.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * A clock that moves only when a test tells it to, so that times, timeouts and windows are exact instead of slept
 * for. A {@link Clock}, and so an {@link java.time.InstantSource}, for code that takes either. UTC. Thread-safe.
 */
public final class ManualClock extends Clock {
    private volatile Instant now;

    public ManualClock(Instant start) {
        this.now = Objects.requireNonNull(start, "start");
    }

    @Override
    public Instant instant() {
        return now;
    }

    /** Moves the clock on by {@code d} (not back: a negative {@code d} is refused). */
    public synchronized void advance(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("a clock does not go back: " + d);
        }
        now = now.plus(d);
    }

    /** The time in microseconds since the epoch. */
    public long micros() {
        Instant t = now;
        return t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        if (!zone.equals(ZoneOffset.UTC)) {
            throw new UnsupportedOperationException("a ManualClock is UTC only");
        }
        return this;
    }

    @Override
    public String toString() {
        return "ManualClock[" + now + "]";
    }
}
