package dev.sprout.compute.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real processes, found by their working directory through /proc. */
class LeftoversTest {
    @TempDir
    Path dir;

    @Test
    void theProcessesRunningUnderTheComputesDirectoryEndAndNoOthers() throws Exception {
        Path computes = Files.createDirectories(dir.resolve("computes"));
        Path dataDir = Files.createDirectories(
                computes.resolve("feature-x").resolve("mnt").resolve("pgdata"));
        Path elsewhere = Files.createDirectories(dir.resolve("computes-other"));
        Process inside =
                new ProcessBuilder("sleep", "300").directory(dataDir.toFile()).start();
        Process outside =
                new ProcessBuilder("sleep", "300").directory(elsewhere.toFile()).start();
        try {
            int killed = Leftovers.kill(computes, p -> p.pid() == inside.pid() || p.pid() == outside.pid());
            assertEquals(1, killed, "only the one under computes/ (not computes-other/)");
            assertTrue(inside.waitFor(10, TimeUnit.SECONDS));
            assertTrue(outside.isAlive());
            assertEquals(0, Leftovers.kill(computes, p -> p.pid() == outside.pid()), "nothing left to end");
            assertFalse(inside.isAlive());
        } finally {
            inside.destroyForcibly();
            outside.destroyForcibly();
        }
    }
}
