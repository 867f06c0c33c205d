package dev.sprout.bench.proxy;

import dev.sprout.bench.compute.NativeCluster;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.Compute;
import dev.sprout.compute.ComputeSpec;
import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.protocol.tls.TlsSettings;
import dev.sprout.proxy.ProxyConfig;
import dev.sprout.proxy.WireProxy;
import dev.sprout.proxy.wake.Endpoints;
import dev.sprout.proxy.wake.WakeResult;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.testkit.Ports;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.epoll.Epoll;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the benchmark measures, all in this JVM: a pageserver, one compute on a new root timeline (initdb through
 * the agent, the compute benchmark's settings), and a {@link WireProxy} on a free port of 127.0.0.1 with a
 * self-signed certificate, whose {@link dev.sprout.proxy.wake.Endpoints} answer branch {@code main} with the
 * compute's address and no other; and, when the script passed its binary, a private {@link PgBouncer} in front of
 * the same compute, the reference path. Closed in the reverse order; not thread-safe.
 */
final class ProxyStack implements AutoCloseable {
    static final String BRANCH = "main";

    final Pageserver pageserver;
    final Compute compute;
    final WireProxy proxy;
    final SimpleMeterRegistry registry;
    final Duration computeStart;
    final Duration proxyStart;
    /** The reference path, or null when it is skipped ({@link #pgbouncerSkipped} says why). */
    final PgBouncer pgbouncer;
    /** Why there is no PgBouncer in this run, or null when there is one. */
    final String pgbouncerSkipped;
    /** Whether the skip is a failure (PgBouncer was there but did not start), not merely its absence. */
    final boolean pgbouncerFailed;

    private ProxyStack(
            Pageserver pageserver,
            Compute compute,
            WireProxy proxy,
            SimpleMeterRegistry registry,
            Duration computeStart,
            Duration proxyStart,
            PgBouncer pgbouncer,
            String pgbouncerSkipped,
            boolean pgbouncerFailed) {
        this.pageserver = pageserver;
        this.compute = compute;
        this.proxy = proxy;
        this.registry = registry;
        this.computeStart = computeStart;
        this.proxyStart = proxyStart;
        this.pgbouncer = pgbouncer;
        this.pgbouncerSkipped = pgbouncerSkipped;
        this.pgbouncerFailed = pgbouncerFailed;
    }

    /**
     * @param pgbouncerBinary PgBouncer's binary, or null to skip that path ({@code pgbouncerMissing} says why)
     */
    static ProxyStack start(
            Path runDir,
            PostgresInstall install,
            String password,
            Path pgbouncerBinary,
            String pgbouncerMissing,
            Path logs) {
        Pageserver pageserver = Pageserver.start(
                PageserverConfig.defaults(runDir.resolve("pages")).withEphemeralPorts());
        BenchEnv.log(
                "pageserver started in this JVM: page port %d, store %s",
                pageserver.pagePort(), runDir.resolve("pages"));
        Compute compute = null;
        try {
            TimelineId timeline = TimelineId.random();
            pageserver.store().createRoot(timeline, 0, 0);
            ComputeSpec spec = ComputeSpec.of(
                            "127.0.0.1",
                            pageserver.pagePort(),
                            timeline.toString(),
                            runDir.resolve(BRANCH),
                            Ports.free(),
                            password)
                    .withSettings(NativeCluster.pgSettings(install))
                    .withPageserverCredential(
                            pageserver.credentials().pageService().value());
            BenchEnv.log("starting a compute with initdb on root timeline %s (port %d)", timeline, spec.port());
            long t = System.nanoTime();
            compute = Compute.start(spec, true);
            Duration computeStart = Duration.ofNanos(System.nanoTime() - t);

            InetSocketAddress address = new InetSocketAddress("127.0.0.1", compute.port());
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            t = System.nanoTime();
            WireProxy proxy = WireProxy.start(
                    ProxyConfig.defaults(0, new TlsSettings.SelfSigned(runDir.resolve("tls")))
                            .withIoThreads(Integer.getInteger("sprout.proxy.ioThreads", 0)),
                    new Endpoints() {
                        // As `sprout up` answers: a running compute at once (Endpoints.now), else the wake-up.
                        @Override
                        public WakeResult wake(String branch) {
                            return BRANCH.equals(branch)
                                    ? new WakeResult.Ready(address)
                                    : new WakeResult.NoSuchBranch();
                        }

                        @Override
                        public Optional<WakeResult> now(String branch) {
                            return BRANCH.equals(branch)
                                    ? Optional.of(new WakeResult.Ready(address))
                                    : Optional.empty();
                        }
                    },
                    registry);
            Duration proxyStart = Duration.ofNanos(System.nanoTime() - t);
            BenchEnv.log(
                    "compute up in %d ms (port %d); proxy up in %d ms on %s (TLS %s, %s)",
                    computeStart.toMillis(),
                    compute.port(),
                    proxyStart.toMillis(),
                    proxy.address(),
                    proxy.tls() ? "offered" : "off",
                    transport());
            PgBouncer pgbouncer = null;
            String skipped = null;
            boolean failed = false;
            if (pgbouncerBinary == null) {
                skipped = pgbouncerMissing;
                BenchEnv.log("PgBouncer path skipped: %s", skipped);
            } else {
                try {
                    pgbouncer = PgBouncer.start(pgbouncerBinary, runDir, logs, compute.port(), password);
                } catch (RuntimeException e) {
                    skipped = pgbouncerBinary + " did not start: " + e.getMessage();
                    failed = true;
                    BenchEnv.log("PgBouncer path skipped: %s", skipped);
                }
            }
            return new ProxyStack(
                    pageserver, compute, proxy, registry, computeStart, proxyStart, pgbouncer, skipped, failed);
        } catch (RuntimeException e) {
            if (compute != null) {
                compute.close();
            }
            pageserver.close();
            throw e;
        }
    }

    /** The paths of this run, in declaration order: direct, proxy, proxy with TLS, and PgBouncer when it runs. */
    List<Via> paths() {
        List<Via> paths = new ArrayList<>(List.of(Via.DIRECT, Via.PROXY, Via.PROXY_TLS));
        if (pgbouncer != null) {
            paths.add(Via.PGBOUNCER);
        }
        return List.copyOf(paths);
    }

    /** Netty's transport, as {@link WireProxy} picks it. */
    static String transport() {
        return Epoll.isAvailable() ? "epoll" : "NIO";
    }

    /** Client connections the proxy has admitted to {@code main} so far. */
    long sessionsOpened() {
        Counter c = registry.find("sprout.proxy.connections.opened")
                .tag("branch", BRANCH)
                .counter();
        return c == null ? 0 : (long) c.count();
    }

    /** Connections the proxy has refused or failed so far, any SQLSTATE. */
    long errors() {
        return (long) registry.find("sprout.proxy.errors").counters().stream()
                .mapToDouble(Counter::count)
                .sum();
    }

    /** Bytes the proxy has relayed so far, both directions. */
    long bytesRelayed() {
        return (long) (proxy.metrics().toCompute().count()
                + proxy.metrics().toClient().count());
    }

    @Override
    public void close() {
        try {
            if (pgbouncer != null) {
                pgbouncer.close();
            }
        } catch (RuntimeException e) {
            BenchEnv.log("could not stop PgBouncer: %s", e);
        }
        try {
            proxy.close();
        } finally {
            try {
                compute.close();
            } finally {
                pageserver.close();
            }
        }
    }
}
