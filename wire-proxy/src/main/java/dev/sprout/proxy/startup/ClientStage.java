package dev.sprout.proxy.startup;

import dev.sprout.proxy.cancel.CancelKey;
import dev.sprout.proxy.error.ProxyError;
import dev.sprout.proxy.error.SqlState;
import dev.sprout.proxy.route.Route;
import dev.sprout.proxy.startup.ConnectionState.AwaitingStartup;
import dev.sprout.proxy.startup.ConnectionState.Encrypted;
import dev.sprout.proxy.startup.ConnectionState.Plaintext;
import dev.sprout.proxy.startup.ConnectionState.TlsHandshake;
import dev.sprout.proxy.tls.ServerTls;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;

/**
 * The client startup stage as a function: given where a connection stands before its session exists and what the
 * client sent (a {@link StartupPacket}, or the end of a TLS handshake), the {@link Step} to take. It decides
 * everything up to the StartupMessage (SSLRequest and GSSENCRequest once each, TLS, CancelRequest, the protocol
 * version and {@code _pq_.} options, the user, the route) and does nothing itself: {@link StartupHandler} writes,
 * reads and closes. Immutable and thread-safe.
 *
 * <pre>
 * Plaintext --SSLRequest--> StartTls(TlsHandshake) with TLS on, Answer('N', Plaintext) without  (once)
 * Plaintext --GSSENCRequest--> Answer('N', Plaintext)                                          (once)
 * TlsHandshake --done--> Read(Encrypted); a direct one without ALPN "postgresql" is refused
 * Encrypted --SSLRequest | GSSENCRequest--> Refuse(08P01)
 * Plaintext | Encrypted --CancelRequest--> Cancel(key)
 * Plaintext | Encrypted --StartupMessage--> Start(route) or Refuse, either after a NegotiateProtocolVersion if due
 * Plaintext --StartupMessage--> Refuse(28000) when TLS is required (the proxy listens beyond loopback)
 * </pre>
 */
final class ClientStage {
    /** The newest protocol minor version spoken (3.2 = PostgreSQL 18, which only lengthens cancel keys). */
    static final int NEWEST_MINOR = 2;

    private final boolean tlsOffered;
    private final String serverNameDomain;
    private final boolean tlsRequired;

    /**
     * @param tlsOffered       whether an SSLRequest is answered {@code S}
     * @param serverNameDomain TLS server names under this domain route to a branch ({@link Route#of})
     */
    ClientStage(boolean tlsOffered, String serverNameDomain) {
        this(tlsOffered, serverNameDomain, false);
    }

    /** With {@code tlsRequired}, a StartupMessage in plaintext is refused (28000): the proxy listens beyond loopback. */
    ClientStage(boolean tlsOffered, String serverNameDomain, boolean tlsRequired) {
        this.tlsOffered = tlsOffered;
        this.serverNameDomain = serverNameDomain;
        this.tlsRequired = tlsRequired;
    }

    /** What to do next. */
    sealed interface Step {}

    /** Write the one-byte answer {@code answer}, go to {@code next}, and read the next packet. */
    record Answer(char answer, Plaintext next) implements Step {}

    /** Put TLS in front of the pipeline, write {@code S} in the clear, go to {@code next}. */
    record StartTls(TlsHandshake next) implements Step {}

    /** Go to {@code next} and read the next packet. */
    record Read(Encrypted next) implements Step {}

    /** Forward a cancel for this key if its session is open; the connection carries nothing else. */
    record Cancel(CancelKey key) implements Step {}

    /** Admit the session to {@code route} (after the negotiation, if any). */
    record Start(Optional<Negotiation> negotiation, Route route, int clientMinor) implements Step {}

    /** Answer FATAL {@code error} (after the negotiation, if any) and close. */
    record Refuse(Optional<Negotiation> negotiation, ProxyError error) implements Step {
        Refuse(ProxyError error) {
            this(Optional.empty(), error);
        }
    }

