package dev.sprout.http;

import dev.sprout.protocol.v1.Code;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The HTTP APIs' authentication (RFC 6750): every request but the liveness probe {@code GET /healthz} carries
 * {@code Authorization: Bearer TOKEN} with the server's admin token. A request without it, with another scheme, or with another token is answered 401 with
 * {@code WWW-Authenticate: Bearer} and a sentence saying what was missing; the sentence never holds a token,
 * given or expected.
 *
 * <p>Concurrency: immutable; any thread may use it.
 */
final class BearerAuth {
    private static final String SCHEME = "bearer";
    private static final Map<String, String> CHALLENGE = Map.of("WWW-Authenticate", "Bearer realm=\"sprout\"");

    /** Liveness probes (a supervisor, a load balancer) hold no token; the answer says only "up" and the last LSN. */
    static final String OPEN_PATH = "/healthz";

    private final Secret token;

    BearerAuth(Secret token) {
        this.token = Objects.requireNonNull(token, "token");
    }

    /**
     * Empty when {@code method path} needs no token or {@code authorization} (the header's value, null when absent)
     * carries it; else the 401.
     */
    Optional<ApiResponse> refusal(String method, String path, String authorization) {
        if (method.equals("GET") && path.equals(OPEN_PATH)) {
            return Optional.empty();
        }
        if (authorization == null || authorization.isBlank()) {
            return Optional.of(unauthorized("this API needs a bearer token: send the header `Authorization: Bearer"
                    + " TOKEN` with the server's admin token" + (token.file() == null ? "" : ", kept in " + token.file())
                    + " (the sprout CLI reads it itself)"));
        }
        String value = authorization.strip();
        int space = value.indexOf(' ');
        String scheme = (space < 0 ? value : value.substring(0, space)).toLowerCase(Locale.ROOT);
        if (!scheme.equals(SCHEME)) {
            String shown = scheme.length() > 20 || !scheme.chars().allMatch(c -> c >= 'a' && c <= 'z')
                    ? "another scheme" : "the scheme " + scheme;
            return Optional.of(unauthorized("the Authorization header uses " + shown + "; this API takes"
                    + " `Authorization: Bearer TOKEN`"));
        }
        String given = space < 0 ? "" : value.substring(space + 1).strip();
        if (given.isEmpty()) {
            return Optional.of(unauthorized("the Authorization header names the Bearer scheme but carries no token"));
        }
        if (!token.matches(given)) {
            return Optional.of(unauthorized("the bearer token is not valid for this server"));
        }
        return Optional.empty();
    }

    private static ApiResponse unauthorized(String message) {
        return ApiResponse.error(401, Code.UNAUTHENTICATED, message, CHALLENGE);
    }
}
