package dev.sprout.bench.compute;

import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.ComputeSpec;
import dev.sprout.compute.postgres.OsUser;
import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.pageserver.Pageserver;
import dev.sprout.testkit.Ports;
import java.nio.file.Path;
import java.util.Map;

/** What every step of the compute benchmarks shares. */
record Env(
        Settings settings,
        Pageserver pageserver,
        PostgresInstall install,
        OsUser user,
        String password,
        Path runDir,
        Map<String, String> pgSettings,
        Pgbench pgbench,
        boolean inProcessPages) {

    /**
     * A compute on {@code timeline} in {@code runDir/name}, with the benchmark's settings, reaching the pageserver
     * by direct calls ({@code sprout up}'s way) or through its page port ({@code --page-transport}).
     */
    ComputeSpec computeSpec(String timeline, String name) {
        ComputeSpec spec = ComputeSpec.of(
                        "127.0.0.1", pageserver.pagePort(), timeline, runDir.resolve(name), Ports.free(), password)
                .withPageserverCredential(pageserver.credentials().pageService().value())
                .withSettings(pgSettings);
        return inProcessPages ? spec.withInProcessPages(pageserver.inProcess()) : spec;
    }

    /** Copies {@code file} into the log directory as {@code name}; a missing file is fine. */
    void keepLog(Path file, String name) {
        BenchEnv.keepLog(file, settings.logs().resolve(name));
    }
}