    /** A NegotiateProtocolVersion to send: the newest minor version spoken and the options not recognized. */
    record Negotiation(int minor, List<String> unknownOptions) {
        Negotiation {
            unknownOptions = List.copyOf(unknownOptions);
        }
    }

    /** A packet arrived before the session exists. */
    Step onPacket(AwaitingStartup state, StartupPacket packet) {
        return switch (packet) {
            case StartupPacket.SslRequest _ ->
                switch (state) {
                    case Encrypted _ -> new Refuse(violation("SSLRequest on a connection that already uses TLS"));
                    case Plaintext p when p.sslRefused() -> new Refuse(violation("second SSLRequest"));
                    case Plaintext p ->
                        tlsOffered
                                ? new StartTls(new TlsHandshake(false))
                                : new Answer('N', new Plaintext(true, p.gssRefused()));
                };
            case StartupPacket.GssEncRequest _ ->
                switch (state) {
                    case Encrypted _ -> new Refuse(violation("GSSENCRequest on a connection that already uses TLS"));
                    case Plaintext p when p.gssRefused() -> new Refuse(violation("second GSSENCRequest"));
                    // no GSSAPI: the client goes on without it
                    case Plaintext p -> new Answer('N', new Plaintext(p.sslRefused(), true));
                };
            case StartupPacket.CancelRequest cancel -> new Cancel(cancel.key());
            case StartupPacket.Startup startup -> startup(state, startup);
        };
    }

    /** The TLS handshake succeeded; {@code alpn} is the application protocol agreed on, or null. */
    static Step handshakeDone(TlsHandshake state, String alpn, Optional<String> serverName) {
        if (state.direct() && !ServerTls.ALPN_POSTGRESQL.equals(alpn)) {
            return new Refuse(
                    violation("direct TLS connection without the ALPN protocol \"" + ServerTls.ALPN_POSTGRESQL + "\""));
        }
        return new Read(new Encrypted(serverName));
    }

    private Step startup(AwaitingStartup state, StartupPacket.Startup startup) {
        if (startup.major() != 3) {
            return new Refuse(new ProxyError(
                    SqlState.FEATURE_NOT_SUPPORTED,
                    "unsupported frontend protocol " + startup.major() + "." + startup.minor()
                            + ": the proxy supports protocol 3.0 to 3." + NEWEST_MINOR));
        }
        int clientMinor = Math.min(startup.minor(), NEWEST_MINOR);
        List<String> unknownOptions = new ArrayList<>();
        LinkedHashMap<String, String> parameters = new LinkedHashMap<>();
        startup.parameters().forEach((k, v) -> {
            if (k.startsWith("_pq_.")) {
                unknownOptions.add(k); // the proxy knows no protocol extension yet
            } else {
                parameters.put(k, v);
            }
        });
        Optional<Negotiation> negotiation = startup.minor() > NEWEST_MINOR || !unknownOptions.isEmpty()
                ? Optional.of(new Negotiation(clientMinor, unknownOptions))
                : Optional.empty();
        if (tlsRequired && state instanceof Plaintext) {
            return new Refuse(
                    negotiation,
                    new ProxyError(
                            SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
                            "this proxy takes connections over TLS only: it listens beyond loopback",
                            "Connect with sslmode=require (or verify-ca/verify-full with the proxy's certificate)."));
        }
        String user = parameters.get("user");
        if (user == null || user.isEmpty()) {
            return new Refuse(
                    negotiation,
                    new ProxyError(
                            SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
                            "no PostgreSQL user name specified in startup packet"));
        }
        Optional<String> serverName = switch (state) {
            case Plaintext _ -> Optional.empty();
            case Encrypted e -> e.serverName();
        };
        try {
            return new Start(negotiation, Route.of(parameters, serverName, serverNameDomain), clientMinor);
        } catch (ProxyError e) {
            return new Refuse(negotiation, e);
        }
    }

    private static ProxyError violation(String message) {
        return new ProxyError(SqlState.PROTOCOL_VIOLATION, message);
    }
}
