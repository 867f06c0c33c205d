package dev.sprout.storage.error;

/** An LSN or time the timeline cannot serve. */
public final class LsnOutOfRangeException extends StorageException {
    private static final long serialVersionUID = 1L;

    public LsnOutOfRangeException(String message) {
        super(ErrorCode.LSN_OUT_OF_RANGE, message);
    }
}
