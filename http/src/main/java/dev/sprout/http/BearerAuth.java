package dev.sprout.http;

import dev.sprout.http.auth.AuditLog;
import dev.sprout.http.auth.FailureLimiter;
import dev.sprout.http.auth.Principal;
import dev.sprout.http.auth.TokenStore;
import dev.sprout.protocol.v1.Code;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The HTTP APIs' authentication (RFC 6750): every request but the liveness probe {@code GET /healthz} carries
 * {@code Authorization: Bearer TOKEN} with the server's admin token or a token issued by {@link TokenStore}. The
 * answer is who is asking ({@link Principal}); what they may do is for each API to check.
 *
 * <p>A request without a token, with another scheme, with an unknown, revoked or expired token is answered 401 with
 * {@code WWW-Authenticate: Bearer} and a sentence saying what was wrong; the sentence never holds a token, given or
 * expected. Each unknown token counts as a failure of its address ({@link FailureLimiter}); an address with too
 * many is answered 429 {@code RATE_LIMITED} with {@code Retry-After}, its token unread.
 *
 * <p>Concurrency: thread-safe.
 */
public final class BearerAuth {
    private static final String SCHEME = "bearer";
    private static final Map<String, String> CHALLENGE = Map.of("WWW-Authenticate", "Bearer realm=\"sprout\"");

    /** Liveness probes (a supervisor, a load balancer) hold no token; the answer says only "up" and the last LSN. */
    static final String OPEN_PATH = "/healthz";

    private final Secret admin;
    private final TokenStore tokens;
    private final FailureLimiter limiter;

    public BearerAuth(Secret admin, TokenStore tokens, FailureLimiter limiter) {
        this.admin = Objects.requireNonNull(admin, "admin");
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.limiter = Objects.requireNonNull(limiter, "limiter");
    }

    /** What a request's credentials decide. */
    public sealed interface Outcome {
        /** The liveness probe: no token needed, nothing to record. */
        record Open() implements Outcome {}

        /** A valid token: the request goes on as {@code principal}. */
        record Allowed(Principal principal) implements Outcome {}

        /** Refused before any API sees it; {@code actor} names who tried, for the audit log. */
        record Refused(ApiResponse response, String actor) implements Outcome {}
    }

    /**
     * Decides on {@code method path} with {@code authorization} (the header's value, null when absent) from
     * {@code remote}.
     */
    public Outcome check(String method, String path, String authorization, InetAddress remote) {
        if (method.equals("GET") && path.equals(OPEN_PATH)) {
            return new Outcome.Open();
        }
        Optional<Duration> blocked = limiter.blocked(remote);
        if (blocked.isPresent()) {
            long seconds = Math.max(1, (blocked.get().toMillis() + 999) / 1000);
            return new Outcome.Refused(
                    ApiResponse.error(
                            429,
                            Code.RATE_LIMITED,
                            "too many requests with unknown tokens"
                                    + " from " + remote.getHostAddress() + " (within "
                                    + FailureLimiter.WINDOW.toSeconds() + " s); try again in "
                                    + seconds + " s",
                            Map.of("Retry-After", Long.toString(seconds))),
                    AuditLog.ANONYMOUS);
        }
        if (authorization == null || authorization.isBlank()) {
            return unauthorized("this API needs a bearer token: send the header `Authorization: Bearer TOKEN` with the"
                    + " server's admin token" + (admin.file() == null ? "" : ", kept in " + admin.file())
                    + " (the sprout CLI reads it itself), or a token made by `sprout token create`");
        }
        String value = authorization.strip();
        int space = value.indexOf(' ');
        String scheme = (space < 0 ? value : value.substring(0, space)).toLowerCase(Locale.ROOT);
        if (!scheme.equals(SCHEME)) {
            String shown = scheme.length() > 20 || !scheme.chars().allMatch(c -> c >= 'a' && c <= 'z')
                    ? "another scheme"
                    : "the scheme " + scheme;
            return unauthorized(
                    "the Authorization header uses " + shown + "; this API takes" + " `Authorization: Bearer TOKEN`");
        }
        String given = space < 0 ? "" : value.substring(space + 1).strip();
        if (given.isEmpty()) {
            return unauthorized("the Authorization header names the Bearer scheme but carries no token");
        }
        if (admin.matches(given)) {
            return new Outcome.Allowed(Principal.ADMIN);
        }
        return switch (tokens.authenticate(given)) {
            case TokenStore.Authentication.Valid(Principal principal) -> new Outcome.Allowed(principal);
            case TokenStore.Authentication.Expired(String id, var at) ->
                new Outcome.Refused(
                        refusal("token " + id + " expired at " + at + "; an admin makes a new one with `sprout token"
                                + " create`"),
                        "token " + id);
            case TokenStore.Authentication.Unknown() -> {
                limiter.failed(remote);
                yield unauthorized("the bearer token is not valid for this server (unknown or revoked)");
            }
        };
    }

    private static Outcome unauthorized(String message) {
        return new Outcome.Refused(refusal(message), AuditLog.ANONYMOUS);
    }

    private static ApiResponse refusal(String message) {
        return ApiResponse.error(401, Code.UNAUTHENTICATED, message, CHALLENGE);
    }
}
