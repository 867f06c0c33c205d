package dev.sprout.bench.compute;

import dev.sprout.bench.kit.Fmt;
import dev.sprout.pageserver.Pageserver;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The page service's requests by operation (every outcome), read from the pageserver's own meters
 * ({@code sprout.page.service.requests}: count and time from arrival to answer); subtract two readings for a
 * window. Every compute of the run talks to the same pageserver, so a window counts them all.
 */
record PageserverOps(Map<String, long[]> byOp) {

    static PageserverOps read(Pageserver pageserver) {
        Map<String, long[]> m = new TreeMap<>();
        for (Timer t : pageserver.metrics().find("sprout.page.service.requests").timers()) {
            String op = t.getId().getTag("op");
            long[] v = m.computeIfAbsent(op == null ? "?" : op, k -> new long[2]);
            v[0] += t.count();
            v[1] += (long) t.totalTime(TimeUnit.NANOSECONDS);
        }
        return new PageserverOps(m);
    }

    PageserverOps minus(PageserverOps before) {
        Map<String, long[]> m = new TreeMap<>();
        byOp.forEach((op, v) -> {
            long[] b = before.byOp.getOrDefault(op, new long[2]);
            if (v[0] - b[0] > 0) {
                m.put(op, new long[] {v[0] - b[0], v[1] - b[1]});
            }
        });
        return new PageserverOps(m);
    }

    long count(String op) {
        return byOp.getOrDefault(op, new long[2])[0];
    }

    /** Mean time in the server of {@code op}'s requests, µs; NaN when there were none. */
    double meanUs(String op) {
        long[] v = byOp.getOrDefault(op, new long[2]);
        return v[0] == 0 ? Double.NaN : v[1] / 1e3 / v[0];
    }

    long total() {
        return byOp.values().stream().mapToLong(v -> v[0]).sum();
    }

    /** Total time the server spent on these requests, ms (requests overlap, so this is not wall time). */
    double serverMs() {
        return byOp.values().stream().mapToLong(v -> v[1]).sum() / 1e6;
    }

    /** "getattr 120 (85 µs), lookup 60 (70 µs), …", the most frequent first. */
    String summary() {
        List<Map.Entry<String, long[]>> e = new ArrayList<>(byOp.entrySet());
        e.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
        List<String> parts = new ArrayList<>();
        for (var x : e) {
            parts.add(x.getKey() + " " + Fmt.count(x.getValue()[0]) + " ("
                    + Fmt.num(x.getValue()[1] / 1e3 / x.getValue()[0]) + " µs)");
        }
        return parts.isEmpty() ? "–" : String.join(", ", parts);
    }
}
