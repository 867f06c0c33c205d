package dev.sprout.cli;

import dev.sprout.node.SproutNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.sprout.pageserver.auth.Credentials;
import dev.sprout.http.Secret;
import dev.sprout.protocol.v1.ErrorBody;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A client of a pageserver's management API (docs/protocol.md, "Management API") on 127.0.0.1, for the
 * commands that ask a running Sprout; it sends the data directory's admin token as a bearer token. Every failure is a {@link SproutException} with the sentence to print.
 *
 * <p>Thread-safe (the JDK's {@link HttpClient} is).
 */
final class ManagementClient {
    static final String HOST = "127.0.0.1";
    /** Connecting to loopback takes microseconds; longer means the port is filtered or the machine stalls. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /** Listing thousands of timelines takes well under a second; this bounds a pageserver (or something else) that hangs. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** A create checkpoints a running parent and a reset may start a compute: seconds, rarely more. */
    private static final Duration MUTATION_TIMEOUT = Duration.ofSeconds(120);
    /** Lenient on input, unlike the server: a newer pageserver may add fields that this client ignores. */
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private final int port;
    private final Path tokenFile;
    /** The admin token, or empty when the data directory has none (the server's 401 then says what is missing). */
    private final Optional<String> token;
    private final HttpClient http;

    /**
     * A client of the API on 127.0.0.1:{@code port} that sends the admin token of the Sprout whose data directory
     * is {@code dataDir} ({@code DATA/pages/secrets/admin.token}, made by its first {@code sprout up}).
     */
    ManagementClient(int port, Path dataDir) {
        this.port = port;
        this.tokenFile = Credentials.adminTokenFile(dataDir.resolve(SproutNode.PAGES));
        this.token = readToken(tokenFile);
        // HTTP/1.1 explicitly: the JDK client would otherwise offer an h2c upgrade the pageserver does not speak.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT).build();
    }

    /** The body of a 200 answer to {@code GET path}, as sent. */
    String get(String path) {
        return send("GET", path, null).body();
    }

    /** A 2xx answer: its status and body. */
    record Answer(int status, String body) {
    }

    /**
     * Sends {@code method path} with {@code jsonBody} (null: none) and returns a 2xx answer.
     *
     * @throws Refused      when Sprout answered with a refusal (its ErrorBody's code and sentence)
     * @throws SproutException when nothing (or not Sprout) answers
     */
    Answer send(String method, String path, String jsonBody) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://" + HOST + ":" + port + path))
                .timeout(method.equals("GET") ? REQUEST_TIMEOUT : MUTATION_TIMEOUT)
                .method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(jsonBody, StandardCharsets.UTF_8));
        token.ifPresent(t -> builder.header("Authorization", "Bearer " + t));
        HttpRequest request = builder.build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (ConnectException e) {
            throw new Unreachable("no Sprout answers on " + HOST + ":" + port + ": start it with `./sprout up`", e);
        } catch (HttpTimeoutException e) {
            throw new SproutException("Sprout on " + HOST + ":" + port + " did not answer " + method + " " + path
                    + " within " + request.timeout().orElseThrow().toSeconds() + " s", e);
        } catch (IOException e) {
            throw new SproutException(method + " http://" + HOST + ":" + port + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SproutException("interrupted while waiting for " + method + " http://" + HOST + ":" + port + path, e);
        }
        if (response.statusCode() == 401) {
            throw new Refused(401, refusal(response) + (token.isPresent()
                    ? " (the token sent is the one in " + tokenFile + ": is Sprout on port " + port + " running on another"
                            + " data directory? --data-dir)"
                    : " (no admin token at " + tokenFile + ": is this the data directory of the running `sprout up`?"
                            + " --data-dir)"));
        }
        if (response.statusCode() / 100 != 2) {
            throw new Refused(response.statusCode(), refusal(response));
        }
        return new Answer(response.statusCode(), response.body());
    }

    /** The token in {@code file}; empty when there is no such file. Unreadable (e.g. another user's) is an error. */
    private static Optional<String> readToken(Path file) {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Secret.read(file));
        } catch (IllegalStateException e) {
            throw new SproutException("cannot read Sprout's admin token " + file + " (" + e.getCause() + "): run the"
                    + " command as the user that runs `sprout up`", e);
        }
    }

    /** Nothing answers on the port. */
    static final class Unreachable extends SproutException {
        private static final long serialVersionUID = 1L;

        Unreachable(String sentence, Throwable cause) {
            super(sentence, cause);
        }
    }

    /** Sprout refused a request; the message is its code and sentence. */
    static final class Refused extends SproutException {
        private static final long serialVersionUID = 1L;
        final int status;

        Refused(int status, String sentence) {
            super(sentence);
            this.status = status;
        }
    }

    /** {@code body} (a 2xx answer) parsed into {@code builder}. */
    <B extends Message.Builder> B parse(String what, String body, B builder) {
        try {
            PARSER.merge(body, builder);
            return builder;
        } catch (InvalidProtocolBufferException e) {
            throw new SproutException("what answers on " + HOST + ":" + port + " is not Sprout: " + what
                    + " did not return a " + builder.getDescriptorForType().getName() + " (" + e.getMessage() + ")", e);
        }
    }

    /** The JSON of a 200 answer to {@code GET path}, parsed into {@code builder}. */
    <B extends Message.Builder> B get(String path, B builder) {
        return parse("GET " + path, get(path), builder);
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
