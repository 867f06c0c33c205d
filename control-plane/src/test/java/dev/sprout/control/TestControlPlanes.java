package dev.sprout.control;

import dev.sprout.compute.ComputeSpec;
import dev.sprout.pageserver.Pageserver;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.testkit.Ports;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The control-plane tests' stack: a control plane on a running pageserver's store whose computes live under
 * {@code base/computes}, each holding the credential of its own timeline and reaching the pageserver by direct
 * calls, as the assembly ({@code SproutNode}) gives them. (The compute module's own tests use the page port.)
 */
public final class TestControlPlanes {
    private TestControlPlanes() {}

    /** Opens a control plane on {@code pageserver}'s store, with {@code main} as the root's timeline. */
    public static ControlPlane open(Pageserver pageserver, Path base, Clock clock, TimelineId main, String password) {
        return open(pageserver, base, clock, main, password, java.time.Duration.ZERO);
    }

    /** As above, computes suspended after {@code idleSuspend} without a client (zero: never). */
    public static ControlPlane open(
            Pageserver pageserver,
            Path base,
            Clock clock,
            TimelineId main,
            String password,
            java.time.Duration idleSuspend) {
        return ControlPlane.open(
                pageserver.store(),
                (branch, timeline) -> ComputeSpec.of(
                                "127.0.0.1",
                                pageserver.pagePort(),
                                timeline.toString(),
                                base.resolve("computes")
                                        .resolve(branch.replace('/', '.') + "-"
                                                + timeline.toString().substring(0, 8)),
                                Ports.free(),
                                password)
                        .withPageserverCredential(pageserver.credentials().forTimeline(timeline.toString()))
                        .withInProcessPages(pageserver.inProcess())
                        .withIdleSuspend(idleSuspend),
                clock,
                main,
                0,
                0);
    }
}
