package dev.sprout.storage.internal;

/** The store-wide counters, persisted with every commit: last LSN, next file id, last commit time. */
record Globals(long lastLsn, long nextFileId, long lastTimeMicros) {
    /** File id 1 is every root timeline's root directory; ids from here on are handed out once each. */
    static final long FIRST_FILE_ID = 2;

    static final Globals EMPTY = new Globals(0, FIRST_FILE_ID, 0);

    static byte[] encode(long lastLsn, long nextFileId, long lastTimeMicros) {
        byte[] v = new byte[24];
        Keys.putLong(v, 0, lastLsn);
        Keys.putLong(v, 8, nextFileId);
        Keys.putLong(v, 16, lastTimeMicros);
        return v;
    }

    static Globals decode(byte[] v) {
        return new Globals(Keys.getLong(v, 0), Keys.getLong(v, 8), Keys.getLong(v, 16));
    }
}
