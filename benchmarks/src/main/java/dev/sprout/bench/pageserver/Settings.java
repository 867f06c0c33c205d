package dev.sprout.bench.pageserver;

import dev.sprout.bench.pageserver.measure.Phases;
import dev.sprout.bench.pageserver.server.ServerUnderTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * One run's choices.
 *
 * @param quick         tiny datasets and short phases: proves that everything runs; the figures mean little
 * @param server        where the pageserver runs
 * @param row           warm-up and measurement of every timed row
 * @param branchWarmup  branch creations made (and deleted) before the measured ones
 * @param branches      branch creations measured, per way of creating them
 * @param clientWarmup  {@code GET /healthz} calls that warm an HTTP client up before its branch creations
 * @param out           where logs of child pageservers go
 * @param groups        the groups to run: getpages, commit, branch
 */
record Settings(
        boolean quick,
        ServerUnderTest.Mode server,
        Phases row,
        int branchWarmup,
        int branches,
        int clientWarmup,
        Path out,
        Set<String> groups) {

    static Settings of(boolean quick, ServerUnderTest.Mode server, Path out, Set<String> groups) {
        return quick
                ? new Settings(
                        true,
                        server,
                        new Phases(Duration.ofMillis(300), Duration.ofSeconds(1)),
                        20,
                        100,
                        200,
                        out,
                        groups)
                : new Settings(
                        false,
                        server,
                        new Phases(Duration.ofSeconds(2), Duration.ofSeconds(5)),
                        100,
                        1_000,
                        3_000,
                        out,
                        groups);
    }
}
