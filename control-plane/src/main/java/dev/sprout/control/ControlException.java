package dev.sprout.control;

import dev.sprout.protocol.v1.Code;
import java.util.Objects;

/**
 * A refused control-plane operation: a {@link Code} of the protocol a client can act on (one of
 * {@code UNKNOWN_BRANCH}, {@code BRANCH_EXISTS}, {@code INVALID_NAME}, {@code BRANCH_HAS_CHILDREN},
 * {@code LSN_OUT_OF_RANGE}, {@code INVALID_ARGUMENT}, {@code COMPUTE_FAILED}) and a sentence that names the offending
 * value and, where it helps, what to do next. Nothing was changed when one is thrown. The HTTP status of each code
 * is {@link dev.sprout.http.Codes#httpStatus}'s, the one table every API shares.
 */
public final class ControlException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Code code;

    public ControlException(Code code, String message) {
        this(code, message, null);
    }

    public ControlException(Code code, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    public Code code() {
        return code;
    }
}
