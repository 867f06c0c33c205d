package dev.sprout.protocol.client;

/**
 * The {@link PageClient} was closed before the request was answered (or the call came after close). As with
 * any {@link ConnectionLostException}, a change that was in flight may or may not have been applied.
 */
public final class ClientClosedException extends ConnectionLostException {
    private static final long serialVersionUID = 1L;

    ClientClosedException(String message) {
        super(message, null);
    }
}
