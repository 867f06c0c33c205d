package dev.sprout.compute.load;

/** An import that cannot go on; the message is a sentence for the user, naming what failed and what to do. */
public final class LoadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LoadException(String message) {
        super(message);
    }

    public LoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
