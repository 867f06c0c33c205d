package dev.sprout.http.auth;

import dev.sprout.http.ApiException;
import dev.sprout.http.ApiRequest;
import dev.sprout.http.ApiResponse;
import dev.sprout.http.HttpApi;
import dev.sprout.http.Json;
import dev.sprout.protocol.v1.AuditTrail;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.CreateTokenRequest;
import dev.sprout.protocol.v1.CreatedToken;
import dev.sprout.protocol.v1.TokenList;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who may call, as an API (admin scope only), mounted beside the others:
 *
 * <pre>
 * GET    /v1/tokens          the issued tokens (TokenList), never their secrets
 * POST   /v1/tokens          issue one (CreateTokenRequest): 201 CreatedToken, the secret shown this once
 * DELETE /v1/tokens/{id}     revoke it: 200 with the token revoked, 404 UNKNOWN_TOKEN when there is none
 * GET    /v1/audit[?limit=N][&since=TIME]  the newest N entries (default 100, at most 10,000) at or after TIME
 *                            (RFC 3339), oldest first
 * </pre>
 *
 * Thread-safe.
 */
public final class TokensApi implements HttpApi {
    public static final String TOKENS = "/v1/tokens";
    public static final String AUDIT = "/v1/audit";
    static final Duration MAX_TTL = Duration.ofDays(3650);
    private static final Pattern TTL = Pattern.compile("([1-9][0-9]{0,6})([smhd])");
    private static final int DEFAULT_LIMIT = 100;
    private static final int MAX_LIMIT = 10_000;

    private final TokenStore tokens;
    private final AuditLog audit;

    public TokensApi(TokenStore tokens, AuditLog audit) {
        this.tokens = tokens;
        this.audit = audit;
    }

    @Override
    public ApiResponse handle(ApiRequest request) {
        try {
            return route(request);
        } catch (ApiException e) {
            return e.response();
        } catch (IllegalStateException e) { // the token file could not be written: nothing changed
            return ApiResponse.error(500, Code.IO_ERROR, e.getMessage());
        }
    }

    private ApiResponse route(ApiRequest request) {
        String path = request.path();
        String method = request.method();
        if (path.equals(AUDIT)) {
            request.principal().require(Scope.ADMIN, "read the audit log");
            if (!method.equals("GET")) {
                throw notAllowed(method, "GET");
            }
            return auditTail(
                    request.query().getOrDefault("limit", List.of()),
                    request.query().getOrDefault("since", List.of()));
        }
        if (path.equals(TOKENS)) {
            request.principal().require(Scope.ADMIN, method.equals("GET") ? "list the tokens" : "make tokens");
            return switch (method) {
                case "GET" -> ApiResponse.json(200, TokenList.newBuilder().addAllTokens(tokens.list()));
                case "POST" ->
                    create(Json.parse(request.body(), CreateTokenRequest.newBuilder())
                            .build());
                default -> throw notAllowed(method, "GET, POST");
            };
        }
        if (path.startsWith(TOKENS + "/")) {
            String id = path.substring(TOKENS.length() + 1);
            request.principal().require(Scope.ADMIN, "revoke tokens");
            if (!method.equals("DELETE")) {
                throw notAllowed(method, "DELETE");
            }
            return tokens.revoke(id)
                    .map(t -> ApiResponse.json(200, t))
                    .orElseThrow(() -> new ApiException(
                            404,
                            Code.UNKNOWN_TOKEN,
                            "no token has the id \"" + id + "\" (GET " + TOKENS + " lists them)",
                            Map.of()));
        }
        throw new ApiException(404, Code.MALFORMED_REQUEST, "no route " + path, Map.of());
    }

    private ApiResponse create(CreateTokenRequest r) {
        if (r.getScopesCount() == 0) {
            throw ApiException.invalid("a token needs at least one scope (\"scopes\": read, branch-write, admin)");
        }
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        try {
            r.getScopesList().forEach(s -> scopes.add(Scope.parse(s)));
            BranchPattern branches = r.getBranches().isEmpty() ? BranchPattern.ANY : new BranchPattern(r.getBranches());
            Optional<Duration> ttl = r.getTtl().isEmpty() ? Optional.empty() : Optional.of(ttl(r.getTtl()));
            String name = r.getName().isEmpty() ? "token" : r.getName();
            TokenStore.Created made = tokens.create(name, scopes, branches, ttl);
            return ApiResponse.json(
                    201, CreatedToken.newBuilder().setToken(made.token()).setSecret(made.secret()));
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(e.getMessage());
        }
    }

    /** "30d", "12h", "45m", "90s": a positive whole number and a unit, at most ten years. */
    static Duration ttl(String text) {
        Matcher m = TTL.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "the ttl \"" + text + "\" is not a number and a unit (s, m, h, d), e.g. 30d");
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
        if (d.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException("the ttl \"" + text + "\" is longer than ten years; leave it out for a"
                    + " token that lasts until revoked");
        }
        return d;
    }

    private ApiResponse auditTail(List<String> limits, List<String> since) {
        int limit = DEFAULT_LIMIT;
        if (!limits.isEmpty()) {
            try {
                limit = Integer.parseInt(limits.getFirst());
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                throw ApiException.invalid(
                        "limit \"" + limits.getFirst() + "\" is not a number from 1 to " + MAX_LIMIT);
            }
        }
        Instant from = Instant.MIN;
        if (!since.isEmpty()) {
            try {
                from = OffsetDateTime.parse(since.getFirst()).toInstant();
            } catch (DateTimeParseException e) {
                throw ApiException.invalid("since \"" + since.getFirst() + "\" is not an RFC 3339 time with an offset");
            }
        }
        return ApiResponse.json(200, AuditTrail.newBuilder().addAllEntries(audit.tail(limit, from)));
    }

    private static ApiException notAllowed(String method, String allowed) {
        return new ApiException(
                405,
                Code.MALFORMED_REQUEST,
                method + " is not allowed here (allowed: " + allowed + ")",
                Map.of("Allow", allowed));
    }
}
