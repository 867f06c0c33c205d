package dev.sprout.storage.error;

/**
 * Every way a storage-engine call can be refused. The page protocol mirrors this enum one to one, so a
 * compute sees the same code the engine raised.
 */
public enum ErrorCode {
    /** No timeline has the given id (never created, or deleted). */
    UNKNOWN_TIMELINE,
    /** A timeline with that id exists with a different parent or branch point. */
    TIMELINE_EXISTS,
    /** The timeline cannot be deleted while child timelines read through it. */
    TIMELINE_HAS_CHILDREN,
    /** An LSN or a time outside what the timeline can serve (beyond its head, before its start, below its GC horizon). */
    LSN_OUT_OF_RANGE,
    /** A page image that is not exactly 8 KiB, a negative block, a block beyond the file's size. */
    INVALID_PAGE,
    /** A name or path that cannot be stored: empty, NUL or '/' in a name, '.' or '..', escaping its directory. */
    INVALID_NAME,
    /** Any other argument that makes no sense (a negative size, a rename into its own subtree). */
    INVALID_ARGUMENT,
    /** The path or file id names nothing at that LSN. */
    NO_SUCH_FILE,
    /** The name is already taken. */
    FILE_EXISTS,
    /** A directory was expected. */
    NOT_A_DIRECTORY,
    /** A regular file was expected. */
    IS_A_DIRECTORY,
    /** rmdir, or rename onto, a directory that still has entries. */
    DIRECTORY_NOT_EMPTY,
    /** The store is closed. */
    CLOSED,
    /** RocksDB failed (disk full, I/O error, corruption). Nothing of the failed call is visible. */
    IO_ERROR
}
