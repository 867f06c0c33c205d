package dev.sprout.bench.pageserver.measure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * CPU time of the whole machine ({@code /proc/stat}) and of the benchmark's own processes
 * ({@code /proc/<pid>/stat}), in clock ticks, as probe counters: over a window, what the other processes of
 * this shared machine took shows how much the figures were disturbed. Empty where {@code /proc} is missing.
 */
public final class MachineLoad {
    public static final String ALL = "cpuAllTicks";
    public static final String BUSY = "cpuBusyTicks";
    public static final String STEAL = "cpuStealTicks";
    public static final String OWN = "cpuOwnTicks";

    private MachineLoad() {}

    /** The counters, counting this JVM and {@code otherPid} (a child pageserver) as the benchmark's own. */
    public static Map<String, Long> read(OptionalLong otherPid) {
        Map<String, Long> m = new HashMap<>();
        try {
            String[] cpu = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            // cpu user nice system idle iowait irq softirq steal (guest time is included in user)
            long user = Long.parseLong(cpu[1]), nice = Long.parseLong(cpu[2]), system = Long.parseLong(cpu[3]);
            long idle = Long.parseLong(cpu[4]), iowait = Long.parseLong(cpu[5]), irq = Long.parseLong(cpu[6]);
            long softirq = Long.parseLong(cpu[7]), steal = cpu.length > 8 ? Long.parseLong(cpu[8]) : 0;
            long busy = user + nice + system + irq + softirq + steal;
            m.put(ALL, busy + idle + iowait);
            m.put(BUSY, busy);
            m.put(STEAL, steal);
            long own = processTicks(ProcessHandle.current().pid());
            if (otherPid.isPresent()) {
                own += processTicks(otherPid.getAsLong());
            }
            m.put(OWN, own);
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
        return m;
    }

    /** Share of the machine's CPU time that other processes used over a window, if the counters were read. */
    public static OptionalDouble othersShare(Measured m) {
        if (m.counter(ALL).isEmpty() || m.counter(ALL).getAsLong() <= 0) {
            return OptionalDouble.empty();
        }
        long others = m.counter(BUSY).getAsLong() - m.counter(OWN).getAsLong();
        return OptionalDouble.of(Math.max(0, others) / (double) m.counter(ALL).getAsLong());
    }

    /** The same, between two readings of {@link #read}. */
    public static OptionalDouble othersShare(Map<String, Long> before, Map<String, Long> after) {
        return othersShare(new Measured(Latency.EMPTY, 0, 0, 0, Measured.delta(before, after)));
    }

    /** Share of the machine's CPU time taken by the hypervisor (steal) over a window. */
    public static OptionalDouble stealShare(Measured m) {
        if (m.counter(ALL).isEmpty() || m.counter(ALL).getAsLong() <= 0) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(m.counter(STEAL).getAsLong() / (double) m.counter(ALL).getAsLong());
    }

    private static long processTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime: fields 14 and 15 of stat(5)
    }
}
