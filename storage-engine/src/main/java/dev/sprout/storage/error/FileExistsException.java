package dev.sprout.storage.error;

/** The name is already taken. */
public final class FileExistsException extends StorageException {
    private static final long serialVersionUID = 1L;

    public FileExistsException(String message) {
        super(ErrorCode.FILE_EXISTS, message);
    }
}
