package dev.sprout.protocol.client;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * How a {@link PageClient} connects and behaves.
 *
 * @param host                   the pageserver's host
 * @param port                   its page-service port
 * @param connectTimeout         one TCP connect attempt
 * @param requestTimeout         from a call to its answer, including any wait for an in-flight slot or a
 *                               reconnect; then the call fails with {@link RequestTimeoutException}
 * @param maxFrameBytes          the largest frame either side may send: longer responses break the connection,
 *                               longer requests are refused before they are sent. Keep it equal to the
 *                               pageserver's own maximum
 * @param reconnectBackoffMin    the delay before the first reconnect attempt; it doubles (with jitter) after
 *                               each failed attempt
 * @param reconnectBackoffMax    the longest delay between two reconnect attempts
 * @param maxReconnectTime       how long to keep trying after the connection was lost; then the client gives
 *                               up for good and every call fails with {@link ConnectionLostException}
 * @param maxInFlight            the most requests pending at once (sent or waiting for a reconnect); a call
 *                               beyond it waits for a slot (see {@link PageClient})
 * @param credential             the pageserver's page-service secret, carried by every Attach ("" = none: the
 *                               pageserver refuses the attach with {@code UNAUTHENTICATED})
 * @param callbackExecutor       where futures are completed: {@link #EVENT_LOOP} (the default, no hand-off:
 *                               callbacks run on the client's I/O thread and must not block) or an executor of
 *                               the caller's
 * @param tlsTrustAnchor         TLS on every connection when present: a PEM file of the certificates the
 *                               pageserver's must be (or be signed by), e.g. its self-signed certificate; the
 *                               certificate must also name {@code host} (a DNS name or an IP address). Empty:
 *                               plaintext, as a loopback pageserver without TLS speaks
 */
public record ClientOptions(
        String host,
        int port,
        Duration connectTimeout,
        Duration requestTimeout,
        int maxFrameBytes,
        Duration reconnectBackoffMin,
        Duration reconnectBackoffMax,
        Duration maxReconnectTime,
        int maxInFlight,
        Executor callbackExecutor,
        String credential,
        Optional<Path> tlsTrustAnchor) {

    /** Completes futures on the client's event loop, with no hand-off (the lowest latency). */
    public static final Executor EVENT_LOOP = new Executor() {
        @Override
        public void execute(Runnable command) {
            command.run();
        }

        @Override
        public String toString() {
            return "EVENT_LOOP";
        }
    };

    /** The default maximum frame: 64 MiB holds a batch of 8,000 pages of 8 KiB with room to spare. */
    public static final int DEFAULT_MAX_FRAME_BYTES = 64 << 20;

    public ClientOptions {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host is blank");
        }
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
        }
        requirePositive("connectTimeout", connectTimeout);
        requirePositive("requestTimeout", requestTimeout);
        if (maxFrameBytes <= 0) {
            throw new IllegalArgumentException("maxFrameBytes: " + maxFrameBytes + " (expected: > 0)");
        }
        requirePositive("reconnectBackoffMin", reconnectBackoffMin);
        requirePositive("reconnectBackoffMax", reconnectBackoffMax);
        if (reconnectBackoffMax.compareTo(reconnectBackoffMin) < 0) {
            throw new IllegalArgumentException("reconnectBackoffMax: " + reconnectBackoffMax
                    + " (expected: >= reconnectBackoffMin " + reconnectBackoffMin + ")");
        }
        Objects.requireNonNull(maxReconnectTime, "maxReconnectTime");
        if (maxReconnectTime.isNegative()) {
            throw new IllegalArgumentException(
                    "maxReconnectTime: " + maxReconnectTime + " (expected: >= 0; 0 never reconnects)");
        }
        if (maxInFlight <= 0) {
            throw new IllegalArgumentException("maxInFlight: " + maxInFlight + " (expected: > 0)");
        }
        Objects.requireNonNull(callbackExecutor, "callbackExecutor");
        Objects.requireNonNull(credential, "credential");
        Objects.requireNonNull(tlsTrustAnchor, "tlsTrustAnchor");
    }

    /**
     * Defaults: connect in 5 s, answer in 30 s, 64 MiB frames, reconnect backoff 50 ms doubling to 2 s for up to
     * 30 s, 1024 requests in flight, futures completed on the event loop.
     */
    public static ClientOptions defaults(String host, int port) {
        return new ClientOptions(
                host,
                port,
                Duration.ofSeconds(5),
                Duration.ofSeconds(30),
                DEFAULT_MAX_FRAME_BYTES,
                Duration.ofMillis(50),
                Duration.ofSeconds(2),
                Duration.ofSeconds(30),
                1024,
                EVENT_LOOP,
                "",
                Optional.empty());
    }

    public ClientOptions withConnectTimeout(Duration timeout) {
        return new ClientOptions(
                host,
                port,
                timeout,
                requestTimeout,
                maxFrameBytes,
                reconnectBackoffMin,
                reconnectBackoffMax,
                maxReconnectTime,
                maxInFlight,
                callbackExecutor,
                credential,
                tlsTrustAnchor);
    }

    public ClientOptions withRequestTimeout(Duration timeout) {
        return new ClientOptions(
                host,
                port,
                connectTimeout,
                timeout,
                maxFrameBytes,
                reconnectBackoffMin,
                reconnectBackoffMax,
                maxReconnectTime,
                maxInFlight,
                callbackExecutor,
                credential,
                tlsTrustAnchor);
    }

    public ClientOptions withMaxFrameBytes(int bytes) {
        return new ClientOptions(
                host,
                port,
                connectTimeout,
                requestTimeout,
                bytes,
                reconnectBackoffMin,
                reconnectBackoffMax,
                maxReconnectTime,
                maxInFlight,
                callbackExecutor,
                credential,
                tlsTrustAnchor);
    }

    public ClientOptions withReconnectBackoff(Duration min, Duration max) {
        return new ClientOptions(
                host,
                port,
                connectTimeout,
                requestTimeout,
                maxFrameBytes,
                min,
                max,
                maxReconnectTime,
                maxInFlight,
                callbackExecutor,
                credential,
                tlsTrustAnchor);
    }

    public ClientOptions withMaxReconnectTime(Duration time) {
        return new ClientOptions(
                host,
                port,
                connectTimeout,
                requestTimeout,
                maxFrameBytes,
                reconnectBackoffMin,
                reconnectBackoffMax,
                time,
                maxInFlight,
                callbackExecutor,
                credential,
                tlsTrustAnchor);
    }

    public ClientOptions withMaxInFlight(int requests) {
        return new ClientOptions(
                host,
                port,
                connectTimeout,
                requestTimeout,
                maxFrameBytes,
                reconnectBackoffMin,
                reconnectBackoffMax,
                maxReconnectTime,
                requests,
                callbackExecutor,
                credential,
                tlsTrustAnchor);
    }

    public ClientOptions withCallbackExecutor(Executor executor) {
        return new ClientOptions(
                host,
                port,
                connectTimeout,
                requestTimeout,
                maxFrameBytes,
                reconnectBackoffMin,
                reconnectBackoffMax,
                maxReconnectTime,
                maxInFlight,
                executor,
                credential,
                tlsTrustAnchor);
    }

    /** The pageserver's page-service secret, sent in every Attach (re-attaches too). */
    public ClientOptions withCredential(String secret) {
        return new ClientOptions(
                host,
                port,
                connectTimeout,
                requestTimeout,
                maxFrameBytes,
                reconnectBackoffMin,
                reconnectBackoffMax,
                maxReconnectTime,
                maxInFlight,
                callbackExecutor,
                secret,
                tlsTrustAnchor);
    }

    /** TLS on every connection, trusting the certificates in {@code trustAnchor} (PEM); see the record's doc. */
    public ClientOptions withTls(Path trustAnchor) {
        return new ClientOptions(
                host,
                port,
                connectTimeout,
                requestTimeout,
                maxFrameBytes,
                reconnectBackoffMin,
                reconnectBackoffMax,
                maxReconnectTime,
                maxInFlight,
                callbackExecutor,
                credential,
                Optional.of(trustAnchor));
    }

    /** Everything but the credential. */
    @Override
    public String toString() {
        return "ClientOptions[host=" + host + ", port=" + port + ", connectTimeout=" + connectTimeout
                + ", requestTimeout="
                + requestTimeout + ", maxFrameBytes=" + maxFrameBytes + ", reconnectBackoff=" + reconnectBackoffMin
                + ".."
                + reconnectBackoffMax + ", maxReconnectTime=" + maxReconnectTime + ", maxInFlight=" + maxInFlight
                + ", callbackExecutor=" + callbackExecutor + ", credential=" + (credential.isEmpty() ? "none" : "set")
                + ", tls=" + tlsTrustAnchor.map(a -> "trusting " + a).orElse("off") + "]";
    }

    /** {@code host:port}, for messages. */
    String address() {
        return host + ":" + port;
    }

    private static void requirePositive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
        }
    }
}
