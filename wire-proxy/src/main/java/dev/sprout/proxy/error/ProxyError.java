package dev.sprout.proxy.error;

import java.util.Objects;
import java.util.Optional;

/**
 * A failure the proxy reports to the client as a FATAL ErrorResponse and then closes the connection. The message is
 * a sentence that names the offending value; the optional hint says what to do next.
 */
public final class ProxyError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final SqlState state;
    private final String hint;

    public ProxyError(SqlState state, String message) {
        this(state, message, null);
    }

    public ProxyError(SqlState state, String message, String hint) {
        super(Objects.requireNonNull(message, "message"), null, false, false);
        this.state = Objects.requireNonNull(state, "state");
        this.hint = hint;
    }

    public SqlState state() {
        return state;
    }

    public Optional<String> hint() {
        return Optional.ofNullable(hint);
    }
}
