package dev.sprout.compute.load;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * One run of a PostgreSQL client program of a logical import ({@code pg_dump}, {@code pg_dumpall}, {@code
 * pg_restore}): its stderr is read line by line and each line handed to a listener (which turns the verbose lines
 * into progress); what it says that is not progress (errors, warnings, their details, the statement that failed) is
 * kept for the sentence when it fails; its stdout is collected when asked for, else discarded. Passwords reach it in
 * its environment ({@code PGPASSWORD}), never on its command line.
 *
 * <p>Not thread-safe, but {@link #close()} may come from another thread (a shutdown hook): it kills the program and
 * the workers it forked ({@code -j}).
 */
final class PgTool implements AutoCloseable {
    private static final int TAIL_LINES = 12;
    private static final int TROUBLE_LOG_LINES = 400;
    /** What is trouble rather than progress in a client program's stderr. */
    private static final Pattern TROUBLE = Pattern.compile(
            "^(pg_[a-z]+: (error|warning|detail|hint)|ERROR|FATAL|DETAIL|HINT|LINE \\d+|Command was)|^[^p]|^p(?!g_)");

    private final String name;
    private final Process process;
    private final Thread stderrReader;
    private final Thread stdoutReader;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final Deque<String> trouble = new ArrayDeque<>();
    private final Deque<String> last = new ArrayDeque<>();
    /** Every line of trouble, up to {@link #TROUBLE_LOG_LINES}. */
    private final List<String> troubleLog = new ArrayList<>();

    private PgTool(String name, Process process, boolean captureStdout, Consumer<String> lines) {
        this.name = name;
        this.process = process;
        this.stderrReader = Thread.ofPlatform()
                .daemon()
                .name(name + "-stderr")
                .start(() -> readStderr(process.getErrorStream(), lines));
        this.stdoutReader = captureStdout
                ? Thread.ofPlatform().daemon().name(name + "-stdout").start(this::readStdout)
                : null;
    }

    /**
     * Starts {@code command} (its first element the program's path) with {@code env} set in its environment. With
     * {@code clean}, no other {@code PG*} variable of this process reaches it (the branch's compute is reached with
     * what the command names alone); else only {@code PGPASSWORD} is taken out (the source may be reached with the
     * user's {@code PGSSLMODE} and the like). Each stderr line goes to {@code lines}, on a thread of its own.
     */
    static PgTool start(
            List<String> command,
            Map<String, String> env,
            boolean clean,
            boolean captureStdout,
            Consumer<String> lines) {
        String name = java.nio.file.Path.of(command.getFirst()).getFileName().toString();
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> environment = pb.environment();
        if (clean) {
            environment.keySet().removeIf(k -> k.startsWith("PG"));
        } else {
            environment.remove("PGPASSWORD");
        }
        environment.put("PGCONNECT_TIMEOUT", "10");
        environment.putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (!captureStdout) {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        }
        try {
            return new PgTool(name, pb.start(), captureStdout, lines);
        } catch (IOException e) {
            throw new LoadException("cannot run " + name + ": " + e.getMessage(), e);
        }
    }

    /** Waits for it to exit; its exit code. */
    int await() {
        try {
            int exit = process.waitFor();
            stderrReader.join();
            if (stdoutReader != null) {
                stdoutReader.join();
            }
            return exit;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new LoadException("interrupted while " + name + " ran", e);
        }
    }

    /** Waits for it to exit and throws, naming {@code what} and what it said, unless it exited with 0. */
    void awaitSuccess(String what) {
        int exit = await();
        if (exit != 0) {
            throw new LoadException(what + " failed (" + name + " exited with " + exit + "):\n" + said());
        }
    }

    /** What it wrote to stdout (when captured), as UTF-8. */
    String stdout() {
        synchronized (stdout) {
            return stdout.toString(StandardCharsets.UTF_8);
        }
    }

    /** Its last lines of trouble (errors, warnings, details), else its last lines. */
    synchronized String said() {
        return String.join("\n", trouble.isEmpty() ? last : trouble);
    }

    /** Every line of trouble it wrote, in order (the first {@value #TROUBLE_LOG_LINES}). */
    synchronized List<String> troubleLog() {
        return List.copyOf(troubleLog);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    private void readStdout() {
        try (InputStream in = process.getInputStream()) {
            byte[] buffer = new byte[8192];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                synchronized (stdout) {
                    stdout.write(buffer, 0, n);
                }
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    private void readStderr(InputStream err, Consumer<String> lines) {
        try (Reader r = new InputStreamReader(err, StandardCharsets.UTF_8)) {
            StringBuilder line = new StringBuilder();
            for (int c = r.read(); c >= 0; c = r.read()) {
                if (c == '\n') {
                    done(line.toString(), lines);
                    line.setLength(0);
                } else {
                    line.append((char) c);
                }
            }
            done(line.toString(), lines);
        } catch (IOException e) {
            // the process ended
        }
    }

    private void done(String line, Consumer<String> lines) {
        if (line.isBlank()) {
            return;
        }
        String text = line.stripTrailing();
        synchronized (this) {
            keep(last, text);
            if (TROUBLE.matcher(text).find()) {
                keep(trouble, text);
                if (troubleLog.size() < TROUBLE_LOG_LINES) {
                    troubleLog.add(text);
                }
            }
        }
        try {
            lines.accept(text);
        } catch (RuntimeException e) {
            // a listener's failure must not stop the reading (the program would block on a full pipe)
        }
    }

    private static void keep(Deque<String> tail, String line) {
        tail.addLast(line);
        while (tail.size() > TAIL_LINES) {
            tail.removeFirst();
        }
    }
}
