package dev.sprout.protocol.client;

/**
 * No answer can come: the connection closed while the request was in flight, the client gave up reconnecting
 * (the message says after how long), or the request belongs to a batch whose staged pages the server dropped
 * with the connection.
 *
 * <p>A change that was in flight <em>may or may not have been applied</em>. In particular a {@code Commit}
 * whose answer was lost must be treated as unknown: read the pages back (or compare LSNs) before assuming
 * either outcome.
 */
public sealed class ConnectionLostException extends PageServiceException permits ClientClosedException {
    private static final long serialVersionUID = 1L;

    ConnectionLostException(String message, Throwable cause) {
        super(message, cause);
    }
}
