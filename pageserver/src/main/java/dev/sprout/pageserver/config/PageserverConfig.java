package dev.sprout.pageserver.config;

import dev.sprout.protocol.tls.TlsSettings;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a pageserver is started with. Made by {@code PageserverMain} from flags and a properties file,
 * or by code (tests, {@code sprout up}) from {@link #defaults} and the withers.
 *
 * @param dataDirectory     where the storage engine keeps its RocksDB files
 * @param bindAddress       the address both ports listen on (127.0.0.1 unless configured otherwise)
 * @param pagePort          the page service's port (0 = any free port)
 * @param httpPort          the management API's port (0 = any free port)
 * @param pageCacheBytes    the page cache's bound (0 turns it off)
 * @param pitrWindow        how far back every timeline stays readable and branchable
 * @param gcInterval        how often GC runs in the background (0 = never; POST /v1/gc runs it on demand)
 * @param maxMessageBytes   the largest frame or HTTP body accepted; longer ones are refused before allocation
 * @param maxStagedBytes    page images one session may stage before it must commit
 * @param maxInFlight       requests one connection may have in progress before the server stops reading it
 * @param storageThreads    threads that run storage calls (reads in parallel, commits waiting on a sync)
 * @param syncCommits       whether a commit waits for the disk (only tests and benchmarks turn this off)
 * @param tls               TLS for both ports ({@link TlsSettings.Disabled} by default); required when
 *                          {@code bindAddress} is not a loopback address ({@link #listenRefusal})
 */
public record PageserverConfig(
        Path dataDirectory,
        String bindAddress,
        int pagePort,
        int httpPort,
        long pageCacheBytes,
        Duration pitrWindow,
        Duration gcInterval,
        int maxMessageBytes,
        long maxStagedBytes,
        int maxInFlight,
        int storageThreads,
        boolean syncCommits,
        TlsSettings tls) {

    public static final int DEFAULT_PAGE_PORT = 6400;
    public static final int DEFAULT_HTTP_PORT = 6401;

    public PageserverConfig {
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        Objects.requireNonNull(bindAddress, "bindAddress");
        requirePort("page port", pagePort);
        requirePort("http port", httpPort);
        require(pageCacheBytes >= 0, "page cache size " + pageCacheBytes + " is negative");
        require(!pitrWindow.isNegative(), "PITR window " + pitrWindow + " is negative");
        require(!gcInterval.isNegative(), "GC interval " + gcInterval + " is negative");
        // 1 MiB leaves room for a GetPages answer of 100+ pages; below it computes could not batch at all.
        require(
                maxMessageBytes >= (1 << 20),
                "max message size " + maxMessageBytes + " bytes is below the minimum of 1 MiB");
        require(maxStagedBytes >= 8192, "max staged bytes " + maxStagedBytes + " cannot hold one page");
        require(maxInFlight >= 1, "max in-flight requests " + maxInFlight + " must be at least 1");
        require(storageThreads >= 1, "storage threads " + storageThreads + " must be at least 1");
        Objects.requireNonNull(tls, "tls");
        Optional<String> refused = listenRefusal(bindAddress, tls.enabled());
        if (refused.isPresent()) {
            throw new IllegalArgumentException(refused.get());
        }
    }

    /** Without TLS (the constructor of the settings that came before TLS; the bind address must be loopback). */
    public PageserverConfig(
            Path dataDirectory,
            String bindAddress,
            int pagePort,
            int httpPort,
            long pageCacheBytes,
            Duration pitrWindow,
            Duration gcInterval,
            int maxMessageBytes,
            long maxStagedBytes,
            int maxInFlight,
            int storageThreads,
            boolean syncCommits) {
        this(
                dataDirectory,
                bindAddress,
                pagePort,
                httpPort,
                pageCacheBytes,
                pitrWindow,
                gcInterval,
                maxMessageBytes,
                maxStagedBytes,
                maxInFlight,
                storageThreads,
                syncCommits,
                new TlsSettings.Disabled());
    }

    /** Where the self-signed certificate of {@code --tls-self-signed} is kept: {@code DATA/tls}. */
    public static Path selfSignedDirectory(Path dataDirectory) {
        return dataDirectory.resolve("tls");
    }

    /**
     * Why the HTTP API and the page service may not listen on {@code address}, or empty when they may: an address
     * that is not a loopback one (the wildcard 0.0.0.0 included) reaches the network, where plaintext would carry
     * tokens, the page-service credentials and every page, so it takes TLS; loopback stays as it is, TLS optional.
     */
    public static Optional<String> listenRefusal(String address, boolean tls) {
        InetAddress resolved;
        try {
            resolved = InetAddress.getByName(address);
        } catch (UnknownHostException e) {
            return Optional.of("cannot listen on " + address + ": not an address of this machine that resolves ("
                    + e.getMessage() + ")");
        }
        if (resolved.isLoopbackAddress() || tls) {
            return Optional.empty();
        }
        return Optional.of("refusing to listen on " + address + " without TLS: it is not a loopback address, and the"
                + " HTTP API and the page service would carry tokens, credentials and pages in the clear to the"
                + " network; add --tls-self-signed, or --tls-cert FILE --tls-key FILE, or listen on 127.0.0.1");
    }

    /**
     * Where a client on this machine reaches a listener bound to {@code bindAddress}: the address itself, or
     * 127.0.0.1 for a wildcard (0.0.0.0, ::).
     */
    public static String localAddress(String bindAddress) {
        try {
            return InetAddress.getByName(bindAddress).isAnyLocalAddress() ? "127.0.0.1" : bindAddress;
        } catch (UnknownHostException e) {
            return bindAddress;
        }
    }

    /** TLS for both ports, on {@code address} (checked by the constructor: non-loopback wants TLS). */
    public PageserverConfig withListen(String address, TlsSettings settings) {
        return new PageserverConfig(
                dataDirectory,
                address,
                pagePort,
                httpPort,
                pageCacheBytes,
                pitrWindow,
                gcInterval,
                maxMessageBytes,
                maxStagedBytes,
                maxInFlight,
                storageThreads,
                syncCommits,
                settings);
    }

    public static PageserverConfig defaults(Path dataDirectory) {
        return new PageserverConfig(
                dataDirectory,
                "127.0.0.1",
                DEFAULT_PAGE_PORT,
                DEFAULT_HTTP_PORT,
                256L << 20,
                Duration.ofDays(1),
                Duration.ofMinutes(10),
                64 << 20,
                256L << 20,
                1024,
                Math.max(16, 4 * Runtime.getRuntime().availableProcessors()),
                true,
                new TlsSettings.Disabled());
    }

    /** Both ports chosen by the kernel (tests, several pageservers on one machine). */
    public PageserverConfig withEphemeralPorts() {
        return new PageserverConfig(
                dataDirectory,
                bindAddress,
                0,
                0,
                pageCacheBytes,
                pitrWindow,
                gcInterval,
                maxMessageBytes,
                maxStagedBytes,
                maxInFlight,
                storageThreads,
                syncCommits,
                tls);
    }

    public PageserverConfig withPorts(int page, int http) {
        return new PageserverConfig(
                dataDirectory,
                bindAddress,
                page,
                http,
                pageCacheBytes,
                pitrWindow,
                gcInterval,
                maxMessageBytes,
                maxStagedBytes,
                maxInFlight,
                storageThreads,
                syncCommits,
                tls);
    }

    public PageserverConfig withPageCache(long bytes) {
        return new PageserverConfig(
                dataDirectory,
                bindAddress,
                pagePort,
                httpPort,
                bytes,
                pitrWindow,
                gcInterval,
                maxMessageBytes,
                maxStagedBytes,
                maxInFlight,
                storageThreads,
                syncCommits,
                tls);
    }

    public PageserverConfig withMaxMessageBytes(int bytes) {
        return new PageserverConfig(
                dataDirectory,
                bindAddress,
                pagePort,
                httpPort,
                pageCacheBytes,
                pitrWindow,
                gcInterval,
                bytes,
                maxStagedBytes,
                maxInFlight,
                storageThreads,
                syncCommits,
                tls);
    }

    public PageserverConfig withSyncCommits(boolean sync) {
        return new PageserverConfig(
                dataDirectory,
                bindAddress,
                pagePort,
                httpPort,
                pageCacheBytes,
                pitrWindow,
                gcInterval,
                maxMessageBytes,
                maxStagedBytes,
                maxInFlight,
                storageThreads,
                sync,
                tls);
    }

    private static void requirePort(String what, int port) {
        require(port >= 0 && port <= 65535, what + " " + port + " is not a TCP port (0-65535)");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
