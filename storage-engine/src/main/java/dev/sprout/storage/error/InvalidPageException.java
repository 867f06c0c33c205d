package dev.sprout.storage.error;

/** A page image that is not 8 KiB, or a block that cannot be written. */
public final class InvalidPageException extends StorageException {
    private static final long serialVersionUID = 1L;

    public InvalidPageException(String message) {
        super(ErrorCode.INVALID_PAGE, message);
    }
}
