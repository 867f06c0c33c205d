package dev.sprout.storage.error;

/** The path or file names nothing at that LSN. */
public final class NoSuchFileException extends StorageException {
    private static final long serialVersionUID = 1L;

    public NoSuchFileException(String message) {
        super(ErrorCode.NO_SUCH_FILE, message);
    }
}
