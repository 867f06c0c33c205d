package dev.sprout.http.auth;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Slows down guessing: after {@link #MAX_FAILURES} (or the number given) failed authentications from one address within {@link #WINDOW},
 * that address is refused (429 {@code RATE_LIMITED}, without looking at its token) until the oldest of those
 * failures is a window old. A success does not reset the count: a guesser that also holds a valid token gains
 * nothing. At most {@link #MAX_ADDRESSES} addresses are remembered (the least recently failing are forgotten), so
 * a flood of addresses cannot fill the memory.
 *
 * <p>Concurrency: thread-safe (synchronized; called once per refused or checked request).
 */
public final class FailureLimiter {
    public static final int MAX_FAILURES = 10;
    public static final Duration WINDOW = Duration.ofMinutes(1);
    static final int MAX_ADDRESSES = 4096;

    private final InstantSource clock;
    private final int maxFailures;
    private final Map<InetAddress, Deque<Instant>> failures = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<InetAddress, Deque<Instant>> eldest) {
            return size() > MAX_ADDRESSES;
        }
    };

    /** {@link #MAX_FAILURES} failures within {@link #WINDOW} block an address. */
    public FailureLimiter(InstantSource clock) {
        this(clock, MAX_FAILURES);
    }

    /** {@code maxFailures} failures within {@link #WINDOW} block an address (tests that send many on purpose). */
    public FailureLimiter(InstantSource clock, int maxFailures) {
        if (maxFailures < 1) {
            throw new IllegalArgumentException("maxFailures: " + maxFailures + " (expected: > 0)");
        }
        this.clock = clock;
        this.maxFailures = maxFailures;
    }

    /** When {@code address} is blocked: how long until it may try again. Empty when it may try now. */
    public synchronized Optional<Duration> blocked(InetAddress address) {
        Deque<Instant> recent = failures.get(address);
        if (recent == null) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        prune(recent, now);
        if (recent.size() < maxFailures) {
            return Optional.empty();
        }
        return Optional.of(Duration.between(now, recent.peekFirst().plus(WINDOW)));
    }

    /** Counts a failed authentication from {@code address}. */
    public synchronized void failed(InetAddress address) {
        Instant now = clock.instant();
        Deque<Instant> recent = failures.computeIfAbsent(address, a -> new ArrayDeque<>());
        prune(recent, now);
        recent.addLast(now);
        while (recent.size() > maxFailures) {
            recent.removeFirst();
        }
    }

    private static void prune(Deque<Instant> recent, Instant now) {
        while (!recent.isEmpty() && !recent.peekFirst().plus(WINDOW).isAfter(now)) {
            recent.removeFirst();
        }
    }
}
