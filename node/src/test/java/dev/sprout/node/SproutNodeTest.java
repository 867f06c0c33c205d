package dev.sprout.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.proxy.wake.WakeResult;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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

    private static String permissions(Path file) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
