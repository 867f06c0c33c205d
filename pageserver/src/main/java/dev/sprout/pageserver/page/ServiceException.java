package dev.sprout.pageserver.page;

import dev.sprout.protocol.v1.Code;

/** A refusal by the page service itself (not by the storage engine), answered as a Status with this code. */
final class ServiceException extends RuntimeException {
    private final Code code;

    ServiceException(Code code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    Code code() {
        return code;
    }
}
