package dev.sprout.bench.storage.dataset;

import dev.sprout.storage.timeline.TimelineId;

/** Where a benchmark reads: a timeline at an LSN. */
public record ReadPoint(TimelineId timeline, long lsn) {

    String encode() {
        return timeline + "@" + lsn;
    }

    static ReadPoint decode(String text) {
        int at = text.indexOf('@');
        return new ReadPoint(TimelineId.parse(text.substring(0, at)), Long.parseLong(text.substring(at + 1)));
    }
}
