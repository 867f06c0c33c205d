package dev.sprout.storage.internal;

import dev.sprout.storage.timeline.TimelineId;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;

/**
 * Byte layout of every RocksDB key. All integers are big-endian so that RocksDB's byte order is the logical
 * order: (timeline, file, block, LSN) for pages, so the newest version at or below an LSN is one
 * {@code seekForPrev}.
 *
 * <pre>
 * pages     timeline(16) file(8) block(4) lsn(8)            -> 8 KiB image | empty (truncated)
 * attrs     timeline(16) file(8) lsn(8)                     -> attributes | empty (file deleted)
 * dentries  timeline(16) dir(8) name(UTF-8) 0x00 lsn(8)     -> file(8) type(1) | empty (name removed)
 * meta      'T' timeline(16)                                -> timeline record
 *           'X' timeline(16)                                -> writer generation (8)
 *           'F' timeline(16) file(8)                        -> first LSN of the timeline's keys of this file
 *           'G'                                             -> global counters
 *           'V'                                             -> on-disk format version (4 bytes)
 *           'L' lsn(8)                                      -> commit time (micros)
 *           'W' time(8) lsn(8)                              -> (time index)
 *           'R' timeline(16)                                -> (deleted timeline awaiting compaction)
 *           'S' timeline(16) lsn(8)                         -> logical size (bytes of files) from that LSN on
 *           'C' timeline(16) lsn(8) file(8) block(4)        -> (empty) a page version written: the change log
 *           'c'                                             -> the LSN from which on the change log is complete
 * </pre>
 * Names never contain 0x00 (refused on input), so the separator keeps one name's versions contiguous and
 * before any longer name that shares its prefix.
 */
public final class Keys {
    public static final int TIMELINE_BYTES = 16;
    public static final int LSN_BYTES = 8;
    /** Timeline, file, block: the part of a page key that the prefix bloom filter covers. */
    public static final int PAGE_PREFIX_BYTES = TIMELINE_BYTES + 8 + 4;

    public static final int PAGE_KEY_BYTES = PAGE_PREFIX_BYTES + LSN_BYTES;
    public static final int ATTR_PREFIX_BYTES = TIMELINE_BYTES + 8;
    public static final int ATTR_KEY_BYTES = ATTR_PREFIX_BYTES + LSN_BYTES;

    static final byte META_TIMELINE = 'T';
    static final byte META_FILE = 'F';
    static final byte META_GLOBAL = 'G';
    static final byte META_FORMAT = 'V';
    static final byte META_LSN_TIME = 'L';
    static final byte META_TIME_LSN = 'W';
    static final byte META_RECLAIM = 'R';
    static final byte META_LOGICAL_SIZE = 'S';
    static final byte META_WRITER = 'X';
    static final byte META_CHANGE = 'C';
    static final byte META_CHANGE_START = 'c';

    /**
     * End of every key range that starts with a timeline id: no key of a timeline reaches 300 bytes of 0xFF
     * after the id, because fixed-width fields are at most 20 bytes and UTF-8 names never contain 0xFF.
     */
    private static final int RANGE_END_PAD = 300;

    private Keys() {}

    public static byte[] page(TimelineId tl, long file, int block, long lsn) {
        byte[] k = new byte[PAGE_KEY_BYTES];
        putTimeline(k, 0, tl);
        putLong(k, 16, file);
        putInt(k, 24, block);
        putLong(k, 28, lsn);
        return k;
    }

    public static byte[] attr(TimelineId tl, long file, long lsn) {
        byte[] k = new byte[ATTR_KEY_BYTES];
        putTimeline(k, 0, tl);
        putLong(k, 16, file);
        putLong(k, 24, lsn);
        return k;
    }

    public static byte[] dentry(TimelineId tl, long dir, byte[] name, long lsn) {
        byte[] k = new byte[TIMELINE_BYTES + 8 + name.length + 1 + LSN_BYTES];
        putTimeline(k, 0, tl);
        putLong(k, 16, dir);
        System.arraycopy(name, 0, k, 24, name.length);
        k[24 + name.length] = 0;
        putLong(k, k.length - LSN_BYTES, lsn);
        return k;
    }

    /** The prefix of all of one directory's entries on one timeline. */
    public static byte[] dirPrefix(TimelineId tl, long dir) {
        byte[] k = new byte[TIMELINE_BYTES + 8];
        putTimeline(k, 0, tl);
        putLong(k, 16, dir);
        return k;
    }

    public static byte[] timelinePrefix(TimelineId tl) {
        byte[] k = new byte[TIMELINE_BYTES];
        putTimeline(k, 0, tl);
        return k;
    }

    /** An exclusive upper bound for every key that starts with {@code prefix} (see {@link #RANGE_END_PAD}). */
    public static byte[] rangeEnd(byte[] prefix) {
        byte[] end = Arrays.copyOf(prefix, prefix.length + RANGE_END_PAD);
        Arrays.fill(end, prefix.length, end.length, (byte) 0xFF);
        return end;
    }

