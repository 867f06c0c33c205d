package dev.sprout.bench.kit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * CPU time of the whole machine ({@code /proc/stat}) and of the benchmark's own processes ({@code /proc/<pid>/stat}):
 * this JVM, and its process tree (the PostgreSQL servers it started and their backends, pgbench, a child
 * pageserver). Over a window, the machine's busy time minus the benchmark's is what other processes of this
 * shared machine took. A process's ticks may count those of its children it has reaped, so backends that exited
 * are still counted (the postmaster reaps them, this JVM reaps pgbench). USER_HZ is 100 on Linux: a tick is 10 ms.
 */
public final class Cpu {
    /** Clock ticks at one moment: the machine's (all, busy, steal), the process tree's, this JVM's alone; the load. */
    public record Sample(long all, long busy, long steal, long own, long jvm, double load1) {}

    /**
     * Shares of the machine's CPU time over a window (0-1, of all vCPUs together), and the CPU time the
     * benchmark's own processes used in it.
     */
    public record Window(double others, double own, double steal, double loadBefore, double ownCpuMs, double jvmCpuMs) {
        public static final Window NONE =
                new Window(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

        /** CPU time of the tree without this JVM's own threads: PostgreSQL's processes and pgbench. */
        public double childrenCpuMs() {
            return ownCpuMs - jvmCpuMs;
        }
    }

    private Cpu() {}

    /** The machine's counters and this JVM's process tree, reaped children included; empty without {@code /proc}. */
    public static Optional<Sample> read() {
        try {
            ProcessHandle me = ProcessHandle.current();
            String self = Files.readString(Path.of("/proc", Long.toString(me.pid()), "stat")); // read once: jvm <= own
            long own = ticks(self, true);
            for (ProcessHandle d : me.descendants().toList()) {
                own += ticks(d.pid(), true);
            }
            return Optional.of(
                    sample(Files.readAllLines(Path.of("/proc/stat")).getFirst(), own, ticks(self, false), load1()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** A sample from the {@code cpu} line of {@code /proc/stat} and the benchmark's own ticks. */
    static Sample sample(String procStatCpuLine, long own, long jvm, double load1) {
        // cpu user nice system idle iowait irq softirq steal (guest time is included in user)
        String[] cpu = procStatCpuLine.trim().split("\\s+", -1);
        long user = Long.parseLong(cpu[1]), nice = Long.parseLong(cpu[2]), system = Long.parseLong(cpu[3]);
        long idle = Long.parseLong(cpu[4]), iowait = Long.parseLong(cpu[5]), irq = Long.parseLong(cpu[6]);
        long softirq = Long.parseLong(cpu[7]), steal = cpu.length > 8 ? Long.parseLong(cpu[8]) : 0;
        long busy = user + nice + system + irq + softirq + steal;
        return new Sample(busy + idle + iowait, busy, steal, own, jvm, load1);
    }

    public static Window between(Optional<Sample> before, Optional<Sample> after) {
        if (before.isEmpty()
                || after.isEmpty()
                || after.get().all() <= before.get().all()) {
            return Window.NONE;
        }
        Sample a = before.get(), b = after.get();
        double all = b.all() - a.all();
        double own = b.own() - a.own();
        double others = Math.max(0, (b.busy() - a.busy()) - own);
        return new Window(
                others / all,
                own / all,
                (b.steal() - a.steal()) / all,
                a.load1(),
                own * 10.0,
                (b.jvm() - a.jvm()) * 10.0);
    }

    /** The 1-minute load average now, or NaN. */
    public static double load1() {
        try {
            return Double.parseDouble(
                    Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+", -1)[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /**
     * utime + stime of process {@code pid} (fields 14-15 of stat(5)), plus cutime + cstime (16-17: its reaped
     * children's) when asked; 0 for a process that is gone.
     */
    public static long ticks(long pid, boolean withChildren) {
        try {
            return ticks(Files.readString(Path.of("/proc", Long.toString(pid), "stat")), withChildren);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    static long ticks(String stat, boolean withChildren) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ", -1);
        long own = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        return withChildren ? own + Long.parseLong(f[13]) + Long.parseLong(f[14]) : own;
    }
}
