package dev.sprout.storage.error;

/** A name or path that cannot be stored. */
public final class InvalidNameException extends StorageException {
    private static final long serialVersionUID = 1L;

    public InvalidNameException(String message) {
        super(ErrorCode.INVALID_NAME, message);
    }
}
