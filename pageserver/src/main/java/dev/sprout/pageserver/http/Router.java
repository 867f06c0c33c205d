package dev.sprout.pageserver.http;

import dev.sprout.http.ApiException;
import dev.sprout.http.ApiRequest;
import dev.sprout.http.Json;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.CreateTimelineRequest;
import dev.sprout.protocol.v1.GcSettings;
import dev.sprout.storage.error.InvalidArgumentException;
import dev.sprout.storage.timeline.BranchPoint;
import dev.sprout.storage.timeline.TimelineId;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns a request into an {@link ApiCall}: finds the resource its path names, checks the method, parses path
 * parameters, query and body. Everything refused here is a 4xx {@link ApiException} that names the offending
 * value; nothing here touches the store.
 *
 * <p>Stateless and thread-safe.
 */
final class Router {
    /**
     * The largest PITR window a PUT may set: 100 years. GC subtracts the window from the clock, and an
     * {@code Instant} cannot go much further back than year -1,000,000,000; this bound keeps far from that
     * while allowing any window an operator could mean.
     */
    static final long MAX_PITR_WINDOW_SECONDS = Duration.ofDays(36_500).toSeconds();

    /** RFC 3339 allows four-digit years only; ISO 8601 (and java.time) would take +999999999. */
    private static final int MAX_YEAR = 9999;

    /** Every resource of the API and the methods it takes; a path is matched segment by segment. */
    @SuppressWarnings("ImmutableEnumChecker") // methods is List.of (unmodifiable), segments never leaves the enum
    enum Resource {
        TIMELINES("/v1/timelines", "GET", "POST"),
        TIMELINE("/v1/timelines/{id}", "GET", "DELETE"),
        TIMELINE_LSN("/v1/timelines/{id}/lsn", "GET"),
        LSN_TIME("/v1/lsn/{lsn}/time", "GET"),
        GC_SETTINGS("/v1/gc/settings", "GET", "PUT"),
        GC("/v1/gc", "POST"),
        HEALTH("/healthz", "GET"),
        METRICS("/metrics", "GET");

        final String template;
        final List<String> methods;
        private final String[] segments;

        Resource(String template, String... methods) {
            this.template = template;
            this.methods = List.of(methods);
            this.segments = template.substring(1).split("/", -1);
        }

        /** The path parameters when {@code path} names this resource. */
        Optional<List<String>> match(String[] path) {
            if (path.length != segments.length) {
                return Optional.empty();
            }
            List<String> params = new ArrayList<>(1);
            for (int i = 0; i < path.length; i++) {
                if (segments[i].startsWith("{")) {
                    if (path[i].isEmpty()) {
                        return Optional.empty();
                    }
                    params.add(path[i]);
                } else if (!segments[i].equals(path[i])) {
                    return Optional.empty();
                }
            }
            return Optional.of(params);
        }
    }

    private Router() {}

    static ApiCall decode(ApiRequest request) {
        String[] path =
                request.path().startsWith("/") ? request.path().substring(1).split("/", -1) : new String[0];
        for (Resource resource : Resource.values()) {
            Optional<List<String>> params = resource.match(path);
            if (params.isPresent()) {
                return decode(resource, params.get(), request);
            }
        }
        throw new ApiException(
                404,
                Code.MALFORMED_REQUEST,
                "no resource at " + quote(request.path())
                        + " (see docs/protocol.md for the routes of the management API)",
                Map.of());
    }

    private static ApiCall decode(Resource resource, List<String> params, ApiRequest request) {
        String method = request.method();
        if (!resource.methods.contains(method)) {
            String allow = String.join(", ", resource.methods);
            throw new ApiException(
                    405,
                    Code.MALFORMED_REQUEST,
                    resource.template + " does not take " + method + " (allowed: " + allow + ")",
                    Map.of("Allow", allow));
        }
        checkQuery(request, resource == Resource.TIMELINE_LSN ? Set.of("time") : Set.of());
        return switch (resource) {
            case TIMELINES -> method.equals("GET") ? new ApiCall.ListTimelines() : create(request.body());
            case TIMELINE ->
                method.equals("GET")
                        ? new ApiCall.GetTimeline(timelineId(params.getFirst(), "timeline id"))
                        : new ApiCall.DeleteTimeline(timelineId(params.getFirst(), "timeline id"));
            case TIMELINE_LSN ->
                new ApiCall.LsnAt(
                        timelineId(params.getFirst(), "timeline id"),
                        time(requiredParam(request, "time", "2026-05-01T12:00:00Z"), "time"));
            case LSN_TIME -> new ApiCall.TimeOf(lsn(params.getFirst()));
            case GC_SETTINGS -> method.equals("GET") ? new ApiCall.GetGcSettings() : gcSettings(request.body());
            case GC -> new ApiCall.RunGc();
            case HEALTH -> new ApiCall.Health();
            case METRICS -> new ApiCall.Metrics();
        };
    }

