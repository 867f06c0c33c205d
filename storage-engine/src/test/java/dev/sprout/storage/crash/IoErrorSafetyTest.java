package dev.sprout.storage.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sprout.storage.PageStore;
import dev.sprout.storage.error.StorageIoException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write error in the middle of commits, with a real one rather than a mock: the child ({@link CrashWriter})
 * lowers its own RLIMIT_FSIZE once the store is open, so RocksDB's write that would grow a file (the WAL)
 * past the limit fails with EFBIG, as on a full disk (the JVM ignores SIGXFSZ). Needs Linux, no root.
 *
 * <p>Checks that the failing commit throws {@link StorageIoException}, that after reopening (without the limit)
 * every acknowledged batch is fully present and nothing of the failed batch is visible, and that the store
 * can still be closed, and then takes commits again. Three rounds on one store, each with another limit (1 to 2 MiB), so the error
 * hits another offset of the WAL.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class IoErrorSafetyTest {
    static final int ROUNDS = 3;

    @TempDir
    Path tmp;

    private final List<ChildJvm> children = new ArrayList<>();

    @BeforeEach
    void onLinuxOnly() {
        Assumptions.assumeTrue(
                System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux"),
                "RLIMIT_FSIZE is only set on Linux");
    }

    @AfterEach
    void killStrayChildren() {
        children.forEach(ChildJvm::close);
    }

    @Test
    void aFailedWriteLosesNoAcknowledgedBatchAndLeavesNothingOfTheFailedOne() throws Exception {
        long seed = Long.getLong("sprout.crash.seed", new SecureRandom().nextLong());
        System.out.println("IoErrorSafetyTest: seed " + seed + " (rerun with -Dsprout.crash.seed=" + seed + ")");
        Random rnd = new Random(seed);
        Path dir = tmp.resolve("store");
        CrashVerifier verifier = new CrashVerifier();

        for (int round = 1; round <= ROUNDS; round++) {
            String ctx = "seed " + seed + ", round " + round;
            long limit = (1L << 20) + rnd.nextInt(1 << 20);
            long next = verifier.lastCommitted() + 1;
            ChildJvm child = start(
                    "limited-" + round,
                    dir.toString(),
                    "--fsize-limit=" + limit,
                    "--retries=3",
                    "--max-seq=" + (next + 5000));
            int status = child.awaitExit(60_000);
            List<String> lines = child.lines();
            lines.stream()
                    .filter(l -> l.startsWith("SKIP "))
                    .findFirst()
                    .ifPresent(l -> Assumptions.abort("cannot limit the child's file size: " + l.substring(5)));
            lines.stream()
                    .filter(l -> l.startsWith("ERR"))
                    .findFirst()
                    .ifPresent(l -> fail(ctx + ": the child failed: " + l + child.stderrTail()));
            assertEquals(0, status, ctx + ": child exit status; output: " + tail(lines) + child.stderrTail());
            assertTrue(
                    lines.stream().anyMatch(l -> l.startsWith("READY " + next + " ")),
                    ctx + ": the child should have continued at batch " + next + ": " + tail(lines));

            List<String> failures =
                    lines.stream().filter(l -> l.startsWith("FAIL ")).toList();
            assertEquals(
                    3,
                    failures.size(),
                    ctx + ": with RLIMIT_FSIZE " + limit + " the commits should have failed: " + tail(lines));
            int acks = verifier.recordAcks(lines, next, ctx);
            long failedSeq = verifier.lastAcked() + 1;
            for (String f : failures) {
                assertTrue(
                        f.startsWith("FAIL " + failedSeq + " " + StorageIoException.class.getName() + ": "),
                        ctx
                                + ": a commit refused for an I/O error should throw StorageIoException and the child retry batch "
                                + failedSeq + ": " + f);
            }
            assertFalse(
                    lines.stream()
                            .anyMatch(l -> l.startsWith("ACK ") && lines.indexOf(l) > lines.indexOf(failures.get(0))),
                    ctx + ": a commit was acknowledged after the first I/O error: " + tail(lines));
            String closed = lines.getLast();
            assertEquals(
                    "CLOSED", closed, ctx + ": closing the store after the I/O error should succeed: " + tail(lines));
            System.out.printf(
                    "round %d: RLIMIT_FSIZE %d: %d batches acknowledged, then batch %d failed: %s; then closed%n",
                    round,
                    limit,
                    acks,
                    failedSeq,
                    failures.get(0).substring(failures.get(0).indexOf(' ', 5) + 1));

            try (PageStore store = PageStore.open(CrashWorkload.options(dir))) {
                long h = verifier.verify(
                        store,
                        ctx + " (RLIMIT_FSIZE " + limit + ", acknowledged batches " + next + ".." + (next + acks - 1)
                                + ", batch " + failedSeq + " failed)");
                assertEquals(
                        verifier.lastAcked(),
                        h,
                        ctx + ": batch " + failedSeq + " failed with StorageIoException (\""
                                + failures.get(0)
                                + "\"), so nothing of it may be visible after reopening, yet it is all there at LSN "
                                + verifier.committedLsn(h) + " (the store says a refused call writes nothing)");
            }
        }

        // Without the limit, the store takes commits again and closes cleanly.
        long next = verifier.lastCommitted() + 1;
        ChildJvm last = start("unlimited", dir.toString(), "--max-seq=" + (next + 9));
        assertEquals(
                0,
                last.awaitExit(60_000),
                "seed " + seed + ": the final child failed: " + last.lines() + last.stderrTail());
        assertEquals(10, verifier.recordAcks(last.lines(), next, "seed " + seed + ", final run"));
        try (PageStore store = PageStore.open(CrashWorkload.options(dir))) {
            assertEquals(next + 9, verifier.verify(store, "seed " + seed + ", after the final run without a limit"));
        }
    }

    private ChildJvm start(String name, String... args) throws Exception {
        ChildJvm child = ChildJvm.start(tmp.resolve("child-" + name), args);
        children.add(child);
        return child;
    }

    private static List<String> tail(List<String> lines) {
        return lines.size() <= 8 ? lines : lines.subList(lines.size() - 8, lines.size());
    }
}
