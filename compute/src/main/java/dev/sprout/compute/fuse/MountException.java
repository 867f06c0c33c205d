package dev.sprout.compute.fuse;

/** A mount or unmount that failed; the message says where and what to do about it. */
public final class MountException extends RuntimeException {
    public MountException(String message) {
        super(message);
    }

    public MountException(String message, Throwable cause) {
        super(message, cause);
    }
}
