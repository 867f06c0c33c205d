package dev.sprout.compute.fs;

import com.google.protobuf.ByteString;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One regular file as this compute holds it: its size, the pages written since they were last committed
 * ({@code dirty}), the pages of the commit under way ({@code inFlight}), and the size the pageserver holds
 * ({@code storedSize}). What a read of block b returns is, in this order: the dirty page, the in-flight page,
 * the compute's clean cache, zeros for a block past {@code storedSize} (a hole only this compute knows of),
 * and otherwise the pageserver's page.
 *
 * <p>Concurrency: the fields are guarded by the object's monitor, held only for memory work, never across a
 * pageserver call. Commits and truncations of the file are serialised by {@link #flushLock}, taken before the
 * monitor. Dirty pages are mutable and stay inside the monitor; a page leaving for a commit becomes an
 * immutable {@link ByteString} and is never written again (a later write copies it into a new dirty page).
 */
final class FileState {
    final long fileId;
    final ReentrantLock flushLock = new ReentrantLock();

    long size;
    long storedSize;
    /**
     * The smallest size the file had since its last commit (at most {@code storedSize}): a block at or past it
     * that is not dirty reads as zeros, whatever the pageserver still holds there until the cut is committed.
     */
    long floor;
    /**
     * A commit that carried a size failed: the pageserver may hold that size or {@code storedSize}, so the next
     * commit sends the size even if it equals {@code storedSize}.
     */
    boolean sizeUnsure;

    final TreeMap<Integer, byte[]> dirty = new TreeMap<>();
    Map<Integer, ByteString> inFlight = Map.of();
    /**
     * Bumped whenever what the pageserver returns for a block may have changed under the clean cache (a commit
     * landed, a truncation): a page fetched before the bump must not be cached after it.
     */
    long epoch;
    /**
     * 0 while the file has a name. Once it was unlinked while still open (FUSE renames it to
     * {@code .fuse_hidden…}), the LSN just before the unlink: reads go there, and nothing is committed again.
     */
    long deletedAt;
    /** Unlinked for good: every cached page of it is gone and no operation may use it. */
    boolean gone;
    /** The block after the last one the previous read covered: a read starting there is sequential. */
    int readNext = -1;
    /** Blocks fetched ahead of a sequential read that misses: grows while reads stay sequential. */
    int readahead;
    /**
     * The block after the last one a readahead asked for (landed or still on its way): the kernel sends FUSE several
     * reads of one sequence at once, and each must not fetch the others' blocks again.
     */
    int aheadTo;

    /**
     * Blocks a read is fetching from the page source right now, each with that fetch: a read that needs one of them
     * waits for it instead of asking again (PostgreSQL's parallel scans and the kernel's concurrent readahead ask
     * for the same blocks at once). Only a fetch begun in the current {@link #epoch} is waited for.
     */
    final Map<Integer, Fetch> fetching = new HashMap<>();

    /** One fetch of pages in progress, begun in {@code epoch}; {@code pages} completes with what it brought. */
    record Fetch(CompletableFuture<Map<Integer, ByteString>> pages, long epoch) {}

    FileState(long fileId, long size) {
        this.fileId = fileId;
        this.size = size;
        this.storedSize = size;
        this.floor = size;
    }

    synchronized long sizeNow() {
        return size;
    }

    /** The LSN reads of this file go to: the head (0) while it has a name. */
    long readLsn() {
        return deletedAt;
    }

    static int blocks(long bytes) {
        return (int) ((bytes + PageFs.PAGE_SIZE - 1) / PageFs.PAGE_SIZE);
    }
}
