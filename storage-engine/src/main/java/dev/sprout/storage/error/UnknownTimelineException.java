package dev.sprout.storage.error;

/** No timeline has the given id. */
public final class UnknownTimelineException extends StorageException {
    private static final long serialVersionUID = 1L;

    public UnknownTimelineException(String message) {
        super(ErrorCode.UNKNOWN_TIMELINE, message);
    }
}
