package dev.sprout.storage.page;

import dev.sprout.storage.error.InvalidArgumentException;
import dev.sprout.storage.error.InvalidPageException;
import dev.sprout.storage.timeline.TimelineId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Page writes and size changes for one timeline that commit together: all of them are visible at the commit
 * LSN, or none is. Operations apply in the order they were added; a later write of the same block wins.
 *
 * <p>Every written block must lie inside the file's size once the whole batch has applied, so that a later
 * truncation knows which blocks to cut. A resize to a smaller size is a versioned truncation.
 *
 * <p>Not thread-safe: one thread builds a batch, then hands it to {@code PageStore.commit}. The batch takes
 * ownership of the page arrays it is given; the caller must not change them afterwards.
 */
public final class PageBatch {

    /** One operation of the batch. */
    public sealed interface Op {
        long fileId();
    }

    /** Write one 8 KiB image. */
    public record Write(long fileId, int block, byte[] page) implements Op {}

    /** Set the file's size; smaller than before truncates (blocks past it read as absent at and after the commit). */
    public record Resize(long fileId, long size) implements Op {}

    private final TimelineId timeline;
    private final List<Op> ops = new ArrayList<>();
    private long pageBytes;

    public PageBatch(TimelineId timeline) {
        this.timeline = Objects.requireNonNull(timeline, "timeline");
    }

    public TimelineId timeline() {
        return timeline;
    }

    /** Adds a page image; refuses anything that is not exactly {@value Pages#PAGE_SIZE} bytes. */
    public PageBatch write(long fileId, int block, byte[] page) {
        Objects.requireNonNull(page, "page");
        if (page.length != Pages.PAGE_SIZE) {
            throw new InvalidPageException("page for block " + block + " of file " + fileId + " is " + page.length
                    + " bytes (expected: exactly " + Pages.PAGE_SIZE + ")");
        }
        if (block < 0) {
            throw new InvalidPageException("block " + block + " of file " + fileId + " is negative");
        }
        ops.add(new Write(fileId, block, page));
        pageBytes += page.length;
        return this;
    }

    /** Sets the file's size in bytes (extension or versioned truncation). */
    public PageBatch resize(long fileId, long size) {
        if (size < 0) {
            throw new InvalidArgumentException("size " + size + " of file " + fileId + " is negative");
        }
        if (Pages.pagesFor(size) > Integer.MAX_VALUE) {
            throw new InvalidArgumentException("size " + size + " of file " + fileId + " exceeds the largest file ("
                    + (long) Integer.MAX_VALUE * Pages.PAGE_SIZE + " bytes)");
        }
        ops.add(new Resize(fileId, size));
        return this;
    }

    /** The operations in the order they were added (a read-only view). */
    public List<Op> ops() {
        return java.util.Collections.unmodifiableList(ops);
    }

    public boolean isEmpty() {
        return ops.isEmpty();
    }

    /** Bytes of page images in the batch. */
    public long pageBytes() {
        return pageBytes;
    }
}
