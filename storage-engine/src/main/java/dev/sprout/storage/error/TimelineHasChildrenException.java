package dev.sprout.storage.error;

/** The timeline still has children that read through it. */
public final class TimelineHasChildrenException extends StorageException {
    private static final long serialVersionUID = 1L;

    public TimelineHasChildrenException(String message) {
        super(ErrorCode.TIMELINE_HAS_CHILDREN, message);
    }
}
