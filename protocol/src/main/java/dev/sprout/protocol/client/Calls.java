package dev.sprout.protocol.client;

import dev.sprout.protocol.v1.Request;
import java.util.concurrent.CompletableFuture;

/**
 * How a {@link PageClient}'s requests reach the page service: over a connection ({@link Dispatcher}: frames on
 * TCP, reconnects, timeouts) or by a direct call in the pageserver's own process ({@link InProcessCalls}). Both
 * give a session the same answers, refusals and fencing.
 */
sealed interface Calls permits Dispatcher, InProcessCalls {
    /** Sends {@code request} on {@code session} (null: the client's own Attach or Ping) and decodes its answer. */
    <T> CompletableFuture<T> call(PageSession session, Request.Builder request, PendingRequest.Decoder<T> decoder);

    /** Decodes an Attach's answer into the session it opened. */
    PendingRequest.Decoder<PageSession> sessionFactory(PageClient client, String timelineId, AttachMode mode);

    /** Runs {@code task} where the session's client-side state is kept (the event loop, or at once). */
    void execute(Runnable task);

    /** Fails what is pending with {@link ClientClosedException} and lets the server close every session. */
    void close();
}
