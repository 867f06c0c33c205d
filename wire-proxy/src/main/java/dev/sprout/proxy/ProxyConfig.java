package dev.sprout.proxy;

import dev.sprout.protocol.tls.TlsSettings;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;

/**
 * How the proxy runs.
 *
 * @param bindAddress      where it listens; 127.0.0.1 by default (nothing else should reach a developer's database)
 * @param port             its port (0 = any free port)
 * @param tls              where its TLS certificate comes from
 * @param serverNameDomain TLS server names {@code BRANCH.serverNameDomain} route to {@code BRANCH}
 * @param loginTimeout     from accept to the end of authentication, wake-up included; PostgreSQL's own
 *                         {@code authentication_timeout} defaults to the same 60 s
 * @param wakeTimeout      how long to keep asking for a branch's compute before answering 57P03
 * @param idleTimeout      close a session after this long without a byte in either direction (zero = never, the
 *                         default, as PostgreSQL's {@code idle_session_timeout} and PgBouncer's
 *                         {@code client_idle_timeout}: a query that runs silently for longer would be cut too)
 * @param maxConnections   client connections at once; more are refused with 53300
 * @param ioThreads        event-loop threads (0 = Netty's default, twice the cores)
 */
public record ProxyConfig(
        String bindAddress,
        int port,
        TlsSettings tls,
        String serverNameDomain,
        Duration loginTimeout,
        Duration wakeTimeout,
        Duration idleTimeout,
        int maxConnections,
        int ioThreads) {
    public static final String DEFAULT_BIND_ADDRESS = "127.0.0.1";
    public static final String DEFAULT_SERVER_NAME_DOMAIN = "localhost";
    public static final int DEFAULT_MAX_CONNECTIONS = 1_000;

    public ProxyConfig {
        Objects.requireNonNull(bindAddress, "bindAddress");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(serverNameDomain, "serverNameDomain");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
        }
        requirePositive("loginTimeout", loginTimeout);
        requirePositive("wakeTimeout", wakeTimeout);
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("idleTimeout: " + idleTimeout + " (expected: >= 0, 0 = never)");
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections: " + maxConnections + " (expected: >= 1)");
        }
        if (ioThreads < 0) {
            throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: >= 0)");
        }
    }

    /** 127.0.0.1 on {@code port}, the given TLS, login timeout 60 s, wake-up timeout 30 s, no idle timeout. */
    public static ProxyConfig defaults(int port, TlsSettings tls) {
        return new ProxyConfig(
                DEFAULT_BIND_ADDRESS,
                port,
                tls,
                DEFAULT_SERVER_NAME_DOMAIN,
                Duration.ofSeconds(60),
                Duration.ofSeconds(30),
                Duration.ZERO,
                DEFAULT_MAX_CONNECTIONS,
                0);
    }

    /** Listening on {@code address} instead of 127.0.0.1. */
    public ProxyConfig withBindAddress(String address) {
        return new ProxyConfig(
                address,
                port,
                tls,
                serverNameDomain,
                loginTimeout,
                wakeTimeout,
                idleTimeout,
                maxConnections,
                ioThreads);
    }

    public ProxyConfig withTimeouts(Duration login, Duration wake, Duration idle) {
        return new ProxyConfig(bindAddress, port, tls, serverNameDomain, login, wake, idle, maxConnections, ioThreads);
    }

    public ProxyConfig withMaxConnections(int max) {
        return new ProxyConfig(
                bindAddress, port, tls, serverNameDomain, loginTimeout, wakeTimeout, idleTimeout, max, ioThreads);
    }

    public ProxyConfig withIoThreads(int threads) {
        return new ProxyConfig(
                bindAddress,
                port,
                tls,
                serverNameDomain,
                loginTimeout,
                wakeTimeout,
                idleTimeout,
                maxConnections,
                threads);
    }

    private static void requirePositive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
        }
    }

    /**
     * Whether clients must use TLS: when it listens beyond loopback (any address but 127.0.0.0/8, ::1 and
     * {@code localhost}), a StartupMessage sent in plaintext is refused, so a password or a row never crosses a
     * network in clear. Needs TLS on ({@link TlsSettings#enabled()}); without it nothing beyond loopback is served.
     */
    public boolean requiresTls() {
        return !isLoopback(bindAddress);
    }

    /**
     * Whether {@code address} names this machine's loopback interface, as the pageserver's listeners decide it
     * ({@code PageserverConfig.listenRefusal}): what the JDK resolves it to. One that does not resolve counts as
     * beyond loopback, so TLS is required rather than waived.
     */
    static boolean isLoopback(String address) {
        try {
            return InetAddress.getByName(address.strip()).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
