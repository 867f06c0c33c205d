package dev.sprout.compute.postgres;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs a short-lived command to completion and captures its stdout and stderr together.
 *
 * <p>Concurrency: stateless; any thread may call it.
 */
final class Exec {
    /** What a finished command left: its exit code and its merged output. */
    record Result(int exitCode, String output) {}

    private Exec() {}

    /**
     * Runs {@code command} with stdin from {@code /dev/null}, in {@code workDir} (or the JVM's directory when
     * null), and waits for it. Interrupting the caller kills the command.
     */
    static Result run(List<String> command, Path workDir) {
        return run(command, workDir, new File("/dev/null"));
    }

    /** {@link #run(List, Path)} with stdin from {@code stdin}. */
    static Result run(List<String> command, Path workDir, File stdin) {
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(stdin));
        if (workDir != null) {
            builder.directory(workDir.toFile());
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new PostgresException("could not run " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
        String output;
        try (InputStream in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            process.destroyForcibly();
            throw new PostgresException("could not read the output of " + String.join(" ", command), e);
        }
        try {
            return new Result(process.waitFor(), output);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new PostgresException("interrupted while running " + String.join(" ", command), e);
        }
    }
}
