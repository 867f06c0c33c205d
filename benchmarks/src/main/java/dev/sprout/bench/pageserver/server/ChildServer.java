package dev.sprout.bench.pageserver.server;

import dev.sprout.bench.support.BenchEnv;
import dev.sprout.http.client.ApiClient;
import dev.sprout.node.PageserverMain;
import dev.sprout.pageserver.auth.Credentials;
import dev.sprout.storage.PageStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The pageserver in a child JVM: {@code java -cp <this jar> dev.sprout.pageserver.PageserverMain} with
 * ephemeral ports and {@code --ready-file}, its output in a log file. Commit counters come from its
 * {@code /metrics} (the same {@code PageStore.commitStats()}), disk reads from {@code /proc/<pid>/io}.
 * {@link #close} sends SIGTERM (the pageserver's shutdown hook closes the store) and waits for the exit.
 */
public final class ChildServer implements ServerUnderTest {
    private static final AtomicInteger STARTED = new AtomicInteger();

    private final Process process;
    private final int pagePort;
    private final int httpPort;
    private final ApiClient management;

    private final Credentials credentials;

    private ChildServer(Process process, int pagePort, int httpPort, Credentials credentials) {
        this.credentials = credentials;
        this.process = process;
        this.pagePort = pagePort;
        this.httpPort = httpPort;
        this.management = Management.client(httpPort, credentials.admin().value());
    }

    static ChildServer start(Path dataDirectory, long pageCacheBytes, Path logDirectory) {
        int n = STARTED.incrementAndGet();
        Path ready = logDirectory.resolve("pageserver-" + n + ".ready");
        Path log = logDirectory.resolve("pageserver-" + n + ".log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow",
                "-Xmx2g",
                "-Dlogback.configurationFile="
                        + System.getProperty("logback.configurationFile", "pageserver-bench-logback.xml"),
                "-cp",
                System.getProperty("java.class.path"),
                PageserverMain.class.getName(),
                "--data-dir",
                dataDirectory.toString(),
                "--page-port",
                "0",
                "--http-port",
                "0",
                "--page-cache",
                Long.toString(pageCacheBytes),
                "--gc-interval",
                "0s",
                "--ready-file",
                ready.toString()));
        try {
            Files.createDirectories(logDirectory);
            Files.deleteIfExists(ready);
            Process p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Files.exists(ready)) {
                if (!p.isAlive()) {
                    throw new IllegalStateException(
                            "the pageserver exited with " + p.exitValue() + " before it was ready; see " + log);
                }
                if (System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    throw new IllegalStateException("the pageserver was not ready within 120 s; see " + log);
                }
                Thread.sleep(20);
            }
            String[] ports = Files.readString(ready).trim().split(" ", -1);
            BenchEnv.log(
                    "pageserver %d started in a child JVM (pid %d), page port %s, HTTP port %s, log %s",
                    n, p.pid(), ports[0], ports[1], log);
            // The child made its credentials before it was ready; read them from its data directory.
            return new ChildServer(
                    p, Integer.parseInt(ports[0]), Integer.parseInt(ports[1]), Credentials.loadOrCreate(dataDirectory));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the pageserver: " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the pageserver", e);
        }
    }

    @Override
    public int pagePort() {
        return pagePort;
    }

    @Override
    public Credentials credentials() {
        return credentials;
    }

    @Override
    public int httpPort() {
        return httpPort;
    }

    @Override
    public PageStore.CommitStats commitStats() {
        Map<String, Double> m =
                Management.metrics(management, "sprout_store_commits_total", "sprout_store_wal_writes_total");
        return new PageStore.CommitStats(
                m.getOrDefault("sprout_store_commits_total", Double.NaN).longValue(),
                m.getOrDefault("sprout_store_wal_writes_total", Double.NaN).longValue());
    }

    @Override
    public OptionalLong childPid() {
        return OptionalLong.of(process.pid());
    }

    @Override
    public OptionalLong diskReadBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "io"))) {
                if (line.startsWith("read_bytes:")) {
                    return OptionalLong.of(Long.parseLong(
                            line.substring("read_bytes:".length()).trim()));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux, or not allowed to read another process's I/O accounting
        }
        return OptionalLong.empty();
    }

    @Override
    public void close() {
        management.close();
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                BenchEnv.log("the pageserver (pid %d) did not stop within 60 s of SIGTERM; killing it", process.pid());
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