    public static byte[] metaTimeline(TimelineId tl) {
        byte[] k = new byte[1 + TIMELINE_BYTES];
        k[0] = META_TIMELINE;
        putTimeline(k, 1, tl);
        return k;
    }

    public static byte[] metaFile(TimelineId tl, long file) {
        byte[] k = new byte[1 + TIMELINE_BYTES + 8];
        k[0] = META_FILE;
        putTimeline(k, 1, tl);
        putLong(k, 17, file);
        return k;
    }

    public static byte[] metaFilePrefix(TimelineId tl) {
        byte[] k = new byte[1 + TIMELINE_BYTES];
        k[0] = META_FILE;
        putTimeline(k, 1, tl);
        return k;
    }

    public static byte[] metaReclaim(TimelineId tl) {
        byte[] k = new byte[1 + TIMELINE_BYTES];
        k[0] = META_RECLAIM;
        putTimeline(k, 1, tl);
        return k;
    }

    public static byte[] metaLogicalSize(TimelineId tl, long lsn) {
        byte[] k = new byte[1 + TIMELINE_BYTES + LSN_BYTES];
        k[0] = META_LOGICAL_SIZE;
        putTimeline(k, 1, tl);
        putLong(k, 17, lsn);
        return k;
    }

    public static byte[] metaLogicalSizePrefix(TimelineId tl) {
        byte[] k = new byte[1 + TIMELINE_BYTES];
        k[0] = META_LOGICAL_SIZE;
        putTimeline(k, 1, tl);
        return k;
    }

    public static byte[] metaWriter(TimelineId tl) {
        byte[] k = new byte[1 + TIMELINE_BYTES];
        k[0] = META_WRITER;
        putTimeline(k, 1, tl);
        return k;
    }

    /** A change-log entry: a version of the block was written on the timeline at the LSN. */
    public static byte[] metaChange(TimelineId tl, long lsn, long file, int block) {
        byte[] k = new byte[1 + TIMELINE_BYTES + LSN_BYTES + 8 + 4];
        k[0] = META_CHANGE;
        putTimeline(k, 1, tl);
        putLong(k, 17, lsn);
        putLong(k, 25, file);
        putInt(k, 33, block);
        return k;
    }

    /** The first change-log key of the timeline at or after {@code lsn}. */
    public static byte[] metaChangeFrom(TimelineId tl, long lsn) {
        byte[] k = new byte[1 + TIMELINE_BYTES + LSN_BYTES];
        k[0] = META_CHANGE;
        putTimeline(k, 1, tl);
        putLong(k, 17, lsn);
        return k;
    }

    public static byte[] metaChangePrefix(TimelineId tl) {
        byte[] k = new byte[1 + TIMELINE_BYTES];
        k[0] = META_CHANGE;
        putTimeline(k, 1, tl);
        return k;
    }

    public static byte[] metaChangeStart() {
        return new byte[] {META_CHANGE_START};
    }

    public static byte[] metaGlobal() {
        return new byte[] {META_GLOBAL};
    }

    public static byte[] metaFormat() {
        return new byte[] {META_FORMAT};
    }

    public static byte[] metaLsnTime(long lsn) {
        byte[] k = new byte[9];
        k[0] = META_LSN_TIME;
        putLong(k, 1, lsn);
        return k;
    }

    public static byte[] metaTimeLsn(long micros, long lsn) {
        byte[] k = new byte[17];
        k[0] = META_TIME_LSN;
        putLong(k, 1, micros);
        putLong(k, 9, lsn);
        return k;
    }

    public static byte[] nameBytes(String name) {
        return name.getBytes(StandardCharsets.UTF_8);
    }

    public static TimelineId timelineAt(byte[] k, int off) {
        return new TimelineId(new UUID(getLong(k, off), getLong(k, off + 8)));
    }

    /** The LSN in the last eight bytes of a versioned key. */
    public static long lsnOf(byte[] key) {
        return getLong(key, key.length - LSN_BYTES);
    }

    /** True when {@code key} is {@code prefix} followed by exactly an LSN. */
    public static boolean isVersionOf(byte[] key, byte[] prefix) {
        return key.length == prefix.length + LSN_BYTES
                && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    public static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    static void putTimeline(byte[] k, int off, TimelineId tl) {
        putLong(k, off, tl.uuid().getMostSignificantBits());
        putLong(k, off + 8, tl.uuid().getLeastSignificantBits());
    }

    public static void putLong(byte[] b, int off, long v) {
        for (int i = 7; i >= 0; i--) {
            b[off + i] = (byte) v;
            v >>>= 8;
        }
    }

    public static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    public static long getLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xFF);
        }
        return v;
    }

    public static int getInt(byte[] b, int off) {
        return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
    }
}
