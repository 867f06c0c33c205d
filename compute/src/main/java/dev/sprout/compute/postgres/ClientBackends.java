package dev.sprout.compute.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * Counts a postmaster's client backends from its children's process titles ({@code /proc/PID/cmdline}), without a
 * connection: PostgreSQL titles a client backend {@code postgres: USER DB HOST(PORT) STATE}, or {@code [local]} for
 * a Unix socket, and every other child (checkpointer, walwriter, autovacuum, startup...) otherwise. A connection
 * still authenticating keeps the postmaster's title and is not counted; a walsender (a standby streaming) is.
 * Asking PostgreSQL instead forks a backend that reads the catalogs, through FUSE on a compute, for each question.
 */
public final class ClientBackends {
    private static final Pattern CLIENT = Pattern.compile("^postgres: .*(\\[local\\]|\\S+\\(\\d+\\))( |$)");

    private ClientBackends() {}

    /** The client backends of postmaster {@code pid}; empty when the process or its titles cannot be seen. */
    public static OptionalInt of(long postmasterPid) {
        Optional<ProcessHandle> postmaster = ProcessHandle.of(postmasterPid);
        if (postmaster.isEmpty() || !Files.isReadable(Path.of("/proc", Long.toString(postmasterPid), "cmdline"))) {
            return OptionalInt.empty();
        }
        return OptionalInt.of((int)
                postmaster.get().children().filter(ClientBackends::isClient).count());
    }

    /** Whether process title {@code title} (its cmdline, NULs as spaces) is a client backend's. */
    public static boolean isClientTitle(String title) {
        return CLIENT.matcher(title).find();
    }

    private static boolean isClient(ProcessHandle h) {
        try {
            return isClientTitle(Files.readString(Path.of("/proc", Long.toString(h.pid()), "cmdline"))
                    .replace('\0', ' ')
                    .trim());
        } catch (IOException e) {
            return false; // it has exited
        }
    }
}
