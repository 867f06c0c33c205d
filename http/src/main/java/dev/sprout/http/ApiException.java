package dev.sprout.http;

import dev.sprout.protocol.v1.Code;
import java.util.Map;

/**
 * A request the management API refuses before it reaches the store: no such route, a method the route does not
 * take, a body or parameter that does not parse. The store's own refusals stay
 * {@link dev.sprout.storage.error.StorageException}s; {@link ManagementApi} turns both into an ErrorBody.
 */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final Code code;
    private final transient Map<String, String> headers;

    public ApiException(int status, Code code, String message, Map<String, String> headers) {
        super(message, null, false, false); // an expected refusal: no stack trace to fill in
        this.status = status;
        this.code = code;
        this.headers = Map.copyOf(headers);
    }

    public static ApiException invalid(String message) {
        return new ApiException(400, Code.INVALID_ARGUMENT, message, Map.of());
    }

    public static ApiException malformed(String message) {
        return new ApiException(400, Code.MALFORMED_REQUEST, message, Map.of());
    }

    /** The ErrorBody answer for this refusal. */
    public ApiResponse response() {
        return ApiResponse.error(status, code, getMessage(), headers);
    }
}
