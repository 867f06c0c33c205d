package dev.sprout.storage.gc;

/**
 * What one GC pass did.
 *
 * @param timelinesScanned   live timelines whose old versions were considered
 * @param versionsRemoved    page, attribute and directory-entry versions removed
 * @param pageBytesRemoved   bytes of page images among them
 * @param timelinesReclaimed deleted timelines whose key ranges were compacted away
 */
public record GcReport(int timelinesScanned, long versionsRemoved, long pageBytesRemoved, int timelinesReclaimed) {}
