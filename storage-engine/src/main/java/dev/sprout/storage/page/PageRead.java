package dev.sprout.storage.page;

/**
 * The result of reading one block at an LSN.
 *
 * <p>{@link Absent} means no version of the block is visible: it was never written, or a truncation cut it off.
 * Inside the file's size an absent block reads as zeros (PostgreSQL's rule for a re-extended file); the engine
 * leaves that mapping to the caller, who knows the size it is reading at.
 */
public sealed interface PageRead {

    /** A stored image. {@code page} is the caller's own copy; {@code lsn} is the version's commit LSN. */
    record Found(byte[] page, long lsn) implements PageRead {}

    /** No visible version. */
    record Absent() implements PageRead {
        private static final Absent INSTANCE = new Absent();
    }

    static Absent absent() {
        return Absent.INSTANCE;
    }
}
