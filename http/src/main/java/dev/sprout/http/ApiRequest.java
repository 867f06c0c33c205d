package dev.sprout.http;

import dev.sprout.http.auth.Principal;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One API request, already read whole and decoded from HTTP, with who made it: the transport (Netty, or a test
 * calling an API's {@code handle} directly) owns the bytes, this record owns a copy.
 *
 * @param method    the HTTP method, upper case ("GET")
 * @param path      the percent-decoded path without the query ("/v1/timelines")
 * @param query     the decoded query parameters, each with its values in order
 * @param body      the request body; empty when there is none
 * @param principal who sent it, as its bearer token says ({@link BearerAuth}); the API checks what it may do
 */
public record ApiRequest(
        String method, String path, Map<String, List<String>> query, byte[] body, Principal principal) {

    public ApiRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        query = Map.copyOf(query);
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(principal, "principal");
    }

    /** A request made with the admin token: for in-process callers (tests, benchmarks) that hold it anyway. */
    public ApiRequest(String method, String path, Map<String, List<String>> query, byte[] body) {
        this(method, path, query, body, Principal.ADMIN);
    }

    /** A request without query or body, made with the admin token. */
    public static ApiRequest of(String method, String path) {
        return new ApiRequest(method, path, Map.of(), new byte[0]);
    }

    /** The same request made by {@code who}. */
    public ApiRequest as(Principal who) {
        return new ApiRequest(method, path, query, body, who);
    }
}
