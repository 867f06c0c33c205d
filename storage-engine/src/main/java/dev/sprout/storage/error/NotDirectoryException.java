package dev.sprout.storage.error;

/** A directory was expected. */
public final class NotDirectoryException extends StorageException {
    private static final long serialVersionUID = 1L;

    public NotDirectoryException(String message) {
        super(ErrorCode.NOT_A_DIRECTORY, message);
    }
}
