package dev.sprout.pageserver.http;

import dev.sprout.storage.timeline.TimelineId;

/**
 * Told when the management API deleted a timeline, so the page service can fence its sessions and drop cached
 * pages.
 *
 * <p>Called on the management API's blocking executor, after the deletion is durable and before the client gets
 * its answer. An implementation must not block for long; what it throws is logged and does not undo the
 * deletion.
 */
public interface TimelineEvents {
    void deleted(TimelineId id);

    /** For a pageserver without a page service (tests, tools). */
    TimelineEvents NONE = id -> {};
}
