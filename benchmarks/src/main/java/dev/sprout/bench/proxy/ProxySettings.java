package dev.sprout.bench.proxy;

import java.nio.file.Path;
import java.time.Duration;

/**
 * One run's parameters.
 *
 * @param scale             pgbench scale factor (100,000 accounts each)
 * @param clients           pgbench clients ({@code -c})
 * @param threads           pgbench threads ({@code -j})
 * @param run               each measured pgbench run ({@code -T})
 * @param warmup            the warm-up run before each measured one, through the same path (not counted)
 * @param rounds            rounds of direct / proxy / proxy with TLS, the order rotating from round to round
 * @param connects          measured iterations of the connection set-up loop (each: one connection per path)
 * @param connectWarmup     iterations of that loop before them (not counted)
 * @param out               where the report and the logs go
 * @param base              where the pageserver's store, the compute's directory and the proxy's certificate go
 */
record ProxySettings(
        boolean quick,
        int scale,
        int clients,
        int threads,
        Duration run,
        Duration warmup,
        int rounds,
        int connects,
        int connectWarmup,
        Path out,
        Path base) {

    static ProxySettings of(boolean quick, int rounds, int connects, Path out, Path base) {
        return quick
                ? new ProxySettings(
                        true, 2, 4, 2, Duration.ofSeconds(10), Duration.ofSeconds(5), rounds, connects, 20, out, base)
                : new ProxySettings(
                        false,
                        10,
                        4,
                        2,
                        Duration.ofSeconds(60),
                        Duration.ofSeconds(10),
                        rounds,
                        connects,
                        20,
                        out,
                        base);
    }

    Path logs() {
        return out.resolve("logs");
    }
}
