package dev.sprout.storage.internal;

import dev.sprout.storage.error.StorageIoException;
import dev.sprout.storage.page.Pages;
import java.util.Optional;

/**
 * The stored form of a page version that differs from the version before it (same timeline, file and block) in
 * a few byte ranges: the WAL's last page re-committed by every transaction with a few hundred new bytes, a heap
 * page with one tuple changed. Only the changed ranges are stored, and a read folds them onto the older image.
 *
 * <p>Value layout in the {@code pages} family, told apart by length: 0 bytes a cut marker, exactly
 * {@link Pages#PAGE_SIZE} bytes a whole image, anything else a delta: the byte {@link #TAG} (on the version before
 * it) or {@link #ZERO_TAG} (on a page of zeros: a mostly empty page, such as a WAL page's first write, stored
 * without a base), then ranges, each offset (2 bytes, big-endian), length (2 bytes) and that many bytes. A delta is
 * never 8 KiB long ({@link #MAX_BYTES}), so the lengths never collide.
 *
 * <p>Invariant kept by writers ({@code PageCommit}) and GC: the base of a {@link #TAG} delta is the version just
 * before it in key order, which is a version of the same block on the same timeline, and every chain ends in a
 * whole image or a {@link #ZERO_TAG} delta within {@link #MAX_CHAIN} versions, with at most {@link #MAX_CHAIN_BYTES}
 * delta bytes, so a read folds little.
 */
final class PageDelta {
    static final byte TAG = 'D';
    /** A delta on a page of zeros: needs no version before it. */
    static final byte ZERO_TAG = 'Z';

    private static final byte[] ZEROS = new byte[Pages.PAGE_SIZE];
    /** Longest delta stored; a larger difference is stored as a whole image. */
    static final int MAX_BYTES = Pages.PAGE_SIZE / 2;
    /** Most deltas on top of one whole image. */
    static final int MAX_CHAIN = 32;
    /** Most delta bytes in one chain (what a read folds at most). */
    static final int MAX_CHAIN_BYTES = 2 * Pages.PAGE_SIZE;
    /** Equal bytes between two differing runs up to which one range covers both (a range header costs 4). */
    private static final int MERGE_GAP = 8;

    private PageDelta() {}

    static boolean isDelta(byte[] value) {
        return value.length != 0 && value.length != Pages.PAGE_SIZE;
    }

    /**
     * True when a stored value of {@code length} bytes whose first byte is {@code first} is a delta on the version
     * before it (not a cut marker, a whole image or a delta on zeros), for callers that read no more of it.
     */
    static boolean needsBase(int length, byte first) {
        return length != 0 && length != Pages.PAGE_SIZE && first != ZERO_TAG;
    }

    /** A delta on zeros ({@link #ZERO_TAG}): the end of a chain, like a whole image. */
    static boolean isOnZeros(byte[] value) {
        return isDelta(value) && value[0] == ZERO_TAG;
    }

    /** {@code page} as a delta on zeros when its non-zero bytes fit in {@link #MAX_BYTES}; else empty. */
    static Optional<byte[]> encodeOnZeros(byte[] page) {
        Optional<byte[]> d = encode(ZEROS, page, MAX_BYTES);
        d.ifPresent(v -> v[0] = ZERO_TAG);
        return d;
    }

    /** The page a delta on zeros stands for. */
    static byte[] image(byte[] onZeros) {
        byte[] page = new byte[Pages.PAGE_SIZE];
        apply(onZeros, page);
        return page;
    }

    /**
     * The delta that turns {@code base} into {@code page}, or empty when it would take more than {@code maxBytes}
     * bytes (then store {@code page} whole). Both are whole pages.
     */
    static Optional<byte[]> encode(byte[] base, byte[] page, int maxBytes) {
        int limit = Math.min(maxBytes, MAX_BYTES);
        byte[] out = new byte[Math.min(limit, Pages.PAGE_SIZE) + 1];
        out[0] = TAG;
        int n = 1;
        int i = 0;
        int size = Pages.PAGE_SIZE;
        while (i < size) {
            int start = java.util.Arrays.mismatch(base, i, size, page, i, size);
            if (start < 0) {
                break;
            }
            start += i;
            // extend the run until MERGE_GAP equal bytes in a row (or the page's end)
            int end = start + 1;
            int equal = 0;
            int j = end;
            while (j < size) {
                if (base[j] == page[j]) {
                    if (++equal >= MERGE_GAP) {
                        break;
                    }
                } else {
                    equal = 0;
                    end = j + 1;
                }
                j++;
            }
            int len = end - start;
            if (n + 4 + len > limit) {
                return Optional.empty();
            }
            out[n] = (byte) (start >>> 8);
            out[n + 1] = (byte) start;
            out[n + 2] = (byte) (len >>> 8);
            out[n + 3] = (byte) len;
            System.arraycopy(page, start, out, n + 4, len);
            n += 4 + len;
            i = end;
        }
        if (n == 1) {
            // the same page again: one empty range keeps the value non-empty (empty is a cut marker)
            out[1] = 0;
            out[2] = 0;
            out[3] = 0;
            out[4] = 0;
            n = 5;
        }
        return Optional.of(java.util.Arrays.copyOf(out, n));
    }

    /** Applies {@code delta} to {@code page} in place. */
    static void apply(byte[] delta, byte[] page) {
        if (delta.length < 5 || (delta[0] != TAG && delta[0] != ZERO_TAG)) {
            throw corrupt(delta, "no delta tag");
        }
        int n = 1;
        while (n < delta.length) {
            if (n + 4 > delta.length) {
                throw corrupt(delta, "a range header cut short at byte " + n);
            }
            int offset = ((delta[n] & 0xff) << 8) | (delta[n + 1] & 0xff);
            int len = ((delta[n + 2] & 0xff) << 8) | (delta[n + 3] & 0xff);
            if (offset + len > page.length || n + 4 + len > delta.length) {
                throw corrupt(delta, "range " + offset + "+" + len + " at byte " + n);
            }
            System.arraycopy(delta, n + 4, page, offset, len);
            n += 4 + len;
        }
    }

    private static StorageIoException corrupt(byte[] delta, String what) {
        return new StorageIoException(
                "a stored page delta of " + delta.length + " bytes is corrupt (" + what + ")", null);
    }
}
