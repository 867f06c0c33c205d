package dev.sprout.http.client;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.sprout.http.ApiResponse;
import dev.sprout.protocol.tls.TlsContexts;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.ErrorBody;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocketFactory;

/**
 * A client of Sprout's HTTP/JSON APIs (the pageserver's management API and the control plane's branches API, one
 * port in {@code sprout up}): HTTP/1.1 through the JDK's {@link HttpURLConnection} (whose connections are kept
 * alive and reused between calls; the JDK's {@code java.net.http.HttpClient} costs a short command's JVM about half a
 * second to build and send its first request, this about 30 ms), the admin token as {@code Authorization: Bearer},
 * answers parsed into the messages of {@code management.proto} and {@code control.proto}. Used by the CLI and the
 * benchmarks, so neither writes HTTP or JSON by hand.
 *
 * <p>An answer that is parsed into a message is asked for in protobuf's binary encoding ({@code Accept:
 * application/x-protobuf}; a server that only speaks JSON is read as well): a short command's JVM then neither
 * starts protobuf's JSON parser nor Gson, about 30 ms of {@code sprout branch list}. {@link #send} and
 * {@link #get(String)} return the JSON as sent, for {@code --json}.
 *
 * <p>Every failure is one of four exceptions, each with a sentence to show: {@link Refused} (Sprout answered with a
 * refusal: its status, code and sentence), {@link Unreachable} (nothing listens), {@link TimedOut}, and
 * {@link NotSprout} (something answered that is not Sprout). Tokens never appear in them.
 *
 * <p>Thread-safe: each call has a connection of its own (the JDK keeps idle ones alive for the next).
 */
public final class ApiClient implements AutoCloseable {
    /** Connecting to loopback takes microseconds; longer means the port is filtered or the machine stalls. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /** Listing thousands of timelines takes well under a second; this bounds a server that hangs. */
    public static final Duration READ_TIMEOUT = Duration.ofSeconds(10);
    /** A create checkpoints a running parent and a reset may start a compute: seconds, rarely more. */
    public static final Duration CHANGE_TIMEOUT = Duration.ofSeconds(120);
    /** Asked for by the calls that parse their answer: binary, or JSON from a server without it. */
    private static final String ACCEPT_MESSAGE = ApiResponse.PROTOBUF + ", application/json;q=0.5";

    /** Lenient on input, unlike the server: a newer server may add fields that this client ignores. */
    private static final class Parser {
        static final JsonFormat.Parser JSON = JsonFormat.parser().ignoringUnknownFields();
    }

    private final String host;
    private final int port;
    private final Optional<String> token;
    private final Optional<SSLSocketFactory> tls;
    private final Optional<Path> trustAnchor;
    private final String scheme;

    /** A client of {@code host:port} that sends {@code token} (empty: none; the server then answers 401). */
    public ApiClient(String host, int port, Optional<String> token) {
        this(host, port, token, Optional.empty());
    }

    /**
     * As above, over https when {@code trustAnchor} is present: the server's certificate must be signed by (or be) a
     * certificate in that PEM file and name {@code host}.
     *
     * @throws java.io.UncheckedIOException when the trust anchor cannot be read
     */
    public ApiClient(String host, int port, Optional<String> token, Optional<Path> trustAnchor) {
        this.host = Objects.requireNonNull(host, "host");
        this.port = port;
        this.token = Objects.requireNonNull(token, "token");
        this.trustAnchor = Objects.requireNonNull(trustAnchor, "trustAnchor");
        this.scheme = trustAnchor.isPresent() ? "https" : "http";
        this.tls = trustAnchor.map(anchor -> TlsContexts.jdkClient(anchor).getSocketFactory());
    }

    /** {@code https} with a trust anchor, else {@code http}. */
    public String scheme() {
        return scheme;
    }

    /** A 2xx answer: its status and body, as sent. */
    public record Answer(int status, String body) {}

    /** {@code host:port}, for sentences. */
    public String address() {
        return host + ":" + port;
    }

    /**
     * Sends {@code method path} with {@code jsonBody} (null: none) and returns a 2xx answer; a GET waits
     * {@link #READ_TIMEOUT}, anything else {@link #CHANGE_TIMEOUT}.
     *
     * @throws Refused     when Sprout refused (nothing changed; its ErrorBody's code and sentence)
     * @throws Unreachable when nothing listens on the port
     * @throws TimedOut    when no answer came in time
     */
    public Answer send(String method, String path, String jsonBody) {
        Reply reply = exchange(method, path, jsonBody, "application/json");
        return new Answer(reply.status(), new String(reply.body(), StandardCharsets.UTF_8));
    }

    /** A 2xx answer as it came: its status, Content-Type (empty when none) and bytes. */
    private record Reply(int status, String contentType, byte[] body) {}

