package dev.sprout.bench.branch;

import dev.sprout.bench.compute.ComputeBench;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.ComputeSpec;
import dev.sprout.compute.postgres.OsUser;
import dev.sprout.control.ControlException;
import dev.sprout.control.ControlPlane;
import dev.sprout.control.api.ControlApi;
import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.proxy.ProxyConfig;
import dev.sprout.proxy.WireProxy;
import dev.sprout.proxy.tls.TlsSettings;
import dev.sprout.proxy.wake.WakeResult;
import dev.sprout.storage.timeline.TimelineId;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What {@code sprout up} runs, assembled the same way in this JVM (the benchmark does not depend on the CLI
 * module; the parts and their wiring are {@code LocalStack}'s): a pageserver on 127.0.0.1 with ephemeral ports, the
 * control plane on its store with the branches' API mounted on the pageserver's HTTP port, and a {@link WireProxy}
 * whose {@link dev.sprout.proxy.wake.Endpoints} wake a branch's compute through the control plane, mapping its
 * refusals as {@code LocalStack} does. Computes get {@code LocalStack}'s template except the idle suspend, which is
 * off so that no compute stops under the measurement. The adapter also times each wake-up, per branch, for the
 * report. Closed in the reverse order; not thread-safe, except the proxy's calls to the adapter.
 */
public final class BranchStack implements AutoCloseable {
    public final Pageserver pageserver;
    public final ControlPlane control;
    public final WireProxy proxy;
    /** The last wake-up of each branch through the proxy, in nanoseconds (the compute's start, when it ran none). */
    private final ConcurrentHashMap<String, Long> wakeNanos;

    private BranchStack(Pageserver pageserver, ControlPlane control, WireProxy proxy, ConcurrentHashMap<String, Long> wakeNanos) {
        this.pageserver = pageserver;
        this.control = control;
        this.proxy = proxy;
        this.wakeNanos = wakeNanos;
    }

    public static BranchStack start(Path runDir, String password) {
        Pageserver pageserver = Pageserver.start(PageserverConfig.defaults(runDir.resolve("pages")).withEphemeralPorts());
        ControlPlane control = null;
        try {
            OsUser owner = OsUser.forPostgres();
            String host = pageserver.config().bindAddress();
            int page = pageserver.pagePort();
            Path computes = ComputeBench.traversableDir(runDir.resolve("computes"));
            control = ControlPlane.open(pageserver.store(), (branch, timeline) -> ComputeSpec.of(host, page,
                    timeline.toString(), computes.resolve(branch.replace('/', '.')), ComputeBench.freePort(), password)
                    .withIdleSuspend(Duration.ZERO).withPageserverCredential(pageserver.credentials().pageService().value()), Clock.systemUTC(), TimelineId.random(), owner.uid(), owner.gid());
            pageserver.mountApi(ControlApi.PREFIX, new ControlApi(control));
            ControlPlane cp = control;
            ConcurrentHashMap<String, Long> wakeNanos = new ConcurrentHashMap<>();
            WireProxy proxy = WireProxy.start(ProxyConfig.defaults(0, new TlsSettings.SelfSigned(runDir.resolve("proxy"))),
                    branch -> {
                        long t = System.nanoTime();
                        try {
                            return wake(cp, branch);
                        } finally {
                            wakeNanos.put(branch, System.nanoTime() - t);
                        }
                    }, pageserver.metrics());
            BenchEnv.log("pageserver (page port %d, HTTP port %d, store %s), control plane and proxy (%s) up in this JVM",
                    pageserver.pagePort(), pageserver.httpPort(), runDir.resolve("pages"), proxy.address());
            return new BranchStack(pageserver, control, proxy, wakeNanos);
        } catch (RuntimeException e) {
            if (control != null) {
                control.close();
            }
            pageserver.close();
            throw e;
        }
    }

    /** How long the proxy's last wake-up of {@code branch} took, in milliseconds; empty if it woke none. */
    public OptionalDouble lastWakeMs(String branch) {
        Long n = wakeNanos.get(branch);
        return n == null ? OptionalDouble.empty() : OptionalDouble.of(n / 1e6);
    }

    /** {@code LocalStack.wake}: the control plane starts or resumes the compute; its refusals become the proxy's. */
    private static WakeResult wake(ControlPlane control, String branch) {
        try {
            return new WakeResult.Ready(control.wake(branch));
        } catch (ControlException e) {
            return switch (e.code()) {
                case UNKNOWN_BRANCH, INVALID_NAME -> new WakeResult.NoSuchBranch();
                default -> new WakeResult.Failed(e.getCause() != null && e.getCause().getMessage() != null
                        ? e.getCause().getMessage() : e.getMessage());
            };
        }
    }

    @Override
    public void close() {
        try {
            proxy.close();
        } finally {
            try {
                control.close();
            } finally {
                pageserver.close();
            }
        }
    }
}
