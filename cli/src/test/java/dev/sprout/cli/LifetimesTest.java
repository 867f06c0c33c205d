package dev.sprout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LifetimesTest {
    @Test
    void lifetimesAsTyped() {
        assertEquals(Duration.ofSeconds(90), Lifetimes.parse("--ttl", "90s"));
        assertEquals(Duration.ofMinutes(10), Lifetimes.parse("--ttl", "10m"));
        assertEquals(Duration.ofMinutes(150), Lifetimes.parse("--ttl", "2h30m"));
        assertEquals(Duration.ofDays(3), Lifetimes.parse("--ttl", "3d"));
        assertEquals(Duration.ofDays(15), Lifetimes.parse("--ttl", "2w1d"));
    }

    @Test
    void whatIsNotALifetimeIsRefusedNamingIt() {
        for (String bad : List.of("", "3", "d", "3 days", "10m ", "-5m", "0s", "1h-", "1y", "1.5h")) {
            SproutException e = assertThrows(SproutException.class, () -> Lifetimes.parse("--lease", bad), bad);
            assertTrue(e.getMessage().startsWith("--lease " + bad + " is not a lifetime"), e.getMessage());
        }
    }

    @Test
    void printedWithTheLargestUnitsFirst() {
        assertEquals("3d", Lifetimes.format(Duration.ofDays(3)));
        assertEquals("1h30m", Lifetimes.format(Duration.ofMinutes(90)));
        assertEquals("45s", Lifetimes.format(Duration.ofSeconds(45)));
        assertEquals("1d1h", Lifetimes.format(Duration.ofSeconds(86_400 + 3_600 + 61)));
        assertEquals("1d", Lifetimes.format(Duration.ofSeconds(86_400 + 61)));
        assertEquals("0s", Lifetimes.format(Duration.ZERO));
    }
}
