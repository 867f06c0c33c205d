package dev.sprout.bench.kit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StatsTest {
    private static final List<Double> ONE_TO_TWENTY = java.util.stream.IntStream.rangeClosed(1, 20)
            .mapToObj(i -> (double) (21 - i))
            .toList(); // 20, 19, ..., 1: unsorted on purpose

    @Test
    void nearestRankPercentilesOfTwentySamples() {
        assertEquals(10.0, Stats.percentile(ONE_TO_TWENTY, 50));
        assertEquals(18.0, Stats.percentile(ONE_TO_TWENTY, 90));
        assertEquals(20.0, Stats.percentile(ONE_TO_TWENTY, 99)); // with 20 samples p99 is the maximum
        assertEquals(1.0, Stats.percentile(ONE_TO_TWENTY, 0));
        assertEquals(20.0, Stats.percentile(ONE_TO_TWENTY, 100));
        assertEquals(1.0, Stats.min(ONE_TO_TWENTY));
        assertEquals(20.0, Stats.max(ONE_TO_TWENTY));
    }

    @Test
    void medianAveragesTheMiddleTwoOfAnEvenCount() {
        assertEquals(10.5, Stats.median(ONE_TO_TWENTY));
        assertEquals(3.0, Stats.median(List.of(5.0, 1.0, 3.0)));
        assertEquals(2.5, Stats.median(List.of(4.0, 1.0, 2.0, 3.0)));
    }

    @Test
    void emptySamplesAreNotMeasured() {
        assertTrue(Double.isNaN(Stats.median(List.of())));
        assertTrue(Double.isNaN(Stats.percentile(List.of(), 50)));
        assertTrue(Double.isNaN(Stats.min(List.of())));
        assertTrue(Double.isNaN(Stats.max(List.of())));
    }

    @Test
    void quantilesOfASortedLongArray() {
        long[] sorted = new long[1000];
        for (int i = 0; i < sorted.length; i++) {
            sorted[i] = (i + 1) * 10L;
        }
        assertEquals(5_000, Stats.quantile(sorted, 0.50));
        assertEquals(9_000, Stats.quantile(sorted, 0.90));
        assertEquals(9_900, Stats.quantile(sorted, 0.99));
        assertEquals(9_990, Stats.quantile(sorted, 0.999));
        assertEquals(7, Stats.quantile(new long[] {7}, 0.99));
    }
}
