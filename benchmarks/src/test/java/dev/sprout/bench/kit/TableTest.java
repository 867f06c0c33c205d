package dev.sprout.bench.kit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TableTest {
    @Test
    void rendersMarkdownWithRightAlignedColumnsMarked() {
        Table t = new Table("what", "p50 ms>", "p99 ms>")
                .row("direct", "1.2", "3.4")
                .row("proxy", 2, 5.5);
        assertEquals("""
                | what | p50 ms | p99 ms |
                | --- | ---: | ---: |
                | direct | 1.2 | 3.4 |
                | proxy | 2 | 5.5 |
                """, t.render());
    }

    @Test
    void aRowMustFillEveryColumn() {
        assertThrows(IllegalArgumentException.class, () -> new Table("a", "b").row("only one"));
    }

    @Test
    void reportPutsFailuresThenGoalsThenSections() {
        Report r = new Report();
        r.section("#### Set-up\n\ntext\n");
        r.goal("p50 <= 1 s", "0.5 s", true);
        r.goal("p99 <= 2 s", "3 s", false);
        r.failure("cold start", new IllegalStateException("no `port`\nfree"));
        assertEquals(true, r.failed());
        assertEquals("""
                #### Failures

                - **cold start failed**: `java.lang.IllegalStateException: no 'port' free`

                #### Goals

                | goal | measured | met? |
                | --- | --- | --- |
                | p50 <= 1 s | 0.5 s | yes |
                | p99 <= 2 s | 3 s | **no** |

                #### Set-up

                text

                """, r.render());
    }

    @Test
    void anEmptyReportIsEmpty() {
        assertEquals("", new Report().render());
        assertEquals(false, new Report().failed());
    }
}
