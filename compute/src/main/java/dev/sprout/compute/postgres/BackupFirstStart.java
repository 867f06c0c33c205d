package dev.sprout.compute.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first start of a data directory that is a base backup of another server (it holds {@code backup_label}):
 * PostgreSQL runs once in single-user mode, which completes backup recovery (replays the WAL the backup carries
 * and writes a shutdown checkpoint), and in the same run makes {@code superuser} a superuser that logs in with
 * {@code password}, creating the role when the source had none of that name. The compute's agent connects as that
 * role; every other role of the source keeps its password.
 *
 * <p>The statements reach PostgreSQL on stdin from a file readable by {@code osUser} only, deleted afterwards;
 * {@code log_statement} and {@code log_min_error_statement} are set so that no statement (it holds the password) is
 * logged, and the password is cut from any output kept in an error.
 *
 * <p>The same run makes a copy of a hot standby (a branch of a follower, its {@code standby.signal} removed) a
 * primary: crash recovery to the end of the WAL it holds, then the role.
 *
 * <p>Concurrency: immutable; {@link #run()} once per data directory, with no server running on it.
 */
public record BackupFirstStart(
        PostgresInstall install,
        OsUser osUser,
        Path dataDir,
        Map<String, String> settings,
        String superuser,
        String password) {
    private static final Logger LOG = LoggerFactory.getLogger(BackupFirstStart.class);
    private static final Pattern ROLE = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final int OUTPUT_TAIL_LINES = 20;

    public BackupFirstStart {
        Objects.requireNonNull(install, "install");
        Objects.requireNonNull(osUser, "osUser");
        dataDir = dataDir.toAbsolutePath().normalize();
        settings = Map.copyOf(settings);
        if (!ROLE.matcher(superuser).matches()) {
            throw new IllegalArgumentException("superuser must be a plain lower-case identifier: '" + superuser + "'");
        }
        if (password.isEmpty() || password.contains("\n")) {
            throw new IllegalArgumentException("password must be one non-empty line");
        }
    }

    /** Whether {@code dataDir} is a base backup that has not been started yet. */
    public static boolean needed(Path dataDir) {
        return Files.exists(dataDir.resolve("backup_label"));
    }

    /**
     * Runs PostgreSQL in single-user mode on the data directory and returns how long it took.
     *
     * @throws PostgresException when it fails (recovery, or a statement); the message holds the end of its output
     */
    public Duration run() {
        try {
            // a branch of a running follower inherits its postmaster.pid; the caller guarantees none runs here
            Files.deleteIfExists(dataDir.resolve("postmaster.pid"));
        } catch (IOException e) {
            throw new PostgresException("could not delete the inherited postmaster.pid in " + dataDir + ": " + e, e);
        }
        Path script = writeScript();
        try {
            List<String> command =
                    new ArrayList<>(List.of(install.tool("postgres").toString(), "--single", "-D", dataDir.toString()));
            settings.forEach((name, value) -> {
                command.add("-c");
                command.add(name + "=" + value);
            });
            command.addAll(List.of(
                    "-c",
                    "log_statement=none",
                    "-c",
                    "log_min_error_statement=panic",
                    "-c",
                    "log_min_messages=log",
                    "-c",
                    "log_checkpoints=on"));
            command.add("template1");
            long start = System.nanoTime();
            Exec.Result result = Exec.run(osUser.wrap(command), dataDir, script.toFile());
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            String output = result.output().replace(password, "********");
            if (result.exitCode() != 0 || output.contains("ERROR:") || output.contains("FATAL:")) {
                throw new PostgresException("the first start of the base backup in " + dataDir
                        + " (single-user mode: backup recovery, then role " + superuser + ") failed with exit code "
                        + result.exitCode() + "; its output ends with:\n"
                        + Tail.lastLines(output, OUTPUT_TAIL_LINES));
            }
            if (needed(dataDir)) {
                throw new PostgresException("the first start of the base backup in " + dataDir
                        + " ended without completing backup recovery (backup_label is still there); output:\n"
                        + Tail.lastLines(output, OUTPUT_TAIL_LINES));
            }
            LOG.info(
                    "backup recovery and role {} on {} took {} ms{}",
                    superuser,
                    dataDir,
                    took.toMillis(),
                    recoveryLines(output));
            return took;
        } finally {
            try {
                Files.deleteIfExists(script);
            } catch (IOException e) {
                LOG.warn("could not delete the statements file {}: {}", script, e.toString());
            }
        }
    }

    /** PostgreSQL's own account of the recovery (where redo started and ended, its checkpoint), for the log. */
    static String recoveryLines(String output) {
        StringBuilder out = new StringBuilder();
        for (String line : output.split("\n", -1)) {
            if (line.contains("redo ")
                    || line.contains("checkpoint complete")
                    || line.contains("checkpoint starting")) {
                out.append("\n  ").append(line.strip());
            }
        }
        return out.toString();
    }

    /** Everything but the password. */
    @Override
    public String toString() {
        return "BackupFirstStart[dataDir=" + dataDir + ", superuser=" + superuser + ", osUser=" + osUser.name() + "]";
    }

    /** One statement per line: single-user mode runs each line as it comes. */
    private String statements() {
        String literal = "'" + password.replace("'", "''") + "'";
        return "SET password_encryption = 'scram-sha-256';\n"
                + "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '" + superuser
                + "') THEN CREATE ROLE " + superuser + "; END IF; END$$;\n"
                + "ALTER ROLE " + superuser + " WITH SUPERUSER LOGIN PASSWORD " + literal + ";\n";
    }

    private Path writeScript() {
        return osUser.privateTempFile("sprout-first-start-", ".sql", statements(), "the first start's statements file");
    }
}
