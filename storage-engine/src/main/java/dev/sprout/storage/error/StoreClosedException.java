package dev.sprout.storage.error;

/** The store has been closed. */
public final class StoreClosedException extends StorageException {
    private static final long serialVersionUID = 1L;

    public StoreClosedException(String message) {
        super(ErrorCode.CLOSED, message);
    }
}
