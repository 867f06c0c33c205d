package dev.sprout.protocol.client;

import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.Status;

/**
 * Every way a page-service call can fail. The subclasses are the cases a caller tells apart, so an exhaustive
 * {@code switch} over a caught {@code PageServiceException} covers them all:
 *
 * <ul>
 *   <li>{@link RefusedException}: the server answered with a status other than {@code OK}; {@link
 *       RefusedException#code()} says which (and {@link FencedException} is {@code FENCED}). A refused request
 *       changed nothing.
 *   <li>{@link ConnectionLostException}: no answer can come because the connection went away (or the client
 *       gave up reconnecting, or was closed: {@link ClientClosedException}). A change that was in flight <em>may
 *       or may not have been applied</em>: a {@code Commit} whose answer was lost must be treated as unknown.
 *   <li>{@link RequestTimeoutException}: no answer within the request timeout. The request may still be applied
 *       later; its late answer is dropped.
 * </ul>
 *
 * <p>The messages name the request ({@code "request 17 (GetPages) timed out after 30000 ms"}) and the offending
 * value. These exceptions are raised on the client's event loop, where a stack trace would only show Netty's
 * frames, so they carry none; {@code join()} and {@code get()} wrap them in an exception that carries the
 * caller's stack.
 */
public abstract sealed class PageServiceException extends RuntimeException
        permits RefusedException, ConnectionLostException, RequestTimeoutException {
    private static final long serialVersionUID = 1L;

    PageServiceException(String message, Throwable cause) {
        super(message, cause, true, false);
    }

    /**
     * The exception for a refusal: {@link FencedException} for {@code FENCED}, a {@link RefusedException} with
     * the code otherwise.
     *
     * @param status the server's status, whose code is not {@code OK}
     * @param what   what was refused, for the message: {@code "request 17 (Commit)"}
     */
    public static RefusedException refusal(Status status, String what) {
        Code code = status.getCode();
        if (code == Code.OK) {
            throw new IllegalArgumentException("status OK is not a refusal (" + what + ")");
        }
        String message = what + " refused with " + code + ": " + status.getMessage();
        return code == Code.FENCED ? new FencedException(message) : new RefusedException(code, message);
    }
}
