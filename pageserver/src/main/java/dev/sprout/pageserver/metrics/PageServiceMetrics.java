package dev.sprout.pageserver.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The page service's meters: requests and latency by operation, refusals by code, bytes in and out, open
 * connections and sessions. Meters are made once per (operation, outcome) and reused.
 * Concurrency: thread-safe.
 */
public final class PageServiceMetrics {
    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> refusals = new ConcurrentHashMap<>();
    private final Counter bytesIn;
    private final Counter bytesOut;
    private final DistributionSummary pagesPerRead;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger sessions = new AtomicInteger();

    public PageServiceMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.bytesIn = Counter.builder("sprout.page.service.bytes.in")
                .baseUnit("bytes")
                .description("Bytes of request frames received")
                .register(registry);
        this.bytesOut = Counter.builder("sprout.page.service.bytes.out")
                .baseUnit("bytes")
                .description("Bytes of response frames sent")
                .register(registry);
        this.pagesPerRead = DistributionSummary.builder("sprout.page.service.getpages.batch")
                .baseUnit("pages")
                .description("Pages asked for per GetPages request")
                .register(registry);
        registry.gauge("sprout.page.service.connections", connections);
        registry.gauge("sprout.page.service.sessions", sessions);
    }

    /** Records one answered request: its operation, outcome code and latency from arrival to answer. */
    public void request(String op, String code, long nanos) {
        String key = op + '|' + code;
        timers.computeIfAbsent(
                        key,
                        k -> Timer.builder("sprout.page.service.requests")
                                .description("Page service requests by operation and outcome, from arrival to answer")
                                .tag("op", op)
                                .tag("code", code)
                                .publishPercentiles(0.5, 0.99)
                                .distributionStatisticExpiry(Duration.ofMinutes(1))
                                .register(registry))
                .record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        if (!"OK".equals(code)) {
            refusals.computeIfAbsent(
                            code,
                            c -> Counter.builder("sprout.page.service.errors")
                                    .description("Requests refused, by status code")
                                    .tag("code", c)
                                    .register(registry))
                    .increment();
        }
    }

    public void bytesIn(long n) {
        bytesIn.increment(n);
    }

    public void bytesOut(long n) {
        bytesOut.increment(n);
    }

    public void pagesRead(int n) {
        pagesPerRead.record(n);
    }

    public void connectionOpened() {
        connections.incrementAndGet();
    }

    public void connectionClosed() {
        connections.decrementAndGet();
    }

    public void sessionOpened() {
        sessions.incrementAndGet();
    }

    public void sessionClosed() {
        sessions.decrementAndGet();
    }
}
