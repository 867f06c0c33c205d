package dev.sprout.bench.kit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class FmtTest {
    @Test
    void figuresAndMilliseconds() {
        assertEquals("1,235", Fmt.num(1234.5));
        assertEquals("99.9", Fmt.num(99.94));
        assertEquals("–", Fmt.num(Double.NaN));
        assertEquals("100", Fmt.ms(100.2));
        assertEquals("12.3", Fmt.ms(Duration.ofNanos(12_345_000)));
        assertEquals("1,234.568", Fmt.dec(1234.5678, 3));
        assertEquals("–", Fmt.dec(Double.NaN, 2));
        assertEquals("1,234,567", Fmt.count(1_234_567));
        assertEquals("12,346", Fmt.rate(12_345.6));
    }

    @Test
    void microsecondsFromNanoseconds() {
        assertEquals("12.3", Fmt.us(12_345));
        assertEquals("1,235", Fmt.us(1_234_567));
        assertEquals("–", Fmt.us(Double.NaN));
    }

    @Test
    void secondsRatiosAndShares() {
        assertEquals("60 s", Fmt.seconds(Duration.ofSeconds(60)));
        assertEquals("1.5 s", Fmt.seconds(Duration.ofMillis(1500)));
        assertEquals("12.3 s", Fmt.tenths(Duration.ofMillis(12_345)));
        assertEquals("0.95×", Fmt.ratio(0.949));
        assertEquals("12.5×", Fmt.ratio(12.46));
        assertEquals("–", Fmt.ratio(Double.POSITIVE_INFINITY));
        assertEquals("42%", Fmt.percent(0.42));
        assertEquals("7%", Fmt.share(OptionalDouble.of(0.07)));
        assertEquals("–", Fmt.share(OptionalDouble.empty()));
        assertEquals("1.5 MiB", Fmt.mib(1_572_864));
        assertEquals("yes", Fmt.yesNo(true));
        assertEquals("**no**", Fmt.yesNo(false));
    }
}
