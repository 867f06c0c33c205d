package dev.sprout.compute.load;

import dev.sprout.compute.postgres.PostgresInstall;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real {@code pg_basebackup}, run as a client of the source over the replication protocol, writing the data
 * directory as one tar stream to its stdout ({@code -Ft -D -}) with the WAL the backup needs inside it
 * ({@code -X fetch}; a temporary slot of {@link SourceServer#holdWal} keeps that WAL on the source) and a fast
 * checkpoint to start. The password reaches it in {@code PGPASSWORD}, never on its command line; libpq's own
 * {@code ~/.pgpass} works as usual. Its progress report ({@code -P}) feeds {@code totalBytes}.
 *
 * <p>Not thread-safe: {@link #start}, read {@link #tar()} to its end, then {@link #finish()}; {@link #close()} kills
 * it when the import stops early.
 */
public final class BaseBackup implements AutoCloseable {
    private static final Pattern PROGRESS = Pattern.compile("(\\d+)/(\\d+) kB");
    private static final int TAIL_LINES = 12;

    private final Process process;
    private final Thread stderrReader;
    private final Deque<String> tail = new ArrayDeque<>();

    private BaseBackup(Process process, LongConsumer totalBytes) {
        this.process = process;
        this.stderrReader = Thread.ofPlatform()
                .daemon()
                .name("pg_basebackup-stderr")
                .start(() -> readStderr(process.getErrorStream(), totalBytes));
    }

    /** Starts pg_basebackup of {@code source}. */
    public static BaseBackup start(PostgresInstall install, SourceUrl source, LongConsumer totalBytes) {
        List<String> command = List.of(
                install.tool("pg_basebackup").toString(),
                "-d",
                source.conninfo("sprout-import"),
                "-D",
                "-",
                "-F",
                "t",
                "-X",
                "fetch",
                "-c",
                "fast",
                "--no-manifest",
                "-P",
                "-v");
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> env = pb.environment();
        env.remove("PGPASSWORD");
        source.password().ifPresent(pw -> env.put("PGPASSWORD", pw));
        env.put("PGCONNECT_TIMEOUT", "10");
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        try {
            return new BaseBackup(pb.start(), totalBytes);
        } catch (IOException e) {
            throw new LoadException("cannot run pg_basebackup: " + e.getMessage(), e);
        }
    }

    /** The tar stream. */
    public InputStream tar() {
        return process.getInputStream();
    }

    /**
     * Waits for pg_basebackup to exit after its stream was read.
     *
     * @throws LoadException with the end of its output when it failed
     */
    public void finish() {
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new LoadException("pg_basebackup did not exit within 60 s after its archive ended");
            }
            stderrReader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new LoadException("interrupted while waiting for pg_basebackup", e);
        }
        if (process.exitValue() != 0) {
            throw new LoadException("pg_basebackup failed (exit code " + process.exitValue() + "):\n" + output());
        }
    }

    /** The last lines pg_basebackup wrote to stderr. */
    public synchronized String output() {
        return String.join("\n", tail);
    }

    /** Whether it already exited with a failure (then {@link #output()} says why). */
    public boolean failed() {
        return !process.isAlive() && process.exitValue() != 0;
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }

    private void readStderr(InputStream err, LongConsumer totalBytes) {
        try (Reader r = new InputStreamReader(err, StandardCharsets.UTF_8)) {
            StringBuilder line = new StringBuilder();
            for (int c = r.read(); c >= 0; c = r.read()) {
                if (c == '\r' || c == '\n') {
                    done(line.toString(), totalBytes);
                    line.setLength(0);
                } else {
                    line.append((char) c);
                }
            }
            done(line.toString(), totalBytes);
        } catch (IOException e) {
            // the process ended
        }
    }

    private void done(String line, LongConsumer totalBytes) {
        if (line.isBlank()) {
            return;
        }
        Matcher m = PROGRESS.matcher(line);
        if (m.find()) {
            totalBytes.accept(Long.parseLong(m.group(2)) * 1024);
            return;
        }
        synchronized (this) {
            tail.addLast(line.strip());
            while (tail.size() > TAIL_LINES) {
                tail.removeFirst();
            }
        }
    }
}
