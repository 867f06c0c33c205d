package dev.sprout.compute.fs;

/**
 * Why a filesystem operation failed, as the POSIX error the kernel will see. The FUSE layer maps each to its
 * platform errno; nothing else of the pageserver's vocabulary reaches PostgreSQL.
 */
public enum FsError {
    NO_SUCH_FILE,
    FILE_EXISTS,
    NOT_A_DIRECTORY,
    IS_A_DIRECTORY,
    DIRECTORY_NOT_EMPTY,
    NAME_TOO_LONG,
    INVALID_ARGUMENT,
    BAD_HANDLE,
    /** The pageserver refused, failed or could not be reached; PostgreSQL treats it as an I/O error. */
    IO
}
