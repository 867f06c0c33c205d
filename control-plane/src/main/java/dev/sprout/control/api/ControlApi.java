package dev.sprout.control.api;

import dev.sprout.control.ControlException;
import dev.sprout.control.ControlPlane;
import dev.sprout.control.endpoint.Endpoint;
import dev.sprout.http.ApiException;
import dev.sprout.http.ApiRequest;
import dev.sprout.http.ApiResponse;
import dev.sprout.http.Codes;
import dev.sprout.http.HttpApi;
import dev.sprout.http.Json;
import dev.sprout.http.auth.Principal;
import dev.sprout.http.auth.Scope;
import dev.sprout.protocol.WalLsn;
import dev.sprout.protocol.v1.Branch;
import dev.sprout.protocol.v1.BranchList;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.CreateBranchRequest;
import dev.sprout.protocol.v1.DeleteBranchResponse;
import dev.sprout.protocol.v1.ProtectBranchRequest;
import dev.sprout.protocol.v1.RenewBranchRequest;
import dev.sprout.protocol.v1.ResetBranchResponse;
import dev.sprout.protocol.v1.RestoreBranchRequest;
import dev.sprout.protocol.v1.RestoreBranchResponse;
import dev.sprout.protocol.v1.SetRolesRequest;
import dev.sprout.protocol.v1.UnfollowResponse;
import dev.sprout.storage.error.StorageException;
import dev.sprout.storage.timeline.BranchPoint;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's HTTP/JSON API under {@code /v1/branches}, with the management API's conventions (messages of
 * {@code control.proto} as protobuf JSON, refusals as an ErrorBody with a {@code Code} and a sentence). Mounted on
 * the pageserver's HTTP server in the all-in-one mode. Routes:
 *
 * <pre>
 * GET    /v1/branches                      list (parents before children)
 * POST   /v1/branches                      create (CreateBranchRequest): 201, or 200 when repeated
 * GET    /v1/branches/{name}               one branch
 * DELETE /v1/branches/{name}[?subtree=true][&amp;force=true]
 * POST   /v1/branches/{name}/reset[?force=true]    back to the parent's head, same name
 * POST   /v1/branches/{name}/restore[?force=true]  to a time (RestoreBranchRequest); the old state kept as a backup
 * POST   /v1/branches/{name}/renew         its TTL or lease counts again from now (RenewBranchRequest)
 * POST   /v1/branches/{name}/protect       protect or unprotect (ProtectBranchRequest)
 * POST   /v1/branches/{name}/start|stop|suspend   the branch's compute
 * POST   /v1/branches/{name}/roles     the roles the proxy lets connect (SetRolesRequest); [] for every role
 * POST   /v1/branches/{name}/unfollow  a follower stops following (its slot on the source is dropped)
 * </pre>
 *
 * A branch name may contain {@code /} and is written as it is in the path ({@code /v1/branches/team/feature-x}).
 * Thread-safe.
 */
public final class ControlApi implements HttpApi {
    public static final String PREFIX = "/v1/branches";
    private static final Logger LOG = LoggerFactory.getLogger(ControlApi.class);
    private static final List<String> ACTIONS =
            List.of("reset", "restore", "start", "stop", "suspend", "roles", "unfollow", "renew", "protect");

    private static final Duration TEN_YEARS = Duration.ofDays(3653);

    private final ControlPlane control;

    public ControlApi(ControlPlane control) {
        this.control = control;
    }

    @Override
    public ApiResponse handle(ApiRequest request) {
        return answer(request, this::route);
    }

