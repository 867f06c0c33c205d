package dev.sprout.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.control.ControlPlane;
import dev.sprout.proxy.wake.WakeResult;
import dev.sprout.storage.timeline.BranchPoint;
import dev.sprout.testkit.ManualClock;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The assembly on a real store and real ports, without PostgreSQL: wiring, the wake-up's refusals, failures. */
class SproutNodeTest {
    @TempDir
    Path dir;

    @Test
    void startsThePartsWiredTogetherAndTheWakeUpAnswersForTheControlPlane() {
        try (SproutNode node = SproutNode.builder(dir).ports(0, 0).start()) {
            assertTrue(
                    node.control().list().stream()
                            .anyMatch(v -> v.branch().name().equals("main")),
                    "main is made");
            assertEquals(
                    SproutNode.MAIN_TIMELINE,
                    node.control().get("main").branch().timeline());
            assertTrue(node.proxy().isEmpty(), "no proxy unless asked");
            assertEquals("rw-------", permissions(dir.resolve(SproutNode.PASSWORD_FILE)));
            assertEquals(node.password(), SproutNode.password(dir), "the password is kept for the next start");

            ControlEndpoints endpoints = new ControlEndpoints(node.control());
            assertInstanceOf(WakeResult.NoSuchBranch.class, endpoints.wake("nope"));
            assertInstanceOf(WakeResult.NoSuchBranch.class, endpoints.wake("Not A Name"));
            assertTrue(endpoints.now("main").isEmpty(), "main's compute does not run: no answer without blocking");
        }
    }

    @Test
    void aPortInUseIsAPageserverFailureAndNothingIsLeftRunning() throws IOException {
        try (ServerSocket taken = new ServerSocket(0)) {
            SproutNode.NodeStartException e = assertThrows(
                    SproutNode.NodeStartException.class,
                    () -> SproutNode.builder(dir).ports(taken.getLocalPort(), 0).start());
            assertEquals(SproutNode.Part.PAGESERVER, e.part());
            assertTrue(e.getMessage().contains(Integer.toString(taken.getLocalPort())), e.getMessage());
        }
        // The store was closed again: a second start on the same directory opens it.
        try (SproutNode node = SproutNode.builder(dir).ports(0, 0).start()) {
            assertEquals(1, node.control().list().size());
        }
    }

    @Test
    void theNodeDeletesABranchWhoseLeaseLapsedByItself() throws InterruptedException {
        ManualClock clock = new ManualClock(Instant.parse("2026-12-07T10:00:00Z"));
        try (SproutNode node = SproutNode.builder(dir)
                .ports(0, 0)
                .clock(clock)
                .expirySweep(Duration.ofMillis(20))
                .start()) {
            node.control()
                    .create(
                            "ci-1",
                            "main",
                            new BranchPoint.Head(),
                            new ControlPlane.Lifecycle(
                                    Optional.empty(), Optional.of(Duration.ofMinutes(1)), Optional.empty(), false));
            Thread.sleep(100); // several sweeps: the lease has not lapsed on the node's clock
            assertEquals(2, node.control().list().size());
            clock.advance(Duration.ofMinutes(2));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (node.control().list().size() > 1 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(
                    List.of("main"),
                    node.control().list().stream().map(v -> v.branch().name()).toList(),
                    "the sweep deleted the branch whose lease lapsed");
        }
    }

    private static String permissions(Path file) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
