package dev.sprout.storage.error;

/** A regular file was expected. */
public final class IsDirectoryException extends StorageException {
    private static final long serialVersionUID = 1L;

    public IsDirectoryException(String message) {
        super(ErrorCode.IS_A_DIRECTORY, message);
    }
}
