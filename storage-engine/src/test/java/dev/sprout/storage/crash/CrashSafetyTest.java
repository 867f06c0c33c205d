package dev.sprout.storage.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sprout.storage.PageStore;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety with a real process: a child JVM ({@link CrashWriter}) commits batches with synced commits and
 * reports each acknowledged commit LSN; this test kills it with SIGKILL at random moments, reopens the store
 * in-process and checks (with {@link CrashVerifier}) that every acknowledged batch is fully present, at the
 * head and at its own LSN, and that no batch is partly visible. Then the next child continues where the store
 * left off.
 *
 * <p>{@value #WRITING_ROUNDS} rounds kill the child 50 to 600 ms after it is ready (while it commits); every
 * {@value #STARTUP_EVERY}th round instead kills it at a random moment of its start-up (JVM start, RocksDB open
 * and WAL recovery, setup). The seed printed by the test fixes the kill delays and the workload (not the
 * child's speed): rerun with {@code -Dsprout.crash.seed=<seed>}; {@code -Dsprout.crash.rounds=N} changes the
 * number of writing rounds.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CrashSafetyTest {
    static final int WRITING_ROUNDS = 20;
    static final int STARTUP_EVERY = 6;

    @TempDir
    Path tmp;

    private final List<ChildJvm> children = new ArrayList<>();

    @AfterEach
    void killStrayChildren() {
        children.forEach(ChildJvm::close);
    }

    @Test
    void acknowledgedBatchesSurviveSigkillAndNoBatchIsEverPartlyVisible() throws Exception {
        long seed = Long.getLong("sprout.crash.seed", new SecureRandom().nextLong());
        int writingRounds = Integer.getInteger("sprout.crash.rounds", WRITING_ROUNDS);
        System.out.println("CrashSafetyTest: seed " + seed + " (rerun with -Dsprout.crash.seed=" + seed + ")");
        Random rnd = new Random(seed);
        Path dir = tmp.resolve("store");
        CrashVerifier verifier = new CrashVerifier();
        long started = System.nanoTime();
        long readyMillis = 1000;
        int writingKills = 0;
        int startupKills = 0;
        int round = 0;

        while (writingKills < writingRounds) {
            round++;
            boolean startup = round % STARTUP_EVERY == 0;
            String ctx = "seed " + seed + ", round " + round;
            long next = verifier.lastCommitted() + 1;
            ChildJvm child = start(round, dir.toString());

            String ready;
            long delay;
            if (startup) {
                delay = rnd.nextLong(readyMillis + 1);
                Thread.sleep(delay);
                ready = child.lines().stream()
                        .filter(l -> l.startsWith("READY "))
                        .findFirst()
                        .orElse(null);
            } else {
                ready = child.awaitLine("READY ", 60_000);
                assertNotNull(
                        ready,
                        ctx + ": the child did not get ready; its output: " + child.lines() + child.stderrTail());
                readyMillis = child.millisSinceStart();
                delay = 50L + rnd.nextInt(551);
                Thread.sleep(delay);
            }
            if (!child.kill()) {
                fail(ctx + ": the child exited by itself before the kill; its output: " + child.lines()
                        + child.stderrTail());
            }
            int status = child.awaitExit(30_000);
            assertEquals(137, status, ctx + ": the child was killed with SIGKILL, exit status should be 128+9");
            List<String> lines = child.lines();
            lines.stream()
                    .filter(l -> l.startsWith("ERR"))
                    .findFirst()
                    .ifPresent(l -> fail(ctx + ": the child failed: " + l + child.stderrTail()));
            if (ready != null) {
                assertEquals(
                        "READY " + next,
                        ready.substring(0, ready.lastIndexOf(' ')),
                        ctx + ": the child should continue after the last committed batch " + (next - 1));
            }
            int acks = verifier.recordAcks(lines, next, ctx);
            if (ready == null) {
                assertEquals(0, acks, ctx + ": acknowledgements without READY: " + lines);
            }
            if (startup) {
                startupKills++;
            } else {
                writingKills++;
            }

            long h;
            long t0 = System.nanoTime();
            long openMillis;
            try (PageStore store = PageStore.open(CrashWorkload.options(dir))) {
                openMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                h = verifier.verify(
                        store,
                        ctx + " (killed " + delay + " ms after " + (startup ? "start" : "READY")
                                + "; acknowledged batches " + next + ".." + (next + acks - 1) + ")");
            }
            System.out.printf(
                    "round %2d: killed %3d ms after %-5s (ready after %4d ms), %3d batches acknowledged,"
                            + " last committed batch %4d; reopened in %3d ms, verified in %3d ms%s%n",
                    round,
                    delay,
                    startup ? "start" : "READY",
                    readyMillis,
                    acks,
                    h,
                    openMillis,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) - openMillis,
                    h > verifier.lastAcked() ? " (the batch in flight made it, unacknowledged)" : "");
        }

        // After all those crashes the store still works: a child writes a few batches and closes cleanly.
        long next = verifier.lastCommitted() + 1;
        ChildJvm last = start(round + 1, dir.toString(), "--max-seq=" + (next + 9));
        int status = last.awaitExit(60_000);
        assertEquals(0, status, "seed " + seed + ": the final child failed: " + last.lines() + last.stderrTail());
        assertEquals(
                10,
                verifier.recordAcks(last.lines(), next, "seed " + seed + ", final run"),
                "final run: " + last.lines());
        try (PageStore store = PageStore.open(CrashWorkload.options(dir))) {
            assertEquals(next + 9, verifier.verify(store, "seed " + seed + ", after the final clean run"));
        }

        long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        System.out.printf(
                "CrashSafetyTest: seed %d, %d kills while writing + %d during start-up, %d batches acknowledged,"
                        + " %d committed but unacknowledged, %d page reads checked, %d ms%n",
                seed,
                writingKills,
                startupKills,
                verifier.acked().size(),
                verifier.committedUnacked(),
                verifier.pagesChecked(),
                elapsed);
        assertTrue(
                verifier.acked().size() >= writingRounds,
                "seed " + seed + ": only " + verifier.acked().size() + " batches were acknowledged in " + writingRounds
                        + " writing rounds: the kills came too early to test much");
    }

    private ChildJvm start(int round, String... args) throws Exception {
        ChildJvm child = ChildJvm.start(tmp.resolve("child-" + round), args);
        children.add(child);
        return child;
    }
}
