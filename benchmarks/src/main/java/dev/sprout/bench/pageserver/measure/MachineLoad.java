package dev.sprout.bench.pageserver.measure;

import dev.sprout.bench.kit.Cpu;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * {@link Cpu}'s counters as probe counters, in clock ticks: over a window, what the other processes of this shared
 * machine took shows how much the figures were disturbed. Empty where {@code /proc} is missing.
 */
public final class MachineLoad {
    public static final String ALL = "cpuAllTicks";
    public static final String BUSY = "cpuBusyTicks";
    public static final String STEAL = "cpuStealTicks";
    public static final String OWN = "cpuOwnTicks";

    private MachineLoad() {}

    /** The counters, counting this JVM's threads and {@code otherPid}'s (a child pageserver) as the benchmark's own. */
    public static Map<String, Long> read(OptionalLong otherPid) {
        long other = otherPid.isPresent() ? Cpu.ticks(otherPid.getAsLong(), false) : 0;
        return Cpu.read()
                .map(s -> Map.of(ALL, s.all(), BUSY, s.busy(), STEAL, s.steal(), OWN, s.jvm() + other))
                .orElse(Map.of());
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
}
