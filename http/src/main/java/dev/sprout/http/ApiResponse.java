package dev.sprout.http;

import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.ErrorBody;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One management API answer, before HTTP framing: the transport adds Content-Length and the keep-alive headers.
 *
 * @param status      the HTTP status
 * @param contentType the Content-Type of {@code body}
 * @param body        the response body
 * @param headers     further headers (Allow on a 405)
 * @param message     the protobuf message {@code body} is the JSON of, when it is one: a client that accepts
 *                    {@value #PROTOBUF} gets its binary encoding instead ({@link #negotiated})
 */
public record ApiResponse(
        int status, String contentType, byte[] body, Map<String, String> headers, Optional<Message> message) {
    public static final String JSON = "application/json; charset=utf-8";
    /** The binary protobuf encoding of an answer's message, for clients that ask for it with {@code Accept}. */
    public static final String PROTOBUF = "application/x-protobuf";

    public ApiResponse {
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(body, "body");
        headers = Map.copyOf(headers);
        Objects.requireNonNull(message, "message");
    }

    /** A body that is no protobuf message (or one that is only ever sent as JSON). */
    public ApiResponse(int status, String contentType, byte[] body, Map<String, String> headers) {
        this(status, contentType, body, headers, Optional.empty());
    }

    /** A protobuf message as JSON (see {@link Json#print}). */
    public static ApiResponse json(int status, MessageOrBuilder message) {
        Message built = message instanceof Message.Builder b ? b.build() : (Message) message;
        return new ApiResponse(
                status, JSON, Json.print(built).getBytes(StandardCharsets.UTF_8), Map.of(), Optional.of(built));
    }

    /**
     * This answer as the client's {@code Accept} header asks: the binary encoding of a successful answer's message
     * when it names {@value #PROTOBUF}, else this (JSON). Refusals stay JSON: every client reads their ErrorBody so.
     */
    public ApiResponse negotiated(String accept) {
        if (accept == null || status / 100 != 2 || message.isEmpty() || !accepts(accept, PROTOBUF)) {
            return this;
        }
        return new ApiResponse(status, PROTOBUF, message.get().toByteArray(), headers, message);
    }

    /** Whether an Accept header lists {@code type} (parameters such as q= are ignored: a client asks for one). */
    public static boolean accepts(String accept, String type) {
        for (String range : accept.split(",", -1)) {
            int semicolon = range.indexOf(';');
            String name = (semicolon < 0 ? range : range.substring(0, semicolon)).strip();
            if (name.equalsIgnoreCase(type)) {
                return true;
            }
        }
        return false;
    }

    /** A refusal: the status says the class, the ErrorBody what exactly, with the offending value. */
    static ApiResponse error(int status, Code code, String message, Map<String, String> headers) {
        ErrorBody body =
                ErrorBody.newBuilder().setCode(code).setMessage(message).build();
        return new ApiResponse(status, JSON, Json.print(body).getBytes(StandardCharsets.UTF_8), headers);
    }

    /** The ErrorBody of a refusal, for the transport's own refusals (body too large, unparseable HTTP). */
    public static ApiResponse error(int status, Code code, String message) {
        return error(status, code, message, Map.of());
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