    private Reply exchange(String method, String path, String jsonBody, String accept) {
        Duration timeout = method.equals("GET") ? READ_TIMEOUT : CHANGE_TIMEOUT;
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection)
                    URI.create(scheme + "://" + address() + path).toURL().openConnection();
            if (c instanceof HttpsURLConnection https) {
                https.setSSLSocketFactory(tls.orElseThrow()); // the default verifier checks the name against host
            }
            c.setRequestMethod(method);
            c.setInstanceFollowRedirects(false);
            c.setUseCaches(false);
            c.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
            c.setReadTimeout((int) timeout.toMillis());
            c.setRequestProperty("Content-Type", "application/json");
            c.setRequestProperty("Accept", accept);
            if (token.isPresent()) {
                c.setRequestProperty("Authorization", "Bearer " + token.get());
            }
            byte[] body = jsonBody == null ? null : jsonBody.getBytes(StandardCharsets.UTF_8);
            if (body != null || (!method.equals("GET") && !method.equals("DELETE"))) {
                byte[] out = body == null ? new byte[0] : body;
                c.setDoOutput(true);
                c.setFixedLengthStreamingMode(out.length);
                try (OutputStream o = c.getOutputStream()) {
                    o.write(out);
                }
            }
            int status = c.getResponseCode();
            byte[] answer;
            try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
                answer = in == null ? new byte[0] : in.readAllBytes();
            }
            if (status / 100 != 2) {
                throw refused(status, new String(answer, StandardCharsets.UTF_8));
            }
            return new Reply(status, Objects.requireNonNullElse(c.getContentType(), ""), answer);
        } catch (ConnectException e) {
            throw new Unreachable("nothing answers on " + address(), e);
        } catch (SocketTimeoutException e) {
            throw new TimedOut(
                    "Sprout on " + address() + " did not answer " + method + " " + path + " within "
                            + timeout.toSeconds() + " s",
                    e);
        } catch (SSLException e) {
            throw new Unreachable(TlsContexts.handshakeFailure(address(), trustAnchor.orElse(Path.of("(none)")), e), e);
        } catch (IOException e) {
            if (c != null) {
                c.disconnect(); // not back to the pool of idle connections
            }
            throw new Unreachable(method + " " + scheme + "://" + address() + path + " failed: " + e, e);
        }
    }

    /** {@code body} (the JSON of a 2xx answer to {@code what}, e.g. "GET /v1/branches") parsed into {@code builder}. */
    public <B extends Message.Builder> B parse(String what, String body, B builder) {
        try {
            Parser.JSON.merge(body, builder);
            return builder;
        } catch (InvalidProtocolBufferException e) {
            throw notSprout(
                    what + " did not return a " + builder.getDescriptorForType().getName(), e);
        }
    }

    /** The JSON of a 2xx answer to {@code GET path}, as sent. */
    public String get(String path) {
        return send("GET", path, null).body();
    }

    /** {@code GET path}, parsed into {@code builder}. */
    public <B extends Message.Builder> B get(String path, B builder) {
        return call("GET", path, null, builder);
    }

    /** {@code method path} with {@code request} as JSON (null: no body), the answer parsed into {@code builder}. */
    public <B extends Message.Builder> B call(String method, String path, Message request, B builder) {
        String what = method + " " + path;
        Reply reply = exchange(method, path, request == null ? null : json(request), ACCEPT_MESSAGE);
        if (!reply.contentType().startsWith(ApiResponse.PROTOBUF)) {
            return parse(what, new String(reply.body(), StandardCharsets.UTF_8), builder);
        }
        try {
            builder.mergeFrom(reply.body());
            return builder;
        } catch (InvalidProtocolBufferException e) {
            throw notSprout(what + " sent no " + builder.getDescriptorForType().getName() + " in protobuf", e);
        }
    }

    /** An answer that does not parse as the message asked for: {@code what} did not come, and why. */
    private NotSprout notSprout(String what, InvalidProtocolBufferException e) {
        return new NotSprout(
                "what answers on " + address() + " is not Sprout: " + what + " (" + e.getMessage() + ")", e);
    }

    /** {@code message} as the APIs read it (protobuf JSON). */
    public static String json(Message message) {
        try {
            return JsonFormat.printer().print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException(
                    "cannot print " + message.getDescriptorForType().getName() + " as JSON", e);
        }
    }

    /** Nothing to release: the JDK keeps idle connections alive for a while and closes them itself. */
    @Override
    public void close() {}

    /** "404 UNKNOWN_BRANCH: branch … does not exist", or the status and the start of a body that is no ErrorBody. */
    private static Refused refused(int status, String answer) {
        try {
            ErrorBody.Builder error = ErrorBody.newBuilder();
            Parser.JSON.merge(answer, error);
            if (!error.getMessage().isEmpty()) {
                return new Refused(status, error.getCode(), status + " " + error.getCode() + ": " + error.getMessage());
            }
        } catch (InvalidProtocolBufferException notAnErrorBody) {
            // not from Sprout, or not JSON: show what came
        }
        String body = answer.strip();
        return new Refused(
                status,
                Code.UNRECOGNIZED,
                "HTTP " + status
                        + (body.isEmpty() ? "" : ": " + (body.length() > 200 ? body.substring(0, 200) + "…" : body)));
    }

    /** A failure of a call; the message is the sentence to show. */
    public abstract static sealed class CallException extends RuntimeException
            permits Refused, Unreachable, TimedOut, NotSprout {
        private static final long serialVersionUID = 1L;

        CallException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Sprout answered with a refusal: nothing changed. */
    public static final class Refused extends CallException {
        private static final long serialVersionUID = 1L;
        private final int status;
        private final Code code;

        Refused(int status, Code code, String sentence) {
            super(sentence, null);
            this.status = status;
            this.code = code;
        }

        public int status() {
            return status;
        }

        /** The refusal's code; {@link Code#UNRECOGNIZED} when the answer held no ErrorBody. */
        public Code code() {
            return code;
        }
    }

    /** Nothing answers on the port (or the connection broke). */
    public static final class Unreachable extends CallException {
        private static final long serialVersionUID = 1L;

        Unreachable(String sentence, Throwable cause) {
            super(sentence, cause);
        }
    }

    /** No answer in time. */
    public static final class TimedOut extends CallException {
        private static final long serialVersionUID = 1L;

        TimedOut(String sentence, Throwable cause) {
            super(sentence, cause);
        }
    }

    /** Something answered that is not Sprout. */
    public static final class NotSprout extends CallException {
        private static final long serialVersionUID = 1L;

        NotSprout(String sentence, Throwable cause) {
            super(sentence, cause);
        }
    }
}
