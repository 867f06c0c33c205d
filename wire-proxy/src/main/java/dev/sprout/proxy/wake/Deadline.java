package dev.sprout.proxy.wake;

import io.netty.util.concurrent.Ticker;
import java.time.Duration;

/**
 * A point in time on a {@link Ticker}'s clock, with the ticker that tells it: the event loop's in the proxy
 * ({@code ctx.executor().ticker()}), a {@code MockTicker} in tests, so that the wake-up's deadline and backoff, the
 * login and idle timeouts and the connect retries all run on one clock that a test can move.
 */
public record Deadline(Ticker ticker, long nanos) {
    /** {@code timeout} from now on {@code ticker}. */
    public static Deadline after(Ticker ticker, Duration timeout) {
        return new Deadline(ticker, ticker.nanoTime() + timeout.toNanos());
    }

    /** Nanoseconds left; zero or negative once passed. */
    public long leftNanos() {
        return nanos - ticker.nanoTime();
    }

    public boolean passed() {
        return leftNanos() <= 0;
    }
}
