package dev.sprout.http;

import com.google.protobuf.MessageOrBuilder;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.ErrorBody;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/**
 * One management API answer, before HTTP framing: the transport adds Content-Length and the keep-alive headers.
 *
 * @param status      the HTTP status
 * @param contentType the Content-Type of {@code body}
 * @param body        the response body
 * @param headers     further headers (Allow on a 405)
 */
public record ApiResponse(int status, String contentType, byte[] body, Map<String, String> headers) {
    public static final String JSON = "application/json; charset=utf-8";

    public ApiResponse {
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(body, "body");
        headers = Map.copyOf(headers);
    }

    /** A protobuf message as JSON (see {@link Json#print}). */
    public static ApiResponse json(int status, MessageOrBuilder message) {
        return new ApiResponse(status, JSON, Json.print(message).getBytes(StandardCharsets.UTF_8), Map.of());
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
