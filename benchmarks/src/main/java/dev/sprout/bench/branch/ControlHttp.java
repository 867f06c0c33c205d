package dev.sprout.bench.branch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The control plane's HTTP API as the {@code sprout} CLI calls it ({@code ManagementClient}): the JDK's client, HTTP/1.1
 * (the pageserver speaks no h2c), 127.0.0.1. One client per call, because each CLI command is a new process with a
 * new client: the TCP connection is made inside the timed request, as the CLI makes it. Not the CLI's JVM start,
 * which this benchmark leaves out. Thread-safe.
 */
public final class ControlHttp {
    /** The CLI's timeout for a change. */
    private static final Duration MUTATION_TIMEOUT = Duration.ofSeconds(120);

    /** An answer: its status and body. */
    public record Answer(int status, String body) {
    }

    /** A client for one call: made before the clock starts, like the CLI's, which exists before its request. */
    public static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    /**
     * {@code method http://127.0.0.1:port/path} with {@code jsonBody} (null: none) and {@code token} (the admin
     * token) as the bearer token, as the CLI sends it; any status.
     */
    public static Answer send(HttpClient http, int port, String token, String method, String path, String jsonBody) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(MUTATION_TIMEOUT)
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(jsonBody, StandardCharsets.UTF_8))
                .build();
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Answer(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " http://127.0.0.1:" + port + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during " + method + " " + path, e);
        }
    }

    /** {@code POST /v1/branches {"name": NAME}} (parent main, at its head), as {@code sprout branch create NAME}. */
    public static Answer createBranch(HttpClient http, int port, String token, String name) {
        return send(http, port, token, "POST", "/v1/branches", "{\"name\":\"" + name + "\"}");
    }

    private ControlHttp() {}
}
