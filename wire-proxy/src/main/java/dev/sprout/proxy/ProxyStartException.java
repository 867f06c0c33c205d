package dev.sprout.proxy;

/** The proxy could not start: its port is taken or cannot be bound. The message names the address. */
public final class ProxyStartException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ProxyStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
