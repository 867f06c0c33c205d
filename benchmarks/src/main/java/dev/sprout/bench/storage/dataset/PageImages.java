package dev.sprout.bench.storage.dataset;

import dev.sprout.storage.page.Pages;
import java.util.SplittableRandom;

/**
 * 8 KiB page images that compress about as well as a PostgreSQL heap page: the first half random bytes, the
 * second half zeros (LZ4 stores such a page in a little over 4 KiB).
 *
 * <p>Not thread-safe: one instance per thread.
 */
public final class PageImages {
    private static final int RANDOM_BYTES = Pages.PAGE_SIZE / 2;

    private final SplittableRandom random;
    private final byte[] half = new byte[RANDOM_BYTES];

    public PageImages(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** A new image (the caller may hand it to a {@code PageBatch}, which takes ownership). */
    public byte[] next() {
        random.nextBytes(half);
        byte[] page = new byte[Pages.PAGE_SIZE];
        System.arraycopy(half, 0, page, 0, RANDOM_BYTES);
        return page;
    }

    /** {@code count} distinct images to cycle through where making new ones would be measured too. */
    public byte[][] pool(int count) {
        byte[][] pool = new byte[count][];
        for (int i = 0; i < count; i++) {
            pool[i] = next();
        }
        return pool;
    }
}
