package dev.sprout.bench.pageserver.measure;

import java.time.Duration;

/**
 * How long a timed measurement warms up (operations run, nothing recorded) and then measures. Only
 * operations that start and finish inside the measured window are recorded; rates are divided by the window.
 */
public record Phases(Duration warmup, Duration measure) {
    public Phases {
        if (warmup.isNegative() || measure.isNegative() || measure.isZero()) {
            throw new IllegalArgumentException(
                    "warm-up " + warmup + " and measurement " + measure + " (expected: warm-up >= 0, measurement > 0)");
        }
    }
}
