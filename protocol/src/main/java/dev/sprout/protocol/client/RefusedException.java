package dev.sprout.protocol.client;

import dev.sprout.protocol.v1.Code;
import java.util.Objects;

/**
 * The pageserver refused a request: {@link #code()} is the status code of its answer and the message carries
 * its sentence. A refused request changed nothing on the server.
 *
 * <p>The client raises the code the server would have raised for a few cases it detects before sending: a
 * request larger than the maximum frame ({@code MESSAGE_TOO_LARGE}), a call on a detached session or one whose
 * re-attach after a reconnect was refused ({@code NOT_ATTACHED} or the refusal's code), and an answer of the
 * wrong kind ({@code INTERNAL}: a server bug).
 */
public sealed class RefusedException extends PageServiceException permits FencedException {
    private static final long serialVersionUID = 1L;

    private final Code code;

    RefusedException(Code code, String message) {
        super(message, null);
        this.code = Objects.requireNonNull(code, "code");
        if (code == Code.OK) {
            throw new IllegalArgumentException("code OK is not a refusal: " + message);
        }
    }

    public Code code() {
        return code;
    }
}
