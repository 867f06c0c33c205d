package dev.sprout.pageserver.http;

import dev.sprout.storage.timeline.BranchPoint;
import dev.sprout.storage.timeline.TimelineId;
import java.time.Duration;
import java.time.Instant;

/**
 * Every operation of the management API, decoded and validated from a request by {@link Router}: ids are
 * {@link TimelineId}s, times {@link Instant}s and a branch point is a {@link BranchPoint} before the store is
 * called, and {@link ManagementApi} dispatches on this interface with an exhaustive switch.
 */
sealed interface ApiCall {
    /** POST /v1/timelines without a parentId. */
    record CreateRoot(TimelineId id, int uid, int gid) implements ApiCall {}

    /** POST /v1/timelines with a parentId. */
    record CreateBranch(TimelineId id, TimelineId parent, BranchPoint at) implements ApiCall {}

    /** GET /v1/timelines */
    record ListTimelines() implements ApiCall {}

    /** GET /v1/timelines/{id} */
    record GetTimeline(TimelineId id) implements ApiCall {}

    /** DELETE /v1/timelines/{id} */
    record DeleteTimeline(TimelineId id) implements ApiCall {}

    /** GET /v1/timelines/{id}/lsn?time= */
    record LsnAt(TimelineId id, Instant time) implements ApiCall {}

    /** GET /v1/lsn/{lsn}/time */
    record TimeOf(long lsn) implements ApiCall {}

    /** GET /v1/gc/settings */
    record GetGcSettings() implements ApiCall {}

    /** PUT /v1/gc/settings */
    record PutGcSettings(Duration pitrWindow) implements ApiCall {}

    /** POST /v1/gc */
    record RunGc() implements ApiCall {}

    /** GET /healthz */
    record Health() implements ApiCall {}

    /** GET /metrics */
    record Metrics() implements ApiCall {}
}
