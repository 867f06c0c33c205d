package dev.sprout.cli.imports;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a PostgreSQL client program (pgbench, pg_amcheck) to completion as this JVM's user, its password in
 * {@code PGPASSWORD} (never on the command line) and no other {@code PG*} variable of the JVM's environment, and
 * returns its output, stdout and stderr together; an exit code other than 0, or no exit within the timeout, is
 * an {@link AssertionError} holding the command and its output.
 */
final class ClientProgram {
    private ClientProgram() {}

    static String run(List<String> command, String password, Duration timeout) {
        String shown = String.join(" ", command);
        Path output;
        try {
            output = Files.createTempFile("sprout-client-", ".out");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a file for the output of " + shown, e);
        }
        try {
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().keySet().removeIf(name -> name.startsWith("PG"));
            pb.environment().put("PGPASSWORD", password);
            pb.environment().put("PGCONNECT_TIMEOUT", "10");
            Process process = pb.start();
            boolean exited;
            try {
                exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while running " + shown, e);
            }
            if (!exited) {
                process.destroyForcibly();
            }
            String out = Files.readString(output, StandardCharsets.UTF_8);
            if (!exited) {
                throw new AssertionError(
                        shown + " did not finish within " + timeout.toSeconds() + " s; output:\n" + out);
            }
            if (process.exitValue() != 0) {
                throw new AssertionError(shown + " exited with " + process.exitValue() + "; output:\n" + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + shown, e);
        } finally {
            try {
                Files.deleteIfExists(output);
            } catch (IOException e) {
                System.err.println("ClientProgram: cannot delete " + output + ": " + e);
            }
        }
    }
}
