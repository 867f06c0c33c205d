package dev.sprout.proxy;

import static dev.sprout.testkit.Sql.queryString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.proxy.error.SqlState;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Random and mutated startup packets and packet sequences, {@value #CASES} of them, each on its own TCP connection
 * to the real proxy (TLS on, real computes behind it). For every one the proxy must answer with a well-formed FATAL
 * ErrorResponse carrying one of its own SQLSTATEs, or with what a server legitimately says before authentication,
 * or close; it must never let a connection through authentication, never hang, and never crash: a valid client
 * connects afterwards and no session or cancel key is left behind. The seed is printed on failure.
 */
@ExtendWith(ProxyFixture.Resolver.class)
class StartupFuzzTest {
    static final int CASES = 10_000;
    private static final Set<String> OWN_CODES =
            Arrays.stream(SqlState.values()).map(SqlState::code).collect(Collectors.toSet());

    @Test
    void tenThousandMalformedStartsNeverCrashTheProxy(ProxyFixture fx) throws Exception {
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                long threadSeed = seed + t;
                done.add(pool.submit(() -> {
                    Random random = new Random(threadSeed);
                    for (int i = 0; i < CASES / 8; i++) {
                        byte[] bytes = generate(random);
                        String outcome = exchange(fx.proxy.port(), bytes);
                        outcomes.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                try {
                    f.get();
                } catch (Exception e) {
                    throw new AssertionError(
                            "seed " + seed + ": " + e.getCause().getMessage(), e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.println("fuzz seed " + seed + ", outcomes " + new TreeMap<>(outcomes));
        assertEquals(
                CASES, outcomes.values().stream().mapToLong(AtomicLong::get).sum());
        assertTrue(
                outcomes.keySet().stream().anyMatch(k -> k.startsWith("error 08P01")),
                "seed " + seed + ": " + outcomes);

        try (Connection c = fx.viaProxy("postgres@feature")) {
            assertEquals("feature", queryString(c, "SELECT name FROM marker"), "seed " + seed);
        }
        for (int i = 0; i < 400 && fx.proxy.sessions() != 0; i++) {
            Thread.sleep(25);
        }
        assertEquals(0, fx.proxy.sessions(), "seed " + seed + ": sessions left open");
        assertEquals(0, fx.proxy.cancelKeys(), "seed " + seed + ": cancel keys left behind");
    }

    /**
     * Sends {@code bytes}, half-closes, and reads everything until the proxy closes. Returns a label of what came
     * back; throws when the answer is not one a PostgreSQL server could give before authentication.
     */
    private static String exchange(int port, byte[] bytes) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(20_000);
            try {
                s.getOutputStream().write(bytes);
                s.shutdownOutput();
            } catch (IOException e) {
                return "closed while sending"; // the proxy refused early and closed: allowed
            }
            byte[] answer;
            try {
                answer = readAll(s.getInputStream());
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the proxy neither answered nor closed within 20 s for " + hex(bytes));
            }
            return classify(answer, bytes);
        }
    }

    private static String classify(byte[] answer, byte[] sent) {
        if (answer.length == 0) {
            return "closed";
        }
        ByteBuffer b = ByteBuffer.wrap(answer);
        // Single-byte answers to SSLRequest / GSSENCRequest come first; after an 'S' the rest is TLS.
        while (b.hasRemaining() && (b.get(b.position()) == 'N' || b.get(b.position()) == 'S')) {
            if (b.get() == 'S') {
                return "tls";
            }
        }
        String last = "answers";
        while (b.remaining() >= 5) {
            byte type = b.get();
            int length = b.getInt();
            if (length < 4 || length - 4 > b.remaining()) {
                throw new AssertionError("malformed answer " + hex(answer) + " to " + hex(sent));
            }
            byte[] body = new byte[length - 4];
            b.get(body);
            switch (type) {
                case 'E' -> {
                    String fields = new String(body, StandardCharsets.UTF_8);
                    assertTrue(fields.contains("SFATAL\0"), "not FATAL: " + fields);
                    String code = fields.substring(fields.indexOf("\0C") + 2, fields.indexOf("\0C") + 7);
                    assertTrue(
                            OWN_CODES.contains(code)
                                    || code.startsWith("28")
                                    || code.startsWith("3D")
                                    || code.equals("08P01")
                                    || code.equals("0A000"),
                            "unexpected SQLSTATE " + code + ": " + fields);
                    last = "error " + code;
                }
                case 'v', 'R' -> last = type == 'v' ? "negotiate" : "authentication request";
                case 'Z' -> throw new AssertionError("ReadyForQuery without authentication for " + hex(sent));
                default -> throw new AssertionError("unexpected message '" + (char) type + "' for " + hex(sent));
            }
        }
        if (b.hasRemaining()) {
            throw new AssertionError("trailing bytes in " + hex(answer) + " for " + hex(sent));
        }
        return last;
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
            }
        } catch (java.net.SocketException e) {
            // reset by the proxy after it answered: what it sent before is in out
        }
        return out.toByteArray();
    }

    // ---- generators -------------------------------------------------------------------------------------------

    private static byte[] generate(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> randomBytes(r, r.nextInt(64));
            case 1 -> mutate(r, startup(r));
            case 2 -> concat(special(r), mutate(r, startup(r)));
            case 3 -> concat(special(r), special(r), startup(r));
            case 4 -> lengthLie(r);
            default -> concat(startup(r), randomBytes(r, r.nextInt(32)));
        };
    }

    private static byte[] startup(Random r) {
        ByteBuffer b = ByteBuffer.allocate(2048);
        b.putInt(0);
        int[] versions = {196608, 196610, 196611, 131072, 80877102, 80877199, r.nextInt()};
        b.putInt(versions[r.nextInt(versions.length)]);
        String[][] params = {
            {"user", "postgres"},
            {"database", r.nextBoolean() ? "postgres" : "postgres@" + word(r)},
            {"options", r.nextBoolean() ? "branch=" + word(r) : "-c x=y"},
            {"_pq_.x", "1"},
            {"application_name", word(r)}
        };
        for (String[] p : params) {
            if (r.nextInt(3) > 0) {
                b.put(p[0].getBytes(StandardCharsets.UTF_8))
                        .put((byte) 0)
                        .put(p[1].getBytes(StandardCharsets.UTF_8))
                        .put((byte) 0);
            }
        }
        b.put((byte) 0);
        b.putInt(0, b.position());
        return Arrays.copyOf(b.array(), b.position());
    }

    private static String word(Random r) {
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_/A!@é";
        StringBuilder s = new StringBuilder();
        for (int i = 0, n = 1 + r.nextInt(r.nextInt(10) == 0 ? 100 : 12); i < n; i++) {
            s.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return s.toString();
    }

    private static byte[] special(Random r) {
        int[] codes = {80877103, 80877104, 80877102};
        int code = codes[r.nextInt(codes.length)];
        return code == 80877102
                ? ByteBuffer.allocate(16)
                        .putInt(16)
                        .putInt(code)
                        .putInt(r.nextInt())
                        .putInt(r.nextInt())
                        .array()
                : ByteBuffer.allocate(8).putInt(8).putInt(code).array();
    }

    private static byte[] lengthLie(Random r) {
        int[] lengths = {0, 3, 7, 8, 9, 10_000, 10_001, Integer.MAX_VALUE, -1, r.nextInt()};
        ByteBuffer b = ByteBuffer.allocate(8 + 32);
        b.putInt(lengths[r.nextInt(lengths.length)]).putInt(196608);
        b.put(randomBytes(r, 32));
        return b.array();
    }

    private static byte[] mutate(Random r, byte[] packet) {
        byte[] p = packet.clone();
        switch (r.nextInt(4)) {
            case 0 -> {
                for (int i = 0, n = 1 + r.nextInt(4); i < n; i++) {
                    p[r.nextInt(p.length)] = (byte) r.nextInt(256);
                }
            }
            case 1 -> p = Arrays.copyOf(p, r.nextInt(p.length));
            case 2 -> p = concat(p, randomBytes(r, 1 + r.nextInt(16)));
            default -> p[r.nextInt(p.length)] = 0;
        }
        return p;
    }

    private static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static String hex(byte[] b) {
        return java.util.HexFormat.of().formatHex(b, 0, Math.min(b.length, 200));
    }
}
