package dev.sprout.protocol.client;

import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.Request;
import dev.sprout.protocol.v1.Response;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * One call from the moment it is made until its future completes: the request (its id fixed, its session id
 * filled in when it is written), how to turn the answer into the caller's type, and its deadline.
 *
 * <p>Concurrency: the final fields are set by the calling thread and published to the event loop by the task
 * hand-off; the mutable fields are touched on the event loop only.
 */
final class PendingRequest<T> {

    /** Turns a successful answer into the caller's type. */
    interface Decoder<T> {
        /** Called with an answer whose status is OK and whose result is the one the operation expects. */
        T decode(Response response);

        /** A value to complete with instead of failing when the server refuses with {@code code}; none by default. */
        default Optional<T> onRefusal(Code code) {
            return Optional.empty();
        }
    }

    final long id;
    final Request.OpCase op;
    /** The session the request runs on; null for the client's own Attach and Ping, which name none. */
    final PageSession session;

    final Request.Builder request;
    final Decoder<T> decoder;
    final CompletableFuture<T> future;
    /** Internal requests (re-attaches) complete on the event loop and hold no in-flight slot. */
    final boolean internal;

    final long startNanos;
    final long timeoutNanos;

    /** Set when the timeout is scheduled, cancelled when the request settles. */
    ScheduledFuture<?> timer;
    /** True once written to a connection (then it is in the in-flight map, or was). */
    boolean sent;
    /** True once the future was (or is being) completed; nothing may complete it again. */
    boolean settled;

    PendingRequest(
            long id,
            PageSession session,
            Request.Builder request,
            Decoder<T> decoder,
            boolean internal,
            long startNanos,
            long timeoutNanos) {
        this.id = id;
        this.op = request.getOpCase();
        this.session = session;
        this.request = request.setId(id);
        this.decoder = decoder;
        this.future = new CompletableFuture<>();
        this.internal = internal;
        this.startNanos = startNanos;
        this.timeoutNanos = timeoutNanos;
    }

    /**
     * What the answer {@code response} to request {@code described} (operation {@code op}) means for its caller,
     * whichever way it came: the decoded value, or the failure to complete with (a {@link RefusedException}, a
     * {@link FencedException} for {@code FENCED}, or what the decoder threw for a malformed answer).
     */
    static <T> T result(Request.OpCase op, String described, Decoder<T> decoder, Response response) {
        dev.sprout.protocol.v1.Status status = response.getStatus();
        if (status.getCode() != Code.OK) {
            Optional<T> instead = decoder.onRefusal(status.getCode());
            if (instead.isPresent()) {
                return instead.get();
            }
            throw PageServiceException.refusal(status, described);
        }
        Response.ResultCase expected = Ops.expectedResult(op);
        if (response.getResultCase() != expected) {
            throw new RefusedException(
                    Code.INTERNAL,
                    described + " was answered with " + response.getResultCase() + ", expected " + expected
                            + " (a pageserver bug)");
        }
        return decoder.decode(response);
    }

    /** {@code "request 17 (GetPages)"}, for messages. */
    String describe() {
        return describe(id, op);
    }

    static String describe(long id, Request.OpCase op) {
        return "request " + id + " (" + Ops.name(op) + ")";
    }
}
