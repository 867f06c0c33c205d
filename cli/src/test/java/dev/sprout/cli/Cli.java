package dev.sprout.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/** Runs {@code sprout} in this JVM with its output captured, and talks HTTP to what it started. */
final class Cli {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private Cli() {}

    /** What one {@code sprout} run said and how it ended. */
    record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** Not thread-safe: swaps System.out and System.err for the length of the run. */
    static synchronized Result sprout(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = Sprout.run(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new Result(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    /** {@code GET path} on the HTTP API at {@code port}, without a token: only the liveness probe answers it. */
    static HttpResponse<String> getWithoutToken(int port, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri(port, path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** {@code GET path} in plaintext on {@code host:port}, without a token. */
    static HttpResponse<String> getWithoutToken(String host, int port, String path)
            throws IOException, InterruptedException {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + path))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(LocalStack stack, String path) throws IOException, InterruptedException {
        return HTTP.send(authorized(stack, path).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(LocalStack stack, String path, String json)
            throws IOException, InterruptedException {
        return HTTP.send(
                authorized(stack, path)
                        .POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> put(LocalStack stack, String path, String json)
            throws IOException, InterruptedException {
        return HTTP.send(
                authorized(stack, path)
                        .PUT(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A request to {@code stack}'s HTTP API with its admin token. */
    private static HttpRequest.Builder authorized(LocalStack stack, String path) {
        return HttpRequest.newBuilder(uri(stack.httpPort(), path))
                .header("Authorization", "Bearer " + stack.adminToken());
    }

    private static URI uri(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
