package dev.sprout.http.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sprout.testkit.ManualClock;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FailureLimiterTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-07T10:00:00Z"));
    private final FailureLimiter limiter = new FailureLimiter(clock);

    @Test
    void tenFailuresWithinAMinuteBlockTheAddressUntilTheOldestIsAMinuteOld() throws Exception {
        InetAddress a = InetAddress.getByName("127.0.0.2");
        InetAddress b = InetAddress.getByName("127.0.0.3");
        for (int i = 0; i < FailureLimiter.MAX_FAILURES; i++) {
            assertEquals(Optional.empty(), limiter.blocked(a), "failure " + i);
            limiter.failed(a);
            clock.advance(Duration.ofSeconds(1));
        }
        // failures at t = 0..9 s; now t = 10 s: blocked until the first is 60 s old.
        assertEquals(Optional.of(Duration.ofSeconds(50)), limiter.blocked(a));
        assertEquals(Optional.empty(), limiter.blocked(b), "another address is not blocked");
        clock.advance(Duration.ofSeconds(49));
        assertEquals(Optional.of(Duration.ofSeconds(1)), limiter.blocked(a));
        clock.advance(Duration.ofSeconds(1));
        assertEquals(Optional.empty(), limiter.blocked(a), "the oldest failure left the window");
        limiter.failed(a);
        assertEquals(Optional.of(Duration.ofSeconds(1)), limiter.blocked(a), "nine recent ones and this one");
    }

    @Test
    void itRemembersABoundedNumberOfAddresses() throws Exception {
        for (int i = 0; i <= FailureLimiter.MAX_ADDRESSES; i++) {
            InetAddress addr = InetAddress.getByAddress(new byte[] {10, 0, (byte) (i >> 8), (byte) i});
            for (int k = 0; k < FailureLimiter.MAX_FAILURES; k++) {
                limiter.failed(addr);
            }
        }
        assertEquals(
                Optional.empty(),
                limiter.blocked(InetAddress.getByAddress(new byte[] {10, 0, 0, 0})),
                "the least recent address was forgotten");
        assertEquals(Optional.of(Duration.ofMinutes(1)), limiter.blocked(InetAddress.getByAddress(new byte[] {
            10, 0, (byte) (FailureLimiter.MAX_ADDRESSES >> 8), (byte) FailureLimiter.MAX_ADDRESSES
        })));
    }
}
