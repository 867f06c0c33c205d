package dev.sprout.bench.kit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class CpuTest {
    @Test
    void parsesTheCpuLineOfProcStat() {
        // user nice system idle iowait irq softirq steal guest guest_nice
        Cpu.Sample s = Cpu.sample("cpu  100 5 50 800 20 3 2 10 0 0", 40, 30, 0.5);
        assertEquals(170, s.busy()); // user + nice + system + irq + softirq + steal
        assertEquals(990, s.all()); // busy + idle + iowait
        assertEquals(10, s.steal());
        assertEquals(40, s.own());
        assertEquals(30, s.jvm());
    }

    @Test
    void aWindowSplitsTheMachinesTimeIntoOwnAndOthers() {
        Cpu.Sample before = new Cpu.Sample(1_000, 300, 10, 100, 80, 1.25);
        Cpu.Sample after = new Cpu.Sample(2_000, 900, 30, 500, 300, 2.0);
        Cpu.Window w = Cpu.between(Optional.of(before), Optional.of(after));
        assertEquals(0.4, w.own(), 1e-12); // 400 of 1,000 ticks
        assertEquals(0.2, w.others(), 1e-12); // 600 busy - 400 own
        assertEquals(0.02, w.steal(), 1e-12);
        assertEquals(1.25, w.loadBefore());
        assertEquals(4_000, w.ownCpuMs(), 1e-9); // a tick is 10 ms
        assertEquals(2_200, w.jvmCpuMs(), 1e-9);
        assertEquals(1_800, w.childrenCpuMs(), 1e-9);
    }

    @Test
    void noWindowWithoutTwoReadingsInOrder() {
        Cpu.Sample s = new Cpu.Sample(1_000, 300, 10, 100, 80, 1.0);
        assertSame(Cpu.Window.NONE, Cpu.between(Optional.empty(), Optional.of(s)));
        assertSame(Cpu.Window.NONE, Cpu.between(Optional.of(s), Optional.of(s)));
    }

    @Test
    void processTicksFromStatWithAndWithoutReapedChildren() {
        // pid (comm with ') ' inside) state ppid ... utime=14th stime=15th cutime=16th cstime=17th field
        String stat = "42 (a) b) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 2 1 20 0 1 0 100 0 0";
        assertEquals(10, Cpu.ticks(stat, false));
        assertEquals(13, Cpu.ticks(stat, true));
    }

    @Test
    void readsThisMachineOnLinux() {
        Optional<Cpu.Sample> s = Cpu.read();
        if (s.isPresent()) {
            assertTrue(s.get().all() > 0
                    && s.get().busy() <= s.get().all()
                    && s.get().jvm() <= s.get().own());
        }
    }
}
