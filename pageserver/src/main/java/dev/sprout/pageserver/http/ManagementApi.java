package dev.sprout.pageserver.http;

import dev.sprout.http.ApiException;
import dev.sprout.http.ApiRequest;
import dev.sprout.http.ApiResponse;
import dev.sprout.http.Codes;
import dev.sprout.http.HttpApi;
import dev.sprout.http.HttpServerInitializer;
import dev.sprout.http.auth.Scope;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.GcSettings;
import dev.sprout.protocol.v1.Health;
import dev.sprout.protocol.v1.LsnTime;
import dev.sprout.protocol.v1.TimelineList;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.error.StorageException;
import dev.sprout.storage.error.UnknownTimelineException;
import dev.sprout.storage.gc.GcReport;
import dev.sprout.storage.timeline.BranchPoint;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.storage.timeline.TimelineInfo;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The management API: timelines, LSN and time lookups, GC, health and metrics, as JSON (see docs/protocol.md).
 * {@link #handle} takes a whole request and returns a whole answer; it knows nothing of HTTP framing, which
 * {@link HttpServerInitializer} adds.
 *
 * <p>Every answer is either the operation's message or an ErrorBody: the store's refusals keep their code
 * ({@link Codes}), requests that do not parse are 4xx, and anything unexpected is a 500 INTERNAL whose sentence
 * names the request and the failure, logged with its stack trace here and never sent to the client.
 *
 * <p>Concurrency: thread-safe; {@link #handle} blocks on the store and must not run on an event loop.
 */
public final class ManagementApi implements HttpApi {
    /** The Prometheus text exposition format, version 0.0.4, which {@link PrometheusMeterRegistry#scrape()} writes. */
    public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private static final Logger log = LoggerFactory.getLogger(ManagementApi.class);
    private static final byte[] EMPTY_OBJECT = "{}\n".getBytes(StandardCharsets.UTF_8);

    private final PageStore store;
    private final PrometheusMeterRegistry metrics;
    private final TimelineEvents events;

    public ManagementApi(PageStore store, PrometheusMeterRegistry metrics, TimelineEvents events) {
        this.store = Objects.requireNonNull(store, "store");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.events = Objects.requireNonNull(events, "events");
    }

    /** Answers one request. Blocking: calls the store. Never throws for anything a request can cause. */
    @Override
    public ApiResponse handle(ApiRequest request) {
        try {
            if (request.method().equals("GET") && request.path().equals("/metrics")) {
                request.principal().require(Scope.READ, "read the metrics");
            } else {
                request.principal()
                        .require(
                                Scope.ADMIN,
                                "use the pageserver's management API (" + request.method() + " " + request.path()
                                        + ")");
            }
            return dispatch(Router.decode(request));
        } catch (ApiException e) {
            return e.response();
        } catch (StorageException e) {
            Code code = Codes.of(e.code());
            if (code == Code.IO_ERROR) {
                log.warn("{} {} failed on the store: {}", request.method(), request.path(), e.getMessage(), e);
            }
            return ApiResponse.error(Codes.httpStatus(code), code, e.getMessage());
        } catch (RuntimeException e) {
            log.error("{} {} failed", request.method(), request.path(), e);
            return ApiResponse.error(500, Code.INTERNAL, request.method() + " " + request.path() + " failed: " + e);
        }
    }

    private ApiResponse dispatch(ApiCall call) {
        return switch (call) {
            case ApiCall.CreateRoot(TimelineId id, int uid, int gid) -> {
                boolean existed = find(id).isPresent();
                TimelineInfo created = store.createRoot(id, uid, gid);
                yield ApiResponse.json(existed ? 200 : 201, describe(created));
            }
            case ApiCall.CreateBranch(TimelineId id, TimelineId parent, BranchPoint at) -> createBranch(id, parent, at);
            case ApiCall.ListTimelines() -> {
                TimelineList.Builder list = TimelineList.newBuilder();
                for (TimelineInfo t : store.timelines()) {
                    try {
                        list.addTimelines(describe(t));
                    } catch (UnknownTimelineException deletedSinceListed) {
                        // deleted between the listing and its writer generation: it is gone, leave it out
                    }
                }
                yield ApiResponse.json(200, list);
            }
            case ApiCall.GetTimeline(TimelineId id) -> ApiResponse.json(200, describe(store.timeline(id)));
            case ApiCall.DeleteTimeline(TimelineId id) -> {
                store.deleteTimeline(id);
                try {
                    events.deleted(id);
                } catch (RuntimeException e) {
                    log.error("the deletion of timeline {} is durable, but telling the page service failed", id, e);
                }
                yield new ApiResponse(200, ApiResponse.JSON, EMPTY_OBJECT, Map.of());
            }
            case ApiCall.LsnAt(TimelineId id, Instant time) ->
                ApiResponse.json(
                        200, LsnTime.newBuilder().setLsn(store.lsnAt(id, time)).setTime(time.toString()));
            case ApiCall.TimeOf(long lsn) -> timeOf(lsn);
            case ApiCall.GetGcSettings() -> ApiResponse.json(200, gcSettings());
            case ApiCall.PutGcSettings(Duration window) -> {
                store.pitrWindow(window);
                log.info("PITR window set to {} s", window.toSeconds());
                yield ApiResponse.json(200, gcSettings());
            }
            case ApiCall.RunGc() -> {
                long start = System.nanoTime();
                GcReport report = store.gc();
                long micros = (System.nanoTime() - start) / 1_000;
                yield ApiResponse.json(200, Messages.gcResult(report, micros));
            }
            case ApiCall.Health() ->
                ApiResponse.json(
                        200,
                        Health.newBuilder()
                                .setStatus("ok")
                                .setLastLsn(store.lastLsn())
                                .setTimelines(store.timelines().size()));
            case ApiCall.Metrics() ->
                new ApiResponse(200, PROMETHEUS_TEXT, metrics.scrape().getBytes(StandardCharsets.UTF_8), Map.of());
        };
    }

    /**
     * 201 when this request created the timeline, 200 when it already existed as asked (the engine is
     * idempotent on the id and branch point, so a client may retry a create whose answer it lost). Two
     * identical requests racing may both answer 201; both describe the same timeline.
     */
    private ApiResponse createBranch(TimelineId id, TimelineId parent, BranchPoint at) {
        Optional<TimelineInfo> existing = find(id);
        TimelineInfo info = switch (at) {
            case BranchPoint.AtLsn(long lsn) -> store.branch(id, parent, lsn);
            case BranchPoint.AtTime(Instant time) -> store.branchAt(id, parent, time);
            case BranchPoint.Head() -> {
                // "At the head" named no LSN, so a retry after the parent moved on is still the same request.
                if (existing.isPresent() && existing.get().parent().equals(Optional.of(parent))) {
                    yield existing.get();
                }
                yield store.branch(id, parent, store.timeline(parent).lastLsn());
            }
        };
        return ApiResponse.json(existing.isPresent() ? 200 : 201, describe(info));
    }

    private ApiResponse timeOf(long lsn) {
        long last = store.lastLsn();
        if (lsn > last) {
            return ApiResponse.error(
                    404, Code.LSN_OUT_OF_RANGE, "LSN " + lsn + " is beyond the last LSN of the store (" + last + ")");
        }
        Optional<Instant> time = store.timeOf(lsn);
        if (time.isEmpty()) {
            return ApiResponse.error(404, Code.LSN_OUT_OF_RANGE, "no commit is known at or below LSN " + lsn);
        }
        return ApiResponse.json(
                200, LsnTime.newBuilder().setLsn(lsn).setTime(time.get().toString()));
    }

    private GcSettings gcSettings() {
        return GcSettings.newBuilder()
                .setPitrWindowSeconds(store.pitrWindow().toSeconds())
                .build();
    }

    private dev.sprout.protocol.v1.TimelineInfo describe(TimelineInfo t) {
        return Messages.timelineInfo(t, store.writerGeneration(t.id()));
    }

    private Optional<TimelineInfo> find(TimelineId id) {
        try {
            return Optional.of(store.timeline(id));
        } catch (UnknownTimelineException e) {
            return Optional.empty();
        }
    }
}
