package dev.sprout.storage.page;

/** Facts about PostgreSQL pages that the whole engine shares. */
public final class Pages {
    /** PostgreSQL's BLCKSZ as built by every distribution: every stored image is exactly this long. */
    public static final int PAGE_SIZE = 8192;

    private Pages() {}

    /** The number of pages needed to hold {@code size} bytes. */
    public static long pagesFor(long size) {
        return (size + PAGE_SIZE - 1) / PAGE_SIZE;
    }
}
