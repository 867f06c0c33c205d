package dev.sprout.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.http.auth.AuditLog;
import dev.sprout.http.auth.BranchPattern;
import dev.sprout.http.auth.FailureLimiter;
import dev.sprout.http.auth.Scope;
import dev.sprout.http.auth.TokenStore;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.StoreOptions;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random and mutated Authorization headers, sent as raw bytes over real sockets to the real server pipeline: none
 * gets past authentication, none makes the server fail (no 5xx, no dropped connection without an answer), and no
 * answer echoes a token. The valid tokens, sent the same way, still get in as themselves. Seed printed for replay
 * ({@code -Dsprout.seed=N}).
 */
class AuthHeaderFuzzTest {
    private static final String ADMIN = "fuzz-admin-token-0123456789";
    private static final int CASES = 1500;

    @TempDir
    Path dir;

    @Test
    void noHeaderButAValidTokenGetsIn() throws Exception {
        long seed = Long.getLong("sprout.seed", System.nanoTime());
        System.out.println("AuthHeaderFuzzTest seed " + seed + " (replay: -Dsprout.seed=" + seed + ")");
        Random rnd = new Random(seed);
        TokenStore tokens = TokenStore.open(dir.resolve(TokenStore.FILE), Clock.systemUTC());
        String issued = tokens.create("fuzz", Set.of(Scope.READ), BranchPattern.ANY, Optional.empty())
                .secret();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (PageStore store = PageStore.open(StoreOptions.defaults(dir.resolve("store")))) {
            AuditLog audit = AuditLog.open(store.catalog(), Clock.systemUTC());
            HttpApi echo = request -> new ApiResponse(
                    200, "text/plain", request.principal().describe().getBytes(StandardCharsets.UTF_8), Map.of());
            Channel server = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(new HttpServerInitializer(
                            echo,
                            new BearerAuth(Secret.of(ADMIN), tokens, new FailureLimiter(Clock.systemUTC())),
                            audit,
                            pool,
                            4096))
                    .bind("127.0.0.1", 0)
                    .sync()
                    .channel();
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            try {
                List<byte[]> valid = List.of(
                        ("Bearer " + ADMIN).getBytes(StandardCharsets.UTF_8),
                        ("Bearer " + issued).getBytes(StandardCharsets.UTF_8));
                for (int i = 0; i < CASES; i++) {
                    byte[] header = header(rnd, valid.get(rnd.nextInt(2)));
                    InetAddress from =
                            InetAddress.getByAddress(new byte[] {127, 0, (byte) (1 + i / 200), (byte) (2 + i % 200)});
                    String answer = send(from, port, header);
                    int status = Integer.parseInt(answer.substring(9, 12));
                    String ctx = "case " + i + " (seed " + seed + "): header " + printable(header) + " -> " + answer;
                    Optional<String> who = oracle(header, issued);
                    if (who.isPresent()) { // a mutation that kept it valid ("bearer", spaces around the token)
                        assertTrue(status == 200 && answer.endsWith(who.get()), ctx);
                        continue;
                    }
                    assertTrue(status == 400 || status == 401 || status == 429 || status == 431, ctx);
                    assertFalse(answer.contains(ADMIN) || answer.contains(issued), ctx);
                }
                String admin = send(InetAddress.getByName("127.0.0.1"), port, valid.get(0));
                assertTrue(admin.startsWith("HTTP/1.1 200") && admin.endsWith("admin"), admin);
                String asIssued = send(InetAddress.getByName("127.0.0.1"), port, valid.get(1));
                assertTrue(asIssued.startsWith("HTTP/1.1 200") && asIssued.endsWith("(fuzz)"), asIssued);
            } finally {
                server.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS)
                    .sync();
            pool.shutdownNow();
        }
    }

    /**
     * Who RFC 6750 says {@code header} authenticates, independently of the server's parser: the scheme is
     * case-insensitive, blanks around the value and between scheme and token do not count.
     */
    private static Optional<String> oracle(byte[] header, String issued) {
        String v = new String(header, StandardCharsets.ISO_8859_1).strip();
        int space = v.indexOf(' ');
        if (space < 0 || !v.substring(0, space).equalsIgnoreCase("bearer")) {
            return Optional.empty();
        }
        String token = v.substring(space + 1).strip();
        return token.equals(ADMIN)
                ? Optional.of("admin")
                : token.equals(issued) ? Optional.of("(fuzz)") : Optional.empty();
    }

    /** A header value: random bytes, a valid one mutated, or one of the shapes parsers get wrong. */
    private static byte[] header(Random rnd, byte[] valid) {
        return switch (rnd.nextInt(6)) {
            case 0 -> { // random printable and not
                byte[] b = new byte[rnd.nextInt(80)];
                for (int i = 0; i < b.length; i++) {
                    b[i] = (byte) (rnd.nextBoolean() ? 0x20 + rnd.nextInt(95) : rnd.nextInt(256));
                }
                yield b;
            }
            case 1 -> { // a valid one with bytes flipped
                byte[] b = valid.clone();
                for (int n = 1 + rnd.nextInt(3); n > 0; n--) {
                    b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(7));
                }
                yield b;
            }
            case 2 -> java.util.Arrays.copyOf(valid, rnd.nextInt(valid.length)); // cut short
            case 3 -> { // a valid one with something appended
                byte[] tail = ("x;\u0000 Bearer " + rnd.nextInt()).getBytes(StandardCharsets.UTF_8);
                byte[] b = java.util.Arrays.copyOf(valid, valid.length + tail.length);
                System.arraycopy(tail, 0, b, valid.length, tail.length);
                yield b;
            }
            case 4 ->
                List.of(
                                "Basic YWRtaW46YWRtaW4=",
                                "Bearer",
                                "Bearer ",
                                "bearer  ",
                                "Token " + ADMIN,
                                "Bearer spt_",
                                "Bearer spt__",
                                "Bearer spt_000000000000_",
                                "Bearer spt_zz_zz",
                                "Bearer " + "A".repeat(3000),
                                "B\u00e9arer x",
                                "Bearer \t\t")
                        .get(rnd.nextInt(12))
                        .getBytes(StandardCharsets.UTF_8);
            default ->
                ("Bearer spt_" + Long.toHexString(rnd.nextLong()) + "_" + Long.toHexString(rnd.nextLong()))
                        .getBytes(StandardCharsets.UTF_8);
        };
    }

    /** One GET with {@code header} as the Authorization value; the whole answer (status line to body). */
    private static String send(InetAddress from, int port, byte[] header) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port, from, 0)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            request.write("GET /v1/branches HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: "
                    .getBytes(StandardCharsets.US_ASCII));
            request.write(header);
            request.write("\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(request.toByteArray());
            out.flush();
            InputStream in = s.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (answer.isEmpty()) {
                throw new AssertionError("the connection closed without an answer; header " + printable(header));
            }
            return answer;
        }
    }

    private static String printable(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            int c = x & 0xff;
            sb.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\x%02x", c));
        }
        return sb.length() > 120 ? sb.substring(0, 120) + "..." : sb.toString();
    }
}
