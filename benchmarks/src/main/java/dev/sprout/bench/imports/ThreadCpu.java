package dev.sprout.bench.imports;

import dev.sprout.bench.kit.Fmt;
import dev.sprout.bench.kit.Table;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * CPU time per thread of this JVM and of all its descendants (the CLI's JVM, pg_basebackup, the source's backends,
 * a compute's PostgreSQL) over a window, read from {@code /proc/<pid>/task/<tid>/stat} every 500 ms: native threads
 * included (RocksDB's flushes and compactions, the JIT compilers, the garbage collector), which JFR's samples do
 * not see. A thread's last reading before it ends is what counts for it, so up to 500 ms of a thread that ends
 * inside the window is lost. Threads are grouped by process (this JVM, the child JVM, else the command's name) and
 * by name without its trailing number, so a pool is one row; summed over the windows measured.
 */
final class ThreadCpu {
    private static final long TICK_MS = 10; // USER_HZ is 100 on Linux
    /** How often the threads are read: each reading costs a few milliseconds of CPU (a stat file per thread). */
    private static final long EVERY_MS = 500;

    /** Ticks per (process, thread group), summed over the windows measured. */
    private final Map<String, Long> ticks = new ConcurrentHashMap<>();

    private int windows;

    /** One window: started by {@link #start}, ended by {@link Window#stop}. */
    final class Window {
        private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("thread-cpu").factory());
        /** pid/tid -> its first reading in the window (0 for a thread that began in it), its last, its group. */
        private final Map<String, long[]> first = new ConcurrentHashMap<>();

        private final Map<String, long[]> last = new ConcurrentHashMap<>();
        private final Map<String, String> group = new ConcurrentHashMap<>();
        private final Map<Long, String> processes = new ConcurrentHashMap<>();
        private final long self = ProcessHandle.current().pid();
        /** Whether the first reading was taken: threads seen later started inside the window (from 0). */
        private boolean begun;

        private Window() {
            sample();
            begun = true;
            sampler.scheduleAtFixedRate(this::sample, EVERY_MS, EVERY_MS, TimeUnit.MILLISECONDS);
        }

        /** A process's label, read once: its name and a PostgreSQL process's role may change later, not its kind. */
        private String label(long pid) {
            String name = comm(Path.of("/proc", Long.toString(pid)));
            if (name.equals("postgres")) {
                return postgresTitle(pid);
            }
            return pid == self
                    ? "node JVM (pageserver, control plane, computes' FUSE)"
                    : name.equals("java") ? "CLI JVM (sprout import)" : name;
        }

        private void sample() {
            read(self);
            ProcessHandle.current().descendants().forEach(p -> read(p.pid()));
        }

        private void read(long pid) {
            Path tasks = Path.of("/proc", Long.toString(pid), "task");
            String process = processes.computeIfAbsent(pid, this::label);
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(tasks)) {
                for (Path task : ds) {
                    String stat;
                    try {
                        stat = Files.readString(task.resolve("stat"));
                    } catch (IOException e) {
                        continue; // ended meanwhile
                    }
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ", -1);
                    long t = Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    String key = pid + "/" + task.getFileName();
                    first.putIfAbsent(key, new long[] {begun ? 0 : t});
                    last.put(key, new long[] {t});
                    group.computeIfAbsent(key, k -> process + " | " + comm(task).replaceAll("[-#_ :]?\\d+$", ""));
                }
            } catch (IOException | RuntimeException e) {
                // the process ended
            }
        }

        /** Ends the window and adds what each thread used in it to the totals. */
        void stop() {
            sampler.shutdownNow();
            try {
                sampler.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            sample();
            for (Map.Entry<String, long[]> e : last.entrySet()) {
                long[] f = first.get(e.getKey());
                long used = e.getValue()[0] - f[0];
                if (used > 0) {
                    ticks.merge(group.get(e.getKey()), used, Long::sum);
                }
            }
            windows++;
        }
    }

    /** A new window, measuring from now. */
    Window start() {
        return new Window();
    }

    int windows() {
        return windows;
    }

    /** CPU seconds per window, by process, then the {@code top} thread groups, as Markdown. */
    String render(int top) {
        if (windows == 0) {
            return "";
        }
        Map<String, Long> byProcess = new HashMap<>();
        long all = 0;
        for (Map.Entry<String, Long> e : ticks.entrySet()) {
            byProcess.merge(e.getKey().substring(0, e.getKey().indexOf(" | ")), e.getValue(), Long::sum);
            all += e.getValue();
        }
        Table p = new Table("process", "CPU s per import>", "share>");
        long total = all;
        byProcess.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> p.row(
                        e.getKey(),
                        Fmt.dec(e.getValue() * TICK_MS / 1e3 / windows, 1),
                        Fmt.percent(e.getValue() / (double) total)));
        Table t = new Table("process", "thread", "CPU s per import>", "share>");
        List<Map.Entry<String, Long>> rows = ticks.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(top)
                .toList();
        for (Map.Entry<String, Long> e : rows) {
            t.row(
                    e.getKey().substring(0, e.getKey().indexOf(" | ")),
                    "`" + e.getKey().substring(e.getKey().indexOf(" | ") + 3) + "`",
                    Fmt.dec(e.getValue() * TICK_MS / 1e3 / windows, 2),
                    Fmt.percent(e.getValue() / (double) total));
        }
        return p.render() + "\n" + t.render();
    }

    /**
     * A PostgreSQL process by its title ({@code postgres: walsender ...}, {@code postgres: startup ...}): its role
     * (the words before any address or detail); the postmaster by its command line.
     */
    private static String postgresTitle(long pid) {
        try {
            String cmd = new String(
                            Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                            java.nio.charset.StandardCharsets.UTF_8)
                    .replace('\0', ' ')
                    .strip();
            if (!cmd.startsWith("postgres: ")) {
                return "postgres (postmaster)";
            }
            String[] w = cmd.substring("postgres: ".length()).split(" ", -1);
            return "postgres: " + w[0];
        } catch (IOException | RuntimeException e) {
            return "postgres";
        }
    }

    private static String comm(Path dir) {
        try {
            return Files.readString(dir.resolve("comm")).strip();
        } catch (IOException e) {
            return "?";
        }
    }
}
