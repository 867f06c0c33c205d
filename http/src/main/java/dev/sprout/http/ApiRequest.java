package dev.sprout.http;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One management API request, already read whole and decoded from HTTP: the transport (Netty, or a test
 * calling {@link ManagementApi#handle} directly) owns the bytes, this record owns a copy.
 *
 * @param method the HTTP method, upper case ("GET")
 * @param path   the percent-decoded path without the query ("/v1/timelines")
 * @param query  the decoded query parameters, each with its values in order
 * @param body   the request body; empty when there is none
 */
public record ApiRequest(String method, String path, Map<String, List<String>> query, byte[] body) {

    public ApiRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        query = Map.copyOf(query);
        Objects.requireNonNull(body, "body");
    }

    public static ApiRequest of(String method, String path) {
        return new ApiRequest(method, path, Map.of(), new byte[0]);
    }
}
