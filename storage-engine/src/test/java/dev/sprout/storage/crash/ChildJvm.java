package dev.sprout.storage.crash;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A {@link CrashWriter} in its own JVM (this JVM's java binary, the test classpath), its output in files. */
final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final long startNanos = System.nanoTime();

    private ChildJvm(Process process, Path stdout, Path stderr) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /**
     * Starts {@code CrashWriter <args>} on this JVM's classpath, its stdout and stderr going to {@code <logs>.out}
     * and {@code <logs>.err}. Stdout goes to a file rather than a pipe: what the child wrote before SIGKILL is
     * then all there, with no reader thread racing the JDK's process reaper.
     */
    static ChildJvm start(Path logs, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-Xmx256m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-XX:-UsePerfData");
        // The child's temporary directory is the test's: RocksDB unpacks its 15 MB native library there, and a JVM
        // killed with SIGKILL cannot delete it, so it goes with the test's directory instead of piling up in /tmp.
        cmd.add("-Djava.io.tmpdir=" + Files.createDirectories(logs.resolveSibling("jvm-tmp")));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(CrashWriter.class.getName());
        cmd.addAll(List.of(args));
        Path out = logs.resolveSibling(logs.getFileName() + ".out");
        Path err = logs.resolveSibling(logs.getFileName() + ".err");
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(ProcessBuilder.Redirect.to(out.toFile()))
                .redirectError(ProcessBuilder.Redirect.to(err.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        return new ChildJvm(p, out, err);
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long millisSinceStart() {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /**
     * Waits for a line starting with {@code prefix}; returns it, or null if the child exited without writing
     * one or time ran out.
     */
    String awaitLine(String prefix, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            boolean exited = !process.isAlive();
            for (String line : lines()) {
                if (line.startsWith(prefix)) {
                    return line;
                }
            }
            if (exited || System.nanoTime() > deadline) {
                return null;
            }
            Thread.sleep(5);
        }
    }

    /** SIGKILL (destroyForcibly is SIGKILL on Linux); returns whether the child was still running when killed. */
    boolean kill() {
        boolean alive = process.isAlive();
        process.destroyForcibly();
        return alive;
    }

    /** Waits for the process to end; returns its exit status. */
    int awaitExit(long timeoutMillis) throws InterruptedException {
        if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("child " + process.pid() + " did not exit within " + timeoutMillis + " ms"
                    + "; its output: " + lines() + stderrTail());
        }
        return process.exitValue();
    }

    /** Every complete stdout line so far (a line is complete once its newline is written). */
    List<String> lines() {
        String text;
        try {
            text = Files.readString(stdout, StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        int end = text.lastIndexOf('\n');
        return end < 0 ? List.of() : List.of(text.substring(0, end).split("\n", -1));
    }

    /** The end of the child's stderr, for failure messages ("" when empty). */
    String stderrTail() {
        try {
            String text = Files.readString(stderr, StandardCharsets.UTF_8);
            if (text.isBlank()) {
                return "";
            }
            return "\n--- child stderr (" + stderr + ") ---\n"
                    + (text.length() > 4000 ? "..." + text.substring(text.length() - 4000) : text);
        } catch (IOException e) {
            return "\n(cannot read child stderr " + stderr + ": " + e + ")";
        }
    }

    /** Kills the child if it still runs and waits for it: no stray JVMs after a test. */
    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
