package dev.sprout.storage.error;

import java.util.Objects;

/**
 * A refused storage-engine call. The message is a sentence that names the offending value; {@link #code()} says
 * which kind of refusal it is. A call that throws this has written nothing.
 */
public class StorageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public StorageException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public StorageException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    public ErrorCode code() {
        return code;
    }
}
