package dev.sprout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link ByteSizes}: fixed points, and random sizes against {@code String.format("%.1f")} of the same quotient. */
class ByteSizesTest {
    @Test
    void fixedPoints() {
        assertEquals("0 B", ByteSizes.format(0));
        assertEquals("1023 B", ByteSizes.format(1023));
        assertEquals("1.0 KiB", ByteSizes.format(1024));
        assertEquals("1.5 KiB", ByteSizes.format(1536));
        assertEquals("64.0 MiB", ByteSizes.format(64L << 20));
        assertEquals("37.9 MiB", ByteSizes.format(39_741_440));
        assertEquals("1.0 MiB", ByteSizes.format((1L << 20) - 1), "1023.999 KiB rounds up into the next unit");
        assertEquals("10.0 GiB", ByteSizes.format(10L << 30));
        assertEquals("8.0 EiB", ByteSizes.format(Long.MAX_VALUE));
        assertEquals("18446744073709551615 B", ByteSizes.format(-1), "a uint64 above 2^63 - 1 as it was said");
    }

    @Test
    void randomSizesMatchFormatter() {
        long seed = System.nanoTime();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 100_000; i++) {
            long bytes = random.nextLong(1024, 1L << random.nextInt(11, 63));
            double value = bytes;
            int unit = -1;
            while (value >= 1024) {
                value /= 1024;
                unit++;
            }
            String expected = String.format(
                    Locale.ROOT, "%.1f %s", value, new String[] {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}[unit]);
            if (expected.startsWith("1024.0 ")) {
                continue; // the one place the two differ on purpose (fixedPoints)
            }
            double tenths = value * 10;
            if (Math.abs(tenths - Math.floor(tenths) - 0.5) < 1e-6) {
                continue; // a tie within double rounding: either neighbour is right
            }
            assertEquals(expected, ByteSizes.format(bytes), "bytes " + bytes + " (seed " + seed + ")");
        }
    }
}
