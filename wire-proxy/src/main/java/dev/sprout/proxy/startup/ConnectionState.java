package dev.sprout.proxy.startup;

import dev.sprout.proxy.cancel.CancelKey;
import dev.sprout.proxy.route.Route;
import dev.sprout.proxy.wake.Deadline;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Optional;

/**
 * Where one client connection stands, from accept to close. Each state carries exactly the data that exists in it;
 * {@link StartupHandler} holds the current one and changes it only on the connection's event loop.
 *
 * <pre>
 *   client startup stage ({@link ClientStage})
 *   Plaintext --SSLRequest, TLS on--> 'S' --> TlsHandshake --done--> Encrypted         (SSLRequest: once; 'N' without TLS)
 *   Plaintext --GSSENCRequest--> 'N' --> Plaintext                                      (once)
 *   Plaintext --first byte 0x16--> TlsHandshake(direct, ALPN "postgresql" required) --done--> Encrypted
 *   Plaintext | Encrypted --CancelRequest--> forwarded to the session's compute if open --> Closing
 *   Plaintext | Encrypted --StartupMessage 3.0-3.2, routed, admitted--> Waking
 *
 *   compute connection stage ({@link ComputeStage})
 *   Waking --address--> Connecting --connected--> Authenticating
 *     ^                    | refused, deadline not passed: asks again after a delay
 *     +--------------------+
 *
 *   relay stage ({@link RelayStage})
 *   Authenticating --the compute's ReadyForQuery--> Relaying
 *
 *   any live state --error, timeout or close--> Closing (FATAL ErrorResponse unless in TlsHandshake; never a
 *   ReadyForQuery) --channel inactive--> Closed, releasing what the state it was closed in held
 * </pre>
 */
sealed interface ConnectionState {

    /** Waiting for a packet before the session exists: {@link Plaintext} or {@link Encrypted}. */
    sealed interface AwaitingStartup extends ConnectionState {}

    /** Nothing yet, or only refused requests: the connection speaks in the clear. */
    record Plaintext(boolean sslRefused, boolean gssRefused) implements AwaitingStartup {
        static final Plaintext NEW = new Plaintext(false, false);
    }

    /** A TLS handshake runs; nothing may be said in the clear now. {@code direct}: started without an SSLRequest. */
    record TlsHandshake(boolean direct) implements ConnectionState {}

    /** TLS is in use; waiting for the StartupMessage (or a CancelRequest). */
    record Encrypted(Optional<String> serverName) implements AwaitingStartup {}

    /**
     * The branch's compute is being asked for (or, after a refused address, about to be asked for again).
     *
     * @param refusedAddresses compute addresses that refused this connection so far: none on the first wake-up
     *                         (which may take the fast path), and the branch is counted in the metrics once the
     *                         first wake-up answered, so exactly when this is positive
     * @param early            bytes the client sent behind its StartupMessage, held until the compute is connected
     */
    record Waking(Admission admission, int refusedAddresses, ArrayDeque<ByteBuf> early) implements ConnectionState {
        /** Whether the branch has been counted as opened ({@code ProxyMetrics#opened}). */
        boolean counted() {
            return refusedAddresses > 0;
        }
    }

    /** Connecting to the address the wake-up answered; the branch is counted. */
    record Connecting(
            Admission admission,
            int refusedAddresses,
            Channel compute,
            InetSocketAddress address,
            ArrayDeque<ByteBuf> early)
            implements ConnectionState {}

    /**
     * Connected: the compute's authentication exchange is relayed message by message until its ReadyForQuery.
     *
     * @param key the cancel key issued to the client, once the compute has sent its BackendKeyData
     */
    record Authenticating(Admission admission, Channel compute, InetSocketAddress address, Optional<CancelKey> key)
            implements ConnectionState {}

    /** The session runs: bytes are copied both ways without being looked at. */
    record Relaying(Admission admission, Channel compute, Optional<CancelKey> key) implements ConnectionState {}

    /**
     * Answered (or given up on) and closing; {@code held} is the state it was closed in, whose slot, count, cancel
     * key and compute connection are released when the channel has closed.
     */
    record Closing(ConnectionState held) implements ConnectionState {}

    /** Closed, and everything released. */
    record Closed() implements ConnectionState {}

    /**
     * What a session is from its StartupMessage on: its route, the protocol minor version spoken with the client,
     * and when the compute must have been reached (the wake-up timeout counts from the StartupMessage).
     */
    record Admission(Route route, int clientMinor, Deadline deadline) {}
}
