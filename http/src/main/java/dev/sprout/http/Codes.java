package dev.sprout.http;

import dev.sprout.protocol.v1.Code;
import dev.sprout.storage.error.ErrorCode;

/**
 * The protocol's {@link Code} for each storage-engine {@link ErrorCode} (the same name, one to one, as
 * {@code common.proto} promises), and the HTTP status the management API answers with for each code. The page
 * service uses {@link #of} too, so a compute and an operator see the same code for the same refusal.
 *
 * <p>Both are exhaustive switches: a code added to either enum fails compilation here until it is mapped.
 */
public final class Codes {
    private Codes() {}

    public static Code of(ErrorCode code) {
        return switch (code) {
            case UNKNOWN_TIMELINE -> Code.UNKNOWN_TIMELINE;
            case TIMELINE_EXISTS -> Code.TIMELINE_EXISTS;
            case TIMELINE_HAS_CHILDREN -> Code.TIMELINE_HAS_CHILDREN;
            case LSN_OUT_OF_RANGE -> Code.LSN_OUT_OF_RANGE;
            case INVALID_PAGE -> Code.INVALID_PAGE;
            case INVALID_NAME -> Code.INVALID_NAME;
            case INVALID_ARGUMENT -> Code.INVALID_ARGUMENT;
            case NO_SUCH_FILE -> Code.NO_SUCH_FILE;
            case FILE_EXISTS -> Code.FILE_EXISTS;
            case NOT_A_DIRECTORY -> Code.NOT_A_DIRECTORY;
            case IS_A_DIRECTORY -> Code.IS_A_DIRECTORY;
            case DIRECTORY_NOT_EMPTY -> Code.DIRECTORY_NOT_EMPTY;
            case CLOSED -> Code.CLOSED;
            case IO_ERROR -> Code.IO_ERROR;
        };
    }

    /**
     * The HTTP status of a refusal with this code: 4xx when the request can be corrected, 5xx when the server
     * failed. Conflicts with the state of the store (the name is taken, the timeline has children, a newer
     * writer) are 409 or 412 so that a client can tell them from malformed requests.
     */
    public static int httpStatus(Code code) {
        return switch (code) {
            case OK -> 200;
            case UNKNOWN_TIMELINE, NO_SUCH_FILE, UNKNOWN_BRANCH, UNKNOWN_TOKEN -> 404;
            case TIMELINE_EXISTS,
                    FILE_EXISTS,
                    NOT_A_DIRECTORY,
                    IS_A_DIRECTORY,
                    DIRECTORY_NOT_EMPTY,
                    FENCED,
                    WRITER_ATTACHED,
                    NOT_ATTACHED,
                    READ_ONLY,
                    BRANCH_EXISTS,
                    BRANCH_HAS_CHILDREN,
                    BRANCH_PROTECTED -> 409;
            // "the server does not meet one of the preconditions": the timeline must have no children first
            case TIMELINE_HAS_CHILDREN -> 412;
            case LSN_OUT_OF_RANGE, INVALID_PAGE, INVALID_NAME, INVALID_ARGUMENT, MALFORMED_REQUEST -> 400;
            case MESSAGE_TOO_LARGE -> 413;
            case UNAUTHENTICATED -> 401;
            case PERMISSION_DENIED -> 403;
            case RATE_LIMITED -> 429;
            case CLOSED, OVERLOADED, COMPUTE_FAILED -> 503;
            case IO_ERROR, INTERNAL, UNRECOGNIZED -> 500;
        };
    }
}
