package dev.sprout.compute.fs;

/** A filesystem operation that failed with {@link #error()}; the message says which path and why. */
public final class FsException extends RuntimeException {
    private final FsError error;

    public FsException(FsError error, String message) {
        super(message);
        this.error = error;
    }

    public FsException(FsError error, String message, Throwable cause) {
        super(message, cause);
        this.error = error;
    }

    public FsError error() {
        return error;
    }
}
