package dev.sprout.proxy.startup;

import dev.sprout.proxy.ProxyConfig;
import dev.sprout.proxy.ProxyMetrics;
import dev.sprout.proxy.cancel.CancelKeys;
import dev.sprout.proxy.wake.WakeUp;
import io.netty.channel.Channel;
import io.netty.handler.ssl.SslContext;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every connection's {@link StartupHandler} shares: the configuration, the TLS context, the wake-up, the cancel
 * keys, the meters, the count of admitted connections, the channel type to reach computes with (epoll or NIO,
 * whichever the proxy's event loops are), and whether clients must use TLS ({@link ProxyConfig#requiresTls()},
 * decided once at start: it may resolve the bind address). Thread-safe.
 */
public record Services(
        ProxyConfig config,
        Optional<SslContext> tls,
        WakeUp wakeUp,
        CancelKeys cancelKeys,
        ProxyMetrics metrics,
        AtomicInteger admitted,
        Class<? extends Channel> computeChannel,
        boolean tlsRequired) {

    /** Counts one more admitted connection unless the limit is reached. */
    boolean admit() {
        while (true) {
            int n = admitted.get();
            if (n >= config.maxConnections()) {
                return false;
            }
            if (admitted.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    void release() {
        admitted.decrementAndGet();
    }
}
