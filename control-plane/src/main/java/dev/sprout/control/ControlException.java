package dev.sprout.control;

import java.util.Objects;

/**
 * A refused control-plane operation: a {@link Code} a client can act on and a sentence that names the offending
 * value and, where it helps, what to do next. Nothing was changed when one is thrown.
 */
public final class ControlException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why an operation was refused; each maps to one HTTP status in the API. */
    public enum Code {
        /** No branch has this name (404). */
        UNKNOWN_BRANCH(404),
        /** A branch of this name exists, made differently (409). */
        BRANCH_EXISTS(409),
        /** Not a valid branch name (400). */
        INVALID_NAME(400),
        /** The branch has children and the operation would orphan them (409). */
        HAS_CHILDREN(409),
        /** The LSN or time is outside what the parent keeps (below its GC horizon, or ahead of its head) (400). */
        OUT_OF_RANGE(400),
        /** A malformed or contradictory request (400). */
        INVALID_ARGUMENT(400),
        /** The branch's compute failed to start or stop (503). */
        COMPUTE_FAILED(503);

        private final int httpStatus;

        Code(int httpStatus) {
            this.httpStatus = httpStatus;
        }

        public int httpStatus() {
            return httpStatus;
        }
    }

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