    /**
     * Runs {@code route} on {@code request} and turns what it throws into the API's refusals: an {@link ApiException}
     * as it says, a {@link ControlException} with its code, a store refusal with its code, anything else a logged
     * 500 INTERNAL. Shared by the control plane's APIs.
     */
    static ApiResponse answer(ApiRequest request, java.util.function.Function<ApiRequest, ApiResponse> route) {
        try {
            return route.apply(request);
        } catch (ApiException e) {
            return e.response();
        } catch (ControlException e) {
            return ApiResponse.error(Codes.httpStatus(e.code()), e.code(), e.getMessage());
        } catch (StorageException e) { // a refusal of the store that the control plane did not turn into its own
            Code code = Codes.of(e.code());
            int status = Codes.httpStatus(code);
            if (status >= 500) {
                LOG.warn("{} {} failed in the store: {}", request.method(), request.path(), e.getMessage(), e);
            }
            return ApiResponse.error(status, code, e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("{} {} failed", request.method(), request.path(), e);
            return ApiResponse.error(500, Code.INTERNAL, request.method() + " " + request.path() + " failed: " + e);
        }
    }

    private ApiResponse route(ApiRequest request) {
        String rest = request.path().substring(PREFIX.length());
        String method = request.method();
        Principal who = request.principal();
        if (method.equals("GET")) {
            who.require(Scope.READ, "read branches");
        }
        if (rest.isEmpty() || rest.equals("/")) {
            return switch (method) {
                case "GET" -> list();
                case "POST" ->
                    create(
                            who,
                            Json.parse(request.body(), CreateBranchRequest.newBuilder())
                                    .build());
                default -> notAllowed(method, "GET, POST", "");
            };
        }
        // A branch name may hold '/': GET and DELETE name a branch with the whole rest of the path; POST names an
        // action in its last segment and the branch with what comes before it.
        String tail = rest.substring(1);
        if (!method.equals("POST")) {
            return switch (method) {
                case "GET" -> ApiResponse.json(200, branch(control.get(tail), 0));
                case "DELETE" -> {
                    boolean subtree = flag(request, "subtree");
                    who.requireBranch(tail, "delete");
                    if (subtree) {
                        descendants(tail)
                                .forEach(child ->
                                        who.requireBranch(child, "delete (with the subtree of \"" + tail + "\")"));
                    }
                    ControlPlane.Deleted deleted = control.delete(tail, subtree, flag(request, "force"));
                    yield ApiResponse.json(
                            200,
                            DeleteBranchResponse.newBuilder()
                                    .addAllDeleted(deleted.names())
                                    .addAllWarnings(deleted.warnings())
                                    .setConnectionsEnded(deleted.connectionsEnded()));
                }
                default -> notAllowed(method, "GET, DELETE", "; POST to /v1/branches/{name}/{action}");
            };
        }
        int slash = tail.lastIndexOf('/');
        String action = slash < 0 ? "" : tail.substring(slash + 1);
        if (!ACTIONS.contains(action)) {
            throw new ApiException(
                    404,
                    Code.MALFORMED_REQUEST,
                    "POST " + request.path() + ": no action \"" + action
                            + "\" (expected /v1/branches/{name}/ and one of " + String.join(", ", ACTIONS) + ")",
                    Map.of());
        }
        String name = tail.substring(0, slash);
        who.requireBranch(name, action);
        return switch (action) {
            case "reset" -> {
                ControlPlane.Reset reset = control.reset(name, flag(request, "force"));
                yield ApiResponse.json(
                        200,
                        ResetBranchResponse.newBuilder()
                                .setBranch(branch(reset.branch(), 0))
                                .setConnectionsEnded(reset.connectionsEnded()));
            }
            case "restore" -> {
                RestoreBranchRequest r = Json.parse(request.body(), RestoreBranchRequest.newBuilder())
                        .build();
                ControlPlane.Restored restored =
                        control.restore(name, time("time", r.getTime()), flag(request, "force"));
                yield ApiResponse.json(
                        200,
                        RestoreBranchResponse.newBuilder()
                                .setBranch(branch(restored.branch(), 0))
                                .setBackup(restored.backup())
                                .setConnectionsEnded(restored.connectionsEnded()));
            }
            case "renew" -> {
                RenewBranchRequest r = Json.parse(request.body(), RenewBranchRequest.newBuilder())
                        .build();
                if (r.getNever() && r.getTtlSeconds() != 0) {
                    throw ApiException.invalid("give ttlSeconds or never, not both");
                }
                ControlPlane.BranchView renewed = r.getNever()
                        ? control.keepForever(name)
                        : control.renew(name, seconds("ttlSeconds", r.getTtlSeconds()));
                yield ApiResponse.json(200, branch(renewed, 0));
            }
            case "protect" -> {
                ProtectBranchRequest r = Json.parse(request.body(), ProtectBranchRequest.newBuilder())
                        .build();
                yield ApiResponse.json(200, branch(control.protect(name, r.getProtect()), 0));
            }
            case "start" -> {
                control.wake(name);
                yield ApiResponse.json(200, branch(control.get(name), 0));
            }
            case "stop" -> {
                control.stop(name);
                yield ApiResponse.json(200, branch(control.get(name), 0));
            }
            case "unfollow" -> {
                ControlPlane.Unfollowed r = control.unfollow(name);
                yield ApiResponse.json(
                        200,
                        UnfollowResponse.newBuilder()
                                .setBranch(branch(r.branch(), 0))
                                .setWarning(r.warning().orElse("")));
            }
            case "roles" -> {
                SetRolesRequest r =
                        Json.parse(request.body(), SetRolesRequest.newBuilder()).build();
                yield ApiResponse.json(200, branch(control.setRoles(name, r.getRolesList()), 0));
            }
            default -> {
                control.suspend(name);
                yield ApiResponse.json(200, branch(control.get(name), 0));
            }
        };
    }

    private ApiResponse list() {
        BranchList.Builder list = BranchList.newBuilder();
        Map<String, Integer> depth = new HashMap<>();
        for (ControlPlane.BranchView v : control.list()) {
            int d = v.branch().parent().map(p -> depth.getOrDefault(p, 0) + 1).orElse(0);
            depth.put(v.branch().name(), d);
            list.addBranches(branch(v, d));
        }
        return ApiResponse.json(200, list);
    }

    private ApiResponse create(Principal who, CreateBranchRequest r) {
        if (r.getName().isEmpty()) {
            throw ApiException.invalid("a branch needs a name (\"name\")");
        }
        who.requireBranch(r.getName(), "create");
        if (r.getAtLsn() < 0) {
            throw ApiException.invalid(
                    "\"atLsn\" " + Long.toUnsignedString(r.getAtLsn()) + " is not an LSN (expected: < 2^63)");
        }
        if (r.getAtLsn() != 0 && !r.getAtTime().isEmpty()) {
            throw ApiException.invalid("give atLsn or atTime, not both");
        }
        if (!r.getAtWalLsn().isEmpty() && (r.getAtLsn() != 0 || !r.getAtTime().isEmpty())) {
            throw ApiException.invalid("give atWalLsn alone, without atLsn or atTime");
        }
        String parent = r.getParent().isEmpty() ? "main" : r.getParent();
        BranchPoint at = r.getAtLsn() != 0
                ? new BranchPoint.AtLsn(r.getAtLsn())
                : !r.getAtWalLsn().isEmpty()
                        ? new BranchPoint.AtLsn(control.walPoint(parent, walLsn(r.getAtWalLsn())))
                        : r.getAtTime().isEmpty()
                                ? new BranchPoint.Head()
                                : new BranchPoint.AtTime(time("atTime", r.getAtTime()));
        ControlPlane.Lifecycle lifecycle = new ControlPlane.Lifecycle(
                seconds("ttlSeconds", r.getTtlSeconds()),
                seconds("leaseSeconds", r.getLeaseSeconds()),
                r.getExpiresAt().isEmpty() ? Optional.empty() : Optional.of(time("expiresAt", r.getExpiresAt())),
                r.getProtect());
        ControlPlane.Created created = control.create(r.getName(), parent, at, lifecycle);
        return ApiResponse.json(created.created() ? 201 : 200, branch(created.branch(), 0));
    }

    private static WalLsn walLsn(String text) {
        try {
            return WalLsn.parse(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("\"atWalLsn\" " + e.getMessage());
        }
    }

    /** Every branch below {@code name} (children, their children...), from the catalog as it is now. */
    private List<String> descendants(String name) {
        List<String> below = new ArrayList<>();
        Deque<String> todo = new ArrayDeque<>(List.of(name));
        List<ControlPlane.BranchView> all = control.list();
        while (!todo.isEmpty()) {
            String parent = todo.removeFirst();
            for (ControlPlane.BranchView v : all) {
                if (v.branch().parent().filter(parent::equals).isPresent()) {
                    below.add(v.branch().name());
                    todo.addLast(v.branch().name());
                }
            }
        }
        return below;
    }

    static Branch.Builder branch(ControlPlane.BranchView v, int depth) {
        Endpoint e = v.endpoint();
        return Branch.newBuilder()
                .setName(v.branch().name())
                .setParent(v.branch().parent().orElse(""))
                .setTimelineId(v.branch().timeline().toString())
                .setBranchLsn(v.branch().branchLsn())
                .setBranchTime(v.branch().branchTime().toString())
                .setCreatedAt(v.branch().createdAt().toString())
                .setLogicalBytes(v.timeline().logicalBytes())
                .setAddedBytes(v.timeline().physicalBytes())
                .setComputeState(e.state().name())
                .setComputeAddress(e.address()
                        .map(a -> a.getHostString() + ":" + a.getPort())
                        .orElse(""))
                .setLastActivity(e.lastActivity().map(Instant::toString).orElse(""))
                .setDepth(depth)
                .addAllRoles(v.branch().roles())
                .setFollows(v.follow().map(ControlPlane.FollowView::source).orElse(""))
                .setFollowState(v.follow().map(ControlPlane.FollowView::state).orElse(""))
                .setExpiresAt(
                        v.branch().expiry().deadline().map(Instant::toString).orElse(""))
                .setExpiry(v.branch().expiry().kind())
                .setRenewSeconds(
                        v.branch().expiry().renewBy().map(Duration::toSeconds).orElse(0L))
                .setProtect(v.branch().protect());
    }

    /** Whether query parameter {@code name} is {@code true}. */
    private static boolean flag(ApiRequest request, String name) {
        return request.query().getOrDefault(name, List.of("false")).contains("true");
    }

    /** A duration field in seconds: empty when 0 (not given); refused beyond ten years. */
    private static Optional<Duration> seconds(String field, long value) {
        if (value == 0) {
            return Optional.empty();
        }
        if (value < 0 || value > TEN_YEARS.toSeconds()) {
            throw ApiException.invalid("\"" + field + "\" " + Long.toUnsignedString(value)
                    + " is not a lifetime in seconds (1 to " + TEN_YEARS.toSeconds() + ")");
        }
        return Optional.of(Duration.ofSeconds(value));
    }

    private static Instant time(String field, String text) {
        try {
            OffsetDateTime t = OffsetDateTime.parse(text);
            if (t.getYear() < 0 || t.getYear() > 9999) {
                throw ApiException.invalid(
                        "\"" + field + "\" is not an RFC 3339 time (four-digit years): \"" + text + "\"");
            }
            return t.toInstant();
        } catch (DateTimeParseException e) {
            throw ApiException.invalid("\"" + field + "\" is not an RFC 3339 time with an offset: \"" + text + "\"");
        }
    }

    /** A 405: {@code allowed} is the Allow header, methods only (RFC 9110); {@code hint} goes in the sentence. */
    private static ApiResponse notAllowed(String method, String allowed, String hint) {
        return new ApiException(
                        405,
                        Code.MALFORMED_REQUEST,
                        method + " is not allowed here (allowed: " + allowed + hint + ")",
                        Map.of("Allow", allowed))
                .response();
    }
}
