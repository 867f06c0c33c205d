package dev.sprout.compute.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates a PostgreSQL cluster in {@code dataDir} with {@code initdb}, run as {@code osUser}: superuser
 * {@code superuser} with password {@code password}, UTF8 without locale, every connection, local (Unix-socket)
 * and TCP, authenticated by SCRAM-SHA-256 (nothing trusted: a socket is no proof of who connects), plus {@code --no-sync} when {@code noSync} and
 * then {@code extraArgs}.
 *
 * <p>The caller prepares the directory: {@code dataDir} must not exist or be empty, and its parent must exist
 * and be writable by {@code osUser} (a root caller creates it and {@link OsUser#chown gives it} to the user).
 * The password reaches initdb in a temporary file of the JVM's temporary directory, readable by {@code osUser}
 * only and deleted afterwards.
 *
 * <p>Concurrency: immutable; {@link #run()} may be called from any thread, once per data directory.
 */
public record Initdb(
        PostgresInstall install,
        OsUser osUser,
        Path dataDir,
        String superuser,
        String password,
        boolean noSync,
        List<String> extraArgs) {
    private static final Logger LOG = LoggerFactory.getLogger(Initdb.class);
    private static final int OUTPUT_TAIL_LINES = 20;

    public Initdb {
        Objects.requireNonNull(install, "install");
        Objects.requireNonNull(osUser, "osUser");
        dataDir = dataDir.toAbsolutePath().normalize();
        if (dataDir.getParent() == null) {
            throw new IllegalArgumentException("dataDir has no parent: " + dataDir);
        }
        if (superuser == null || superuser.isBlank()) {
            throw new IllegalArgumentException("superuser must not be blank: '" + superuser + "'");
        }
        if (password == null || password.isEmpty() || password.contains("\n")) {
            throw new IllegalArgumentException("password must be one non-empty line");
        }
        extraArgs = List.copyOf(extraArgs);
    }

    /**
     * Runs initdb and returns how long it took.
     *
     * @throws PostgresException when initdb fails; the message holds its exit code and last lines of output
     */
    public Duration run() {
        Path pwfile = writePasswordFile();
        try {
            List<String> command = new ArrayList<>(List.of(
                    install.tool("initdb").toString(),
                    "-D",
                    dataDir.toString(),
                    "-U",
                    superuser,
                    "--auth-local=scram-sha-256",
                    "--auth-host=scram-sha-256",
                    "--pwfile=" + pwfile,
                    "-E",
                    "UTF8",
                    "--no-locale"));
            if (noSync) {
                command.add("--no-sync");
            }
            command.addAll(extraArgs);
            long start = System.nanoTime();
            Exec.Result result = Exec.run(osUser.wrap(command), dataDir.getParent());
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            if (result.exitCode() != 0) {
                throw new PostgresException("initdb of " + dataDir + " as " + osUser.name() + " exited with "
                        + result.exitCode() + "; its output ends with:\n"
                        + Tail.lastLines(result.output(), OUTPUT_TAIL_LINES));
            }
            LOG.info("initdb of {} took {} ms", dataDir, elapsed.toMillis());
            return elapsed;
        } finally {
            try {
                Files.deleteIfExists(pwfile);
            } catch (IOException e) {
                LOG.warn("could not delete the initdb password file {}: {}", pwfile, e.toString());
            }
        }
    }

    /** Everything but the password. */
    @Override
    public String toString() {
        return "Initdb[dataDir=" + dataDir + ", superuser=" + superuser + ", osUser=" + osUser.name() + ", noSync="
                + noSync + ", extraArgs=" + extraArgs + ", install=" + install + "]";
    }

    private Path writePasswordFile() {
        return osUser.privateTempFile("sprout-initdb-", ".pw", password + "\n", "the initdb password file");
    }
}
