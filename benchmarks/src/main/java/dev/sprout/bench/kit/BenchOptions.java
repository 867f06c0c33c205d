package dev.sprout.bench.kit;

import dev.sprout.bench.support.BenchEnv;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The options every harness main shares (a picocli mixin): {@code --quick}, {@code --out DIR} (the report and the
 * logs) and {@code --base DIR} (the data), and the steps named on the command line (checked against the harness's).
 */
public final class BenchOptions {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(
            names = "--quick",
            description = "small data and short runs: proves that everything runs; the figures mean little")
    public boolean quick;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "where the report and the logs go (default: benchmarks/target/bench-NAME/TIME)")
    Path out;

    @Option(names = "--base", paramLabel = "DIR", description = "where the data go (default: $SPROUT_BENCH_DIR/NAME)")
    Path base;

    @Parameters(paramLabel = "STEP", description = "the steps to run (none named: all)")
    List<String> named;

    /** {@code --out}, or {@code benchmarks/target/bench-<name>/<time>}; absolute. */
    public Path out(String name) {
        Path p = out != null ? out : Path.of("benchmarks", "target", "bench-" + name, stamp());
        return p.toAbsolutePath().normalize();
    }

    /** {@code --base}, or {@code <SPROUT_BENCH_DIR>/<name>}; absolute. */
    public Path base(String name) {
        return (base != null ? base : BenchEnv.baseDir().resolve(name))
                .toAbsolutePath()
                .normalize();
    }

    /** Whether {@code --base} was given. */
    public boolean baseGiven() {
        return base != null;
    }

    /** The steps named on the command line, in order, each one of {@code all}; none named: all of them. */
    public Set<String> steps(List<String> all) {
        Set<String> steps = new LinkedHashSet<>();
        for (String step : named == null ? List.<String>of() : named) {
            if (!all.contains(step)) {
                throw new ParameterException(
                        spec.commandLine(),
                        "unknown argument '" + step + "'"
                                + (all.isEmpty() ? "" : " (steps: " + String.join(", ", all) + ")"));
            }
            steps.add(step);
        }
        return steps.isEmpty() ? new LinkedHashSet<>(all) : steps;
    }

    /** A date and time for directory names: {@code 20260101-120000}. */
    public static String stamp() {
        return LocalDateTime.now(ZoneId.systemDefault()).format(STAMP); // a local time names the run
    }

    /** A whole number of at least 1, for counts such as {@code --rounds N}. */
    public static final class Positive implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            try {
                int n = Integer.parseInt(value);
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // refused below, with the value as given
            }
            throw new picocli.CommandLine.TypeConversionException(value + " (expected: a whole number >= 1)");
        }
    }

    /** {@code --rounds N}, for the harnesses that repeat their measurements in rounds (a mixin of its own). */
    public static final class Rounds {
        @Option(
                names = "--rounds",
                paramLabel = "N",
                converter = Positive.class,
                description = "rounds of each measurement")
        Integer rounds;

        /** {@code --rounds}, or {@code quick} / {@code full} as the mode asks. */
        public int rounds(boolean isQuick, int quick, int full) {
            return rounds != null ? rounds : isQuick ? quick : full;
        }
    }
}
