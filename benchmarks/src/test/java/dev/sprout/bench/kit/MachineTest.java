package dev.sprout.bench.kit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MachineTest {
    @Test
    void rowsInTheOrderTheReportsHaveThem() {
        Machine m = new Machine();
        new CommandLine(m)
                .parseArgs(
                        "--dir",
                        "/",
                        "--row",
                        "code=compute at abc1234",
                        "--row",
                        "PgBouncer (reference)=none: x=y",
                        "--load",
                        "--command",
                        "scripts/bench-x --quick");
        String table = m.table();
        List<String> labels = table.lines()
                .filter(l -> l.startsWith("| ") && !l.startsWith("| ---"))
                .map(l -> l.substring(2, l.indexOf(" | ")))
                .toList();
        assertEquals(
                List.of(
                        "what",
                        "CPUs (`nproc`)",
                        "memory",
                        "disk (`df -h` of the benchmark directory)",
                        "kernel (`uname -r`)",
                        "JDK",
                        "code",
                        "PgBouncer (reference)",
                        "load average before the run (`/proc/loadavg`)",
                        "command"),
                labels);
        assertTrue(table.startsWith("| what | value |\n| --- | --- |\n"), table);
        assertTrue(table.contains("| code | compute at abc1234 |\n| PgBouncer (reference) | none: x=y |\n"), table);
        assertTrue(table.endsWith("| command | `scripts/bench-x --quick` |\n\n"), table);
        assertTrue(table.contains("| kernel (`uname -r`) | " + System.getProperty("os.version") + " |"), table);
    }

    @Test
    void fieldsOfCommandOutput() {
        String free = """
                               total        used        free      shared  buff/cache   available
                Mem:            23Gi       3.5Gi        16Gi       215Mi       3.9Gi        20Gi
                Swap:             0B          0B          0B
                """;
        assertEquals("23Gi", Machine.field(free, "Mem:", 1));
        assertEquals("", Machine.field(free, "Nothing:", 1));
        assertEquals("", Machine.run("/nonexistent/binary"));
    }
}
