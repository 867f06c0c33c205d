package dev.sprout.bench.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each goal is judged on its figure: MET, MISSED, or not measured; a stand-in says so. */
class GoalsTest {
    @Test
    void verdictsFollowTheFigures() {
        Goals g = new Goals();
        g.judge("create p99 <= 10 ms", "p99 7 ms", true, 7, 10);
        g.judge("create p99 <= 10 ms, new connection", "p99 12 ms", false, 12, 10);
        g.judge("10 GiB ÷ 100 MiB <= 1.2", "0.9×", true, 0.9, 1.2, true);
        g.judge("a figure that is NaN", "nothing", true, Double.NaN, 1);
        g.notMeasured("pgbench on a branch", "step `workload` not run");

        List<Goals.Goal> all = g.all();
        assertEquals(
                List.of(
                        Goals.Verdict.MET,
                        Goals.Verdict.MISSED,
                        Goals.Verdict.MET,
                        Goals.Verdict.NOT_MEASURED,
                        Goals.Verdict.NOT_MEASURED),
                all.stream().map(Goals.Goal::verdict).toList());

        String md = g.render();
        assertTrue(md.contains("| create p99 <= 10 ms | p99 7 ms | MET |"), md);
        assertTrue(md.contains("| create p99 <= 10 ms, new connection | p99 12 ms | **MISSED** |"), md);
        assertTrue(md.contains("| MET (on a stand-in) |"), md);
        assertTrue(md.contains("| pgbench on a branch | step `workload` not run | not measured |"), md);

        @SuppressWarnings("unchecked")
        Map<String, Object> missed = (Map<String, Object>) g.json().get(1);
        assertEquals("MISSED", missed.get("verdict"));
        assertEquals(12.0, missed.get("value"));
        assertEquals(false, missed.get("standIn"));
    }
}
