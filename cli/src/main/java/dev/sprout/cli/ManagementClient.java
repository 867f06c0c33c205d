package dev.sprout.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.sprout.protocol.v1.ErrorBody;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A client of a pageserver's management API (docs/protocol.md, "Management API") on 127.0.0.1, for the
 * commands that ask a running Sprout. Every failure is a {@link SproutException} with the sentence to print.
 *
 * <p>Thread-safe (the JDK's {@link HttpClient} is).
 */
final class ManagementClient {
    static final String HOST = "127.0.0.1";
    /** Connecting to loopback takes microseconds; longer means the port is filtered or the machine stalls. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /** Listing thousands of timelines takes well under a second; this bounds a pageserver (or something else) that hangs. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** Lenient on input, unlike the server: a newer pageserver may add fields that this client ignores. */
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private final int port;
    private final HttpClient http;

    ManagementClient(int port) {
        this.port = port;
        // HTTP/1.1 explicitly: the JDK client would otherwise offer an h2c upgrade the pageserver does not speak.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT).build();
    }

    /** The body of a 200 answer to {@code GET path}, as sent. */
    String get(String path) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + HOST + ":" + port + path))
                .timeout(REQUEST_TIMEOUT).GET().build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (ConnectException e) {
            throw new SproutException("no pageserver answers on " + HOST + ":" + port + ": start one with `./sprout up`", e);
        } catch (HttpTimeoutException e) {
            throw new SproutException("the pageserver on " + HOST + ":" + port + " did not answer GET " + path
                    + " within " + REQUEST_TIMEOUT.toSeconds() + " s", e);
        } catch (IOException e) {
            throw new SproutException("GET http://" + HOST + ":" + port + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SproutException("interrupted while waiting for GET http://" + HOST + ":" + port + path, e);
        }
        if (response.statusCode() != 200) {
            throw new SproutException("the pageserver on " + HOST + ":" + port + " refused GET " + path + ": "
                    + refusal(response));
        }
        return response.body();
    }

    /** The JSON of a 200 answer to {@code GET path}, parsed into {@code builder}. */
    <B extends Message.Builder> B get(String path, B builder) {
        String body = get(path);
        try {
            PARSER.merge(body, builder);
            return builder;
        } catch (InvalidProtocolBufferException e) {
            throw new SproutException("what answers on " + HOST + ":" + port + " is not a Sprout pageserver: GET " + path
                    + " did not return a " + builder.getDescriptorForType().getName() + " (" + e.getMessage() + ")", e);
        }
    }

    /** "404 UNKNOWN_TIMELINE: timeline … does not exist", or the status and the start of a body that is no ErrorBody. */
    private static String refusal(HttpResponse<String> response) {
        try {
            ErrorBody.Builder error = ErrorBody.newBuilder();
            PARSER.merge(response.body(), error);
            if (!error.getMessage().isEmpty()) {
                return response.statusCode() + " " + error.getCode() + ": " + error.getMessage();
            }
        } catch (InvalidProtocolBufferException notAnErrorBody) {
            // not from a pageserver, or not JSON: show what came
        }
        String body = response.body().strip();
        return "HTTP " + response.statusCode() + (body.isEmpty() ? "" : ": " + (body.length() > 200 ? body.substring(0, 200) + "…" : body));
    }
}
