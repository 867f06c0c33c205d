package dev.sprout.protocol.client;

/**
 * No answer came within the request timeout ({@link ClientOptions#requestTimeout()}), counted from the call:
 * time spent waiting for an in-flight slot or for a reconnect counts. A request that was sent may still be
 * applied later; its late answer is dropped.
 */
public final class RequestTimeoutException extends PageServiceException {
    private static final long serialVersionUID = 1L;

    RequestTimeoutException(String message) {
        super(message, null);
    }
}
