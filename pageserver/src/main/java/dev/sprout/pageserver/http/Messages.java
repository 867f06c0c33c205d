package dev.sprout.pageserver.http;

import dev.sprout.protocol.v1.GcResult;
import dev.sprout.protocol.v1.TimelineInfo;
import dev.sprout.storage.gc.GcReport;
import dev.sprout.storage.timeline.TimelineId;

/** The storage engine's records as the protocol's messages. Times are RFC 3339 in UTC ({@code Instant#toString}). */
final class Messages {
    private Messages() {}

    static TimelineInfo timelineInfo(dev.sprout.storage.timeline.TimelineInfo t, long writerGeneration) {
        return TimelineInfo.newBuilder()
                .setTimelineId(t.id().toString())
                .setParentId(t.parent().map(TimelineId::toString).orElse(""))
                .setBranchLsn(t.branchLsn())
                .setCreatedAt(t.createdAt().toString())
                .setLastLsn(t.lastLsn())
                .setGcHorizon(t.gcHorizon())
                .setMinReadableLsn(t.minReadableLsn())
                .setLogicalBytes(t.logicalBytes())
                .setOwnPageVersions(t.ownPageVersions())
                .setOwnPageBytes(t.ownPageBytes())
                .setPhysicalBytes(t.physicalBytes())
                .setWriterGeneration(writerGeneration)
                .build();
    }

    static GcResult gcResult(GcReport report, long elapsedMicros) {
        return GcResult.newBuilder()
                .setTimelinesScanned(report.timelinesScanned())
                .setVersionsRemoved(report.versionsRemoved())
                .setPageBytesRemoved(report.pageBytesRemoved())
                .setTimelinesReclaimed(report.timelinesReclaimed())
                .setElapsedMicros(elapsedMicros)
                .build();
    }
}
