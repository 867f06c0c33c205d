package dev.sprout.bench.kit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class BenchOptionsTest {
    @Command(name = "TestBench")
    static final class TestBench implements Callable<Integer> {
        @Mixin
        BenchOptions options;

        @Mixin
        BenchOptions.Rounds rounds;

        Set<String> steps;

        @Override
        public Integer call() {
            steps = options.steps(List.of("a", "b", "c"));
            return 0;
        }
    }

    private static final class Parsed {
        final TestBench bench = new TestBench();
        final StringWriter err = new StringWriter();
        final int status;

        Parsed(String... args) {
            CommandLine cl = new CommandLine(bench).setOverwrittenOptionsAllowed(true);
            cl.setErr(new PrintWriter(err));
            status = cl.execute(args);
        }
    }

    @Test
    void defaultsAndQuick() {
        Parsed p = new Parsed();
        assertEquals(0, p.status);
        assertFalse(p.bench.options.quick);
        assertEquals(3, p.bench.rounds.rounds(false, 1, 3));
        assertEquals(1, p.bench.rounds.rounds(true, 1, 3));
        assertEquals(Set.of("a", "b", "c"), p.bench.steps);
        assertTrue(p.bench.options.out("x").toString().contains("benchmarks/target/bench-x/"));
        assertTrue(p.bench.options.out("x").isAbsolute());
        assertFalse(p.bench.options.baseGiven());

        assertTrue(new Parsed("--quick").bench.options.quick);
    }

    @Test
    void givenValuesWinAndTheLastOfTwoWins() {
        Parsed p =
                new Parsed("--out", "/tmp/one", "--rounds", "5", "--base", "/tmp/base", "--out", "/tmp/two", "c", "a");
        assertEquals(0, p.status);
        assertEquals(Path.of("/tmp/two"), p.bench.options.out("x"));
        assertEquals(Path.of("/tmp/base"), p.bench.options.base("x"));
        assertEquals(5, p.bench.rounds.rounds(true, 1, 3));
        assertEquals(List.of("c", "a"), List.copyOf(p.bench.steps));
    }

    @Test
    void refusalsAreUsageErrors() {
        Parsed zero = new Parsed("--rounds", "0");
        assertEquals(2, zero.status);
        assertTrue(zero.err.toString().contains("0 (expected: a whole number >= 1)"), zero.err.toString());
        Parsed step = new Parsed("d");
        assertEquals(2, step.status);
        assertTrue(step.err.toString().contains("unknown argument 'd' (steps: a, b, c)"), step.err.toString());
        assertEquals(2, new Parsed("--nonsense").status);
        assertEquals(2, new Parsed("--out").status);
    }
}
