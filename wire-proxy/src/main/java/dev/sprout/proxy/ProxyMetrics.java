package dev.sprout.proxy;

import dev.sprout.proxy.error.SqlState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The proxy's meters (Micrometer, names under {@code sprout.proxy}): open connections by branch, connections
 * opened, handshake latency (accept to the first ReadyForQuery), wake-up latency by outcome, bytes relayed by
 * direction, errors by SQLSTATE, cancel requests by outcome. Thread-safe.
 */
public final class ProxyMetrics {
    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, AtomicInteger> open = new ConcurrentHashMap<>();
    private final Timer handshake;
    private final Counter toCompute;
    private final Counter toClient;

    public ProxyMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.handshake = Timer.builder("sprout.proxy.handshake")
                .description("From accepting a connection to the compute's first ReadyForQuery")
                .publishPercentiles(0.5, 0.99)
                .register(registry);
        this.toCompute = Counter.builder("sprout.proxy.bytes")
                .tag("direction", "to_compute")
                .description("Bytes relayed")
                .baseUnit("bytes")
                .register(registry);
        this.toClient = Counter.builder("sprout.proxy.bytes")
                .tag("direction", "to_client")
                .description("Bytes relayed")
                .baseUnit("bytes")
                .register(registry);
    }

    public void opened(String branch) {
        open.computeIfAbsent(branch, b -> {
                    AtomicInteger n = new AtomicInteger();
                    Gauge.builder("sprout.proxy.connections", n, AtomicInteger::get)
                            .tag("branch", b)
                            .description("Open client connections")
                            .register(registry);
                    return n;
                })
                .incrementAndGet();
        registry.counter("sprout.proxy.connections.opened", "branch", branch).increment();
    }

    public void closed(String branch) {
        AtomicInteger n = open.get(branch);
        if (n != null) {
            n.decrementAndGet();
        }
    }

    /** Open connections of {@code branch} now. */
    public int open(String branch) {
        AtomicInteger n = open.get(branch);
        return n == null ? 0 : n.get();
    }

    public void handshake(long nanos) {
        handshake.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void wakeUp(long nanos, String outcome) {
        Timer.builder("sprout.proxy.wakeup")
                .tag("outcome", outcome)
                .description("Asking the control plane for a branch's compute, starting it if need be")
                .publishPercentiles(0.5, 0.99)
                .register(registry)
                .record(Duration.ofNanos(nanos));
    }

    public void error(SqlState state) {
        registry.counter("sprout.proxy.errors", "sqlstate", state.code()).increment();
    }

    public void cancel(String outcome) {
        registry.counter("sprout.proxy.cancels", "outcome", outcome).increment();
    }

    public Counter toCompute() {
        return toCompute;
    }

    public Counter toClient() {
        return toClient;
    }
}
