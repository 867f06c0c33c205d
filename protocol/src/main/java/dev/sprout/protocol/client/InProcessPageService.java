package dev.sprout.protocol.client;

import dev.sprout.protocol.v1.Request;
import dev.sprout.protocol.v1.Response;

/**
 * A page service in this process, reached by a direct call instead of a socket: what a pageserver offers the
 * computes that run in its own JVM ({@code sprout up}), so that a read or a synced commit costs no Protobuf
 * encoding, no loopback TCP and no thread hand-off. The contract is the page service's own (protocol.md): the
 * same requests, answers, refusals, credentials and fencing, per connection and session.
 *
 * <p>Implemented by the pageserver; {@link PageClient#inProcess} is the client of it.
 */
public interface InProcessPageService {
    /** Opens a connection: sessions are attached on it, and closing it detaches them (as a socket's end does). */
    Connection open();

    /** One connection. Thread-safe: calls of several threads run concurrently, a session's changes one at a time. */
    interface Connection extends AutoCloseable {
        /**
         * Answers {@code request} on the caller's thread, once its work is done (a change once it is durable). A
         * refusal is an answer with its status, as on the wire; never throws for a refusal.
         */
        Response call(Request request);

        /** Detaches every session of this connection. Idempotent. */
        @Override
        void close();
    }
}
