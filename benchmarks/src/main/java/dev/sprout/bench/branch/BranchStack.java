package dev.sprout.bench.branch;

import dev.sprout.bench.support.BenchEnv;
import dev.sprout.control.ControlPlane;
import dev.sprout.node.SproutNode;
import dev.sprout.pageserver.Pageserver;
import dev.sprout.proxy.WireProxy;
import dev.sprout.proxy.wake.Endpoints;
import dev.sprout.proxy.wake.WakeResult;
import dev.sprout.storage.timeline.TimelineId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What {@code sprout up} runs, assembled by the same {@link SproutNode} in this JVM: a pageserver on 127.0.0.1 with
 * ephemeral ports, the control plane on its store with the branches' API mounted on the pageserver's HTTP port, and
 * the wire proxy on a free port, whose wake-up goes through the control plane. Computes get {@code sprout up}'s
 * template except the idle suspend, which is off so that no compute stops under the measurement. The wake-up is
 * timed, per branch, for the report. Closed in the reverse order; not thread-safe, except the proxy's calls.
 */
public final class BranchStack implements AutoCloseable {
    public final Pageserver pageserver;
    public final ControlPlane control;
    public final WireProxy proxy;
    private final SproutNode node;
    /** The last wake-up of each branch through the proxy, in nanoseconds (the compute's start, when it ran none). */
    private final ConcurrentHashMap<String, Long> wakeNanos;

    private BranchStack(SproutNode node, ConcurrentHashMap<String, Long> wakeNanos) {
        this.node = node;
        this.pageserver = node.pageserver();
        this.control = node.control();
        this.proxy = node.proxy().orElseThrow();
        this.wakeNanos = wakeNanos;
    }

    public static BranchStack start(Path runDir, String password) {
        ConcurrentHashMap<String, Long> wakeNanos = new ConcurrentHashMap<>();
        SproutNode node = SproutNode.builder(runDir)
                .ports(0, 0)
                .proxy(0)
                .password(password)
                .idleSuspend(Duration.ZERO)
                .mainTimeline(TimelineId.random())
                .decorateEndpoints(inner -> timed(inner, wakeNanos))
                .start();
        BenchEnv.log(
                "pageserver (page port %d, HTTP port %d, store %s), control plane and proxy (%s) up in this JVM",
                node.pageserver().pagePort(),
                node.pageserver().httpPort(),
                runDir.resolve(SproutNode.PAGES),
                node.proxy().orElseThrow().address());
        return new BranchStack(node, wakeNanos);
    }

    /** {@code inner}, with each wake-up's time kept per branch (the fast answer for a running compute is not timed). */
    private static Endpoints timed(Endpoints inner, ConcurrentHashMap<String, Long> wakeNanos) {
        return new Endpoints() {
            @Override
            public WakeResult wake(String branch) throws InterruptedException {
                long t = System.nanoTime();
                try {
                    return inner.wake(branch);
                } finally {
                    wakeNanos.put(branch, System.nanoTime() - t);
                }
            }

            @Override
            public Optional<WakeResult> now(String branch) {
                return inner.now(branch);
            }
        };
    }

    /** How long the proxy's last wake-up of {@code branch} took, in milliseconds; empty if it woke none. */
    public OptionalDouble lastWakeMs(String branch) {
        Long n = wakeNanos.get(branch);
        return n == null ? OptionalDouble.empty() : OptionalDouble.of(n / 1e6);
    }

    @Override
    public void close() {
        node.close();
    }
}
