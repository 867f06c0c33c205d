package dev.sprout.compute.fs;

import java.time.Duration;

/**
 * How a {@link PageFs} behaves.
 *
 * @param uid             the owner every file reports (the user PostgreSQL runs as)
 * @param gid             the group every file reports
 * @param cacheBytes      clean pages kept in the compute (on top of the kernel's page cache)
 * @param dirtyLimitBytes written pages held before an fsync; above it every file's dirty pages are committed
 * @param requestTimeout  how long one pageserver call may take before the operation fails with EIO
 */
public record FsOptions(int uid, int gid, long cacheBytes, long dirtyLimitBytes, Duration requestTimeout) {
    public FsOptions {
        if (cacheBytes < 0) {
            throw new IllegalArgumentException("cacheBytes: " + cacheBytes + " (expected: >= 0)");
        }
        if (dirtyLimitBytes < PageFs.PAGE_SIZE) {
            throw new IllegalArgumentException(
                    "dirtyLimitBytes: " + dirtyLimitBytes + " (expected: >= one page, 8192)");
        }
    }

    /** 128 MiB of clean pages, 64 MiB of dirty ones, 60 s per call (the client reconnects within that time). */
    public static FsOptions defaults(int uid, int gid) {
        return new FsOptions(uid, gid, 128L << 20, 64L << 20, Duration.ofSeconds(60));
    }

    public FsOptions withCacheBytes(long bytes) {
        return new FsOptions(uid, gid, bytes, dirtyLimitBytes, requestTimeout);
    }

    public FsOptions withDirtyLimitBytes(long bytes) {
        return new FsOptions(uid, gid, cacheBytes, bytes, requestTimeout);
    }
}
