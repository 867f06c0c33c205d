package dev.sprout.compute.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends the PostgreSQL processes an earlier run of Sprout left behind under its computes' directory: after a
 * {@code kill -9} of {@code sprout up} the postmasters (in process groups of their own) outlive it, and when a
 * postmaster dies its backends, reparented to init, hang on the dead mount holding the old shared memory. They are
 * found by their working directory (PostgreSQL runs in its data directory, under a compute's mount point), which
 * the kernel reports without touching the dead mount, and by their executable. Called once the data directory is
 * locked (no other Sprout uses it), before any compute starts.
 */
public final class Leftovers {
    private static final Logger LOG = LoggerFactory.getLogger(Leftovers.class);

    private Leftovers() {}

    /** Kills every PostgreSQL process whose working directory is under {@code root}; answers how many. */
    public static int kill(Path root) {
        return kill(
                root, p -> p.info().command().map(c -> c.endsWith("/postgres")).orElse(false));
    }

    /** As {@link #kill(Path)}, for the processes {@code isPostgres} accepts (tests use other programs). */
    static int kill(Path root, Predicate<ProcessHandle> isPostgres) {
        String prefix = root.toAbsolutePath().normalize() + "/";
        List<ProcessHandle> found = new ArrayList<>();
        ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .filter(p -> cwd(p).filter(d -> (d + "/").startsWith(prefix)).isPresent())
                .filter(isPostgres)
                .forEach(found::add);
        if (found.isEmpty()) {
            return 0;
        }
        LOG.warn(
                "ending {} PostgreSQL process(es) an earlier run left under {}: {}",
                found.size(),
                root,
                found.stream().map(p -> Long.toString(p.pid())).toList());
        found.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle p : found) {
            try {
                p.onExit().get(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.warn("process {} did not exit within 10 s of SIGKILL: {}", p.pid(), e.toString());
            }
        }
        return found.size();
    }

    private static Optional<String> cwd(ProcessHandle p) {
        try {
            return Optional.of(Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "cwd"))
                    .toString());
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return Optional.empty(); // gone, or not ours to see
        }
    }
}
