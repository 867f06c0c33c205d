package dev.sprout.storage.error;

/** An argument that makes no sense for the call. */
public final class InvalidArgumentException extends StorageException {
    private static final long serialVersionUID = 1L;

    public InvalidArgumentException(String message) {
        super(ErrorCode.INVALID_ARGUMENT, message);
    }
}
