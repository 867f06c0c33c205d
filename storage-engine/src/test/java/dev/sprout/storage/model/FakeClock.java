package dev.sprout.storage.model;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/** A clock that moves only when told to; thread-safe. */
public final class FakeClock implements InstantSource {
    private volatile Instant now;

    public FakeClock(Instant start) {
        this.now = start;
    }

    @Override
    public Instant instant() {
        return now;
    }

    public synchronized void advance(Duration d) {
        now = now.plus(d);
    }

    public long micros() {
        Instant t = now;
        return t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
    }
}
