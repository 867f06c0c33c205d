package dev.sprout.bench.kit;

import dev.sprout.bench.support.BenchEnv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Progress lines on stderr while a long step runs (a dataset's load, a copy of 10 GiB). */
public final class Progress {
    /** How often a long step reports by default. */
    public static final Duration EVERY = Duration.ofSeconds(15);

    private Progress() {}

    /** Runs {@code body}, logging every {@link #EVERY} how long it has run and the last line of {@code output}. */
    public static <T> T during(String what, Path output, Supplier<T> body) {
        return during(what, output, EVERY, body);
    }

    /** Runs {@code body}, logging {@code every} so often how long it has run and the last line of {@code output} (null: none). */
    public static <T> T during(String what, Path output, Duration every, Supplier<T> body) {
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().factory());
        long started = System.nanoTime();
        ticker.scheduleAtFixedRate(
                () -> {
                    String last = "";
                    if (output != null) {
                        try {
                            List<String> lines = Files.exists(output) ? Files.readAllLines(output) : List.of();
                            last = lines.isEmpty() ? "" : ": " + lines.getLast().strip();
                        } catch (IOException | RuntimeException e) {
                            last = ": (cannot read " + output + ")";
                        }
                    }
                    BenchEnv.log("  %s, %d s%s", what, Math.round((System.nanoTime() - started) / 1e9), last);
                },
                every.toMillis(),
                every.toMillis(),
                TimeUnit.MILLISECONDS);
        try {
            return body.get();
        } finally {
            ticker.shutdownNow();
        }
    }
}
