package dev.sprout.bench.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The harness's curl driver against a real HTTP server on a real socket, with the real curl: each create is sent
 * as the API expects, a kept connection is one connection, and any answer but 201 stops the run with the name.
 * (The API itself is tested in the control plane's ControlApiTest.)
 */
class CurlCreatesTest {
    private HttpServer server;
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();
    private final AtomicInteger requests = new AtomicInteger();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private static final String TOKEN = "curl-test-token";

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/branches", exchange -> {
            requests.incrementAndGet();
            clientPorts.add(exchange.getRemoteAddress().getPort());
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            bodies.add(exchange.getRequestMethod() + " "
                    + exchange.getRequestHeaders().getFirst("Content-Type") + " " + body);
            authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            int status = body.contains("\"taken\"") ? 409 : 201;
            byte[] answer = "{}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private int port() {
        return server.getAddress().getPort();
    }

    @Test
    void keptConnectionSendsEveryCreateOnOneConnection() {
        List<Integer> seen = new CopyOnWriteArrayList<>();
        List<Double> ms = CurlCreates.keptConnection(port(), TOKEN, CopyStep.names("k-", 5), seen::add);

        assertEquals(5, ms.size());
        assertTrue(ms.stream().allMatch(x -> x > 0 && x < 10_000), ms.toString());
        assertEquals(List.of(1, 2, 3, 4, 5), seen);
        assertEquals(
                List.of(
                        "POST application/json {\"name\":\"k-1\"}",
                        "POST application/json {\"name\":\"k-2\"}",
                        "POST application/json {\"name\":\"k-3\"}",
                        "POST application/json {\"name\":\"k-4\"}",
                        "POST application/json {\"name\":\"k-5\"}"),
                bodies);
        assertEquals(1, clientPorts.size(), "one kept connection: " + clientPorts);
        assertEquals(
                List.of("Bearer " + TOKEN),
                authorizations.stream().distinct().toList(),
                "every request carries the token");
    }

    @Test
    void newConnectionIsOneRequestOnItsOwnConnection() {
        double a = CurlCreates.newConnection(port(), TOKEN, "n-1");
        double b = CurlCreates.newConnection(port(), TOKEN, "n-2");

        assertTrue(a > 0 && b > 0);
        assertEquals(2, requests.get());
        assertEquals(2, clientPorts.size(), "a connection each: " + clientPorts);
        assertEquals(List.of("Bearer " + TOKEN, "Bearer " + TOKEN), authorizations);
    }

    @Test
    void anAnswerOtherThan201StopsTheRunAndNamesTheBranch() {
        IllegalStateException e = assertThrows(
                IllegalStateException.class,
                () -> CurlCreates.keptConnection(port(), TOKEN, List.of("a", "taken", "c"), n -> {}));
        assertTrue(
                e.getMessage().contains("{\"name\":\"taken\"}")
                        && e.getMessage().contains("409"),
                e.getMessage());
    }

    @Test
    void noServerIsAClearFailure() {
        int port = port();
        server.stop(0);
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> CurlCreates.newConnection(port, TOKEN, "x"));
        assertTrue(e.getMessage().contains("no answer from 127.0.0.1:" + port), e.getMessage());
    }
}
