package dev.sprout.compute;

/** A compute that could not do what was asked; the message says why and, where it can, what to do. */
public final class ComputeException extends RuntimeException {
    public ComputeException(String message) {
        super(message);
    }

    public ComputeException(String message, Throwable cause) {
        super(message, cause);
    }
}