    private static ApiCall create(byte[] body) {
        CreateTimelineRequest r =
                Json.parse(body, CreateTimelineRequest.newBuilder()).build();
        TimelineId id = r.getTimelineId().isEmpty() ? TimelineId.random() : timelineId(r.getTimelineId(), "timelineId");
        if (r.getParentId().isEmpty()) {
            if (r.getAncestorLsn() != 0 || !r.getAncestorTime().isEmpty()) {
                throw ApiException.invalid(
                        "ancestorLsn and ancestorTime need a parentId: a root timeline has no ancestor");
            }
            return new ApiCall.CreateRoot(id, r.getUid(), r.getGid());
        }
        if (r.getUid() != 0 || r.getGid() != 0) {
            throw ApiException.invalid(
                    "uid and gid apply to a root timeline only (a branch shares its parent's files), "
                            + "got uid " + Integer.toUnsignedString(r.getUid()) + " and gid "
                            + Integer.toUnsignedString(r.getGid())
                            + " with parentId " + r.getParentId());
        }
        TimelineId parent = timelineId(r.getParentId(), "parentId");
        boolean byLsn = r.getAncestorLsn() != 0;
        boolean byTime = !r.getAncestorTime().isEmpty();
        BranchPoint at;
        if (byLsn && byTime) {
            throw ApiException.invalid("set ancestorLsn or ancestorTime, not both (got ancestorLsn "
                    + Long.toUnsignedString(r.getAncestorLsn()) + " and ancestorTime " + quote(r.getAncestorTime())
                    + ")");
        } else if (byLsn) {
            if (r.getAncestorLsn() < 0) { // a uint64 above 2^63 - 1: no store reaches it
                throw new ApiException(
                        400,
                        Code.LSN_OUT_OF_RANGE,
                        "ancestorLsn " + Long.toUnsignedString(r.getAncestorLsn())
                                + " is beyond every LSN a store can hold (expected: <= " + Long.MAX_VALUE + ")",
                        Map.of());
            }
            at = new BranchPoint.AtLsn(r.getAncestorLsn());
        } else if (byTime) {
            at = new BranchPoint.AtTime(time(r.getAncestorTime(), "ancestorTime"));
        } else {
            at = new BranchPoint.Head();
        }
        return new ApiCall.CreateBranch(id, parent, at);
    }

    private static ApiCall gcSettings(byte[] body) {
        // An empty body would parse as pitrWindowSeconds 0 and turn point-in-time recovery off by accident.
        if (new String(body, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
            throw ApiException.malformed(
                    "PUT /v1/gc/settings needs a GcSettings body, e.g. {\"pitrWindowSeconds\": \"604800\"}");
        }
        GcSettings s = Json.parse(body, GcSettings.newBuilder()).build();
        long seconds = s.getPitrWindowSeconds();
        if (seconds < 0 || seconds > MAX_PITR_WINDOW_SECONDS) {
            throw ApiException.invalid("pitrWindowSeconds " + Long.toUnsignedString(seconds)
                    + " is too large (expected: <= " + MAX_PITR_WINDOW_SECONDS + ", 100 years)");
        }
        return new ApiCall.PutGcSettings(Duration.ofSeconds(seconds));
    }

    private static void checkQuery(ApiRequest request, Set<String> allowed) {
        for (String name : request.query().keySet()) {
            if (!allowed.contains(name)) {
                throw ApiException.invalid("unknown query parameter " + quote(name) + " on " + request.path()
                        + (allowed.isEmpty() ? " (it takes none)" : " (it takes: " + String.join(", ", allowed) + ")"));
            }
        }
    }

    private static String requiredParam(ApiRequest request, String name, String example) {
        List<String> values = request.query().getOrDefault(name, List.of());
        if (values.size() != 1) {
            throw ApiException.invalid("query parameter " + name + " is required once (got " + values.size()
                    + " values), e.g. ?" + name + "=" + example);
        }
        return values.getFirst();
    }

    static TimelineId timelineId(String text, String what) {
        try {
            return TimelineId.parse(text);
        } catch (InvalidArgumentException e) {
            throw ApiException.invalid(what + " " + quote(text) + " is not a UUID (expected 8-4-4-4-12 hex digits, "
                    + "e.g. 0b5f6c3e-8d7a-4c1e-9f00-2a1b3c4d5e6f)");
        }
    }

    /** An RFC 3339 time with an offset ("Z" or "+02:00"); fractions of a second are kept to the nanosecond. */
    static Instant time(String text, String what) {
        try {
            OffsetDateTime t = OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME);
            if (t.getYear() < 0 || t.getYear() > MAX_YEAR) {
                throw ApiException.invalid(
                        what + " " + quote(text) + " is not an RFC 3339 time (the year must have four digits)");
            }
            return t.toInstant();
        } catch (DateTimeParseException e) {
            // A '+' in a query string decodes to a space (HTML form encoding); say so, it is the usual cause.
            String hint = text.contains(" ") ? "; in a query, write the '+' of an offset as %2B" : "";
            throw ApiException.invalid(what + " " + quote(text) + " is not an RFC 3339 time (expected e.g. "
                    + "2026-05-01T12:00:00Z or 2026-05-01T14:00:00+02:00" + hint + ")");
        }
    }

    private static long lsn(String text) {
        try {
            long lsn = Long.parseLong(text);
            if (lsn >= 0) {
                return lsn;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw ApiException.invalid(
                "LSN " + quote(text) + " is not an LSN (expected a decimal number from 0 to " + Long.MAX_VALUE + ")");
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }
}
