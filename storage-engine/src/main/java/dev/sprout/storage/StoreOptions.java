package dev.sprout.storage;

import dev.sprout.storage.error.InvalidArgumentException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;

/**
 * How a {@link PageStore} is opened.
 *
 * @param directory        the RocksDB directory (created when missing)
 * @param pitrWindow       how far back in time every timeline stays readable and branchable
 * @param clock            the wall clock for commit times and the PITR window (inject a fake one in tests)
 * @param syncCommits      true: every commit returns only after the RocksDB WAL is synced (fdatasync). False
 *                         only for tests and bulk loads that accept losing the newest commits in a power cut
 * @param blockCacheBytes  RocksDB block cache (compressed and uncompressed blocks), shared by all column families
 * @param writeBufferBytes one memtable of the pages column family; up to four may exist
 * @param historyCacheBytes pages read through to an ancestor, kept decoded for every branch that reads the same
 *                         history (ten branches of one parent scanning the same table read it from RocksDB once);
 *                         0 turns it off
 */
public record StoreOptions(
        Path directory,
        Duration pitrWindow,
        InstantSource clock,
        boolean syncCommits,
        long blockCacheBytes,
        long writeBufferBytes,
        long historyCacheBytes) {

    public StoreOptions {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(pitrWindow, "pitrWindow");
        Objects.requireNonNull(clock, "clock");
        if (pitrWindow.isNegative()) {
            throw new InvalidArgumentException("PITR window " + pitrWindow + " is negative");
        }
        if (blockCacheBytes < 1 << 20) {
            throw new InvalidArgumentException(
                    "block cache of " + blockCacheBytes + " bytes is too small (expected: >= 1 MiB)");
        }
        if (historyCacheBytes < 0) {
            throw new InvalidArgumentException("history cache of " + historyCacheBytes + " bytes is negative");
        }
        if (writeBufferBytes < 1 << 20) {
            throw new InvalidArgumentException(
                    "write buffer of " + writeBufferBytes + " bytes is too small (expected: >= 1 MiB)");
        }
    }

    /**
     * Production defaults: 7-day PITR window, synced commits, 256 MiB block cache, 128 MiB memtables, 128 MiB
     * history cache.
     */
    public static StoreOptions defaults(Path directory) {
        return new StoreOptions(
                directory, Duration.ofDays(7), InstantSource.system(), true, 256L << 20, 128L << 20, 128L << 20);
    }

    public StoreOptions withPitrWindow(Duration window) {
        return new StoreOptions(
                directory, window, clock, syncCommits, blockCacheBytes, writeBufferBytes, historyCacheBytes);
    }

    public StoreOptions withClock(InstantSource newClock) {
        return new StoreOptions(
                directory, pitrWindow, newClock, syncCommits, blockCacheBytes, writeBufferBytes, historyCacheBytes);
    }

    public StoreOptions withSyncCommits(boolean sync) {
        return new StoreOptions(
                directory, pitrWindow, clock, sync, blockCacheBytes, writeBufferBytes, historyCacheBytes);
    }

    public StoreOptions withMemory(long blockCache, long writeBuffer) {
        return new StoreOptions(directory, pitrWindow, clock, syncCommits, blockCache, writeBuffer, historyCacheBytes);
    }

    public StoreOptions withHistoryCache(long bytes) {
        return new StoreOptions(directory, pitrWindow, clock, syncCommits, blockCacheBytes, writeBufferBytes, bytes);
    }
}
