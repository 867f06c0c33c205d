package dev.sprout.storage.error;

/** A timeline with that id exists with a different parent or branch point. */
public final class TimelineExistsException extends StorageException {
    private static final long serialVersionUID = 1L;

    public TimelineExistsException(String message) {
        super(ErrorCode.TIMELINE_EXISTS, message);
    }
}
