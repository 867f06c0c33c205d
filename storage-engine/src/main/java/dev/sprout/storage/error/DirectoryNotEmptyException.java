package dev.sprout.storage.error;

/** The directory still has entries. */
public final class DirectoryNotEmptyException extends StorageException {
    private static final long serialVersionUID = 1L;

    public DirectoryNotEmptyException(String message) {
        super(ErrorCode.DIRECTORY_NOT_EMPTY, message);
    }
}
