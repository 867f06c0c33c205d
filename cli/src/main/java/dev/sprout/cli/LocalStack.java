package dev.sprout.cli;

import dev.sprout.compute.Compute;
import dev.sprout.control.ControlPlane;
import dev.sprout.node.SproutNode;
import dev.sprout.node.SproutNode.NodeStartException;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.protocol.BranchName;
import dev.sprout.protocol.tls.TlsSettings;
import dev.sprout.proxy.ProxyStartException;
import dev.sprout.proxy.WireProxy;
import dev.sprout.storage.timeline.TimelineInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.Optional;

/**
 * What {@code sprout up} runs in its own process: a {@link SproutNode} on the embedded default (the pageserver on
 * 127.0.0.1, the control plane with the branches API on its HTTP port, the compute of {@code main}, the wire proxy),
 * with the node's start failures told as sentences that say what to do ({@link SproutException}).
 *
 * <p>{@link #start} returns once its ports accept connections; {@link #close} stops everything and is idempotent.
 * Thread-safe: the accessors read fields fixed at start.
 */
final class LocalStack implements AutoCloseable {
    private static final String RIVAL = "another `sprout up`";

    private final SproutNode node;

    private LocalStack(SproutNode node) {
        this.node = node;
    }

    /**
     * {@link #start(Path, int, int)}, then the compute of {@code main} (initdb on the first run, crash recovery or
     * a clean start afterwards), and the wire proxy on 127.0.0.1:{@code pgPort} (0 = any free port) with a
     * self-signed certificate kept in {@code DATA/proxy}.
     *
     * @throws SproutException when a part cannot start (the message says why and where to look)
     */
    static LocalStack startWithCompute(Path dataDir, int pagePort, int httpPort, int pgPort) {
        return startWithCompute(dataDir, pagePort, httpPort, pgPort, Clock.systemUTC());
    }

    /** {@link #startWithCompute(Path, int, int, int)} on {@code clock} (the store's and the control plane's). */
    static LocalStack startWithCompute(Path dataDir, int pagePort, int httpPort, int pgPort, Clock clock) {
        return startWithCompute(dataDir, pagePort, httpPort, pgPort, Listen.LOOPBACK, clock);
    }

    /**
     * Where {@code sprout up} listens ({@code --listen}) and the TLS of its HTTP API and page service
     * ({@code --tls-*}); the address is checked by the node's start (not loopback wants TLS).
     */
    record Listen(String address, TlsSettings tls) {
        static final Listen LOOPBACK = new Listen("127.0.0.1", new TlsSettings.Disabled());
    }

    /** {@link #startWithCompute(Path, int, int, int)} listening on {@code listen}. */
    static LocalStack startWithCompute(
            Path dataDir, int pagePort, int httpPort, int pgPort, Listen listen, Clock clock) {
        return start(
                SproutNode.builder(dataDir)
                        .ports(pagePort, httpPort)
                        .listen(listen.address(), listen.tls())
                        .wakeMain(true)
                        .proxy(pgPort)
                        .clock(clock),
                dataDir,
                PageserverConfig.localAddress(listen.address()),
                pagePort,
                httpPort);
    }

    /** {@link #start(Path, int, int)} listening on {@code listen}. */
    static LocalStack start(Path dataDir, int pagePort, int httpPort, Listen listen, Clock clock) {
        return start(
                SproutNode.builder(dataDir)
                        .ports(pagePort, httpPort)
                        .listen(listen.address(), listen.tls())
                        .clock(clock),
                dataDir,
                PageserverConfig.localAddress(listen.address()),
                pagePort,
                httpPort);
    }

    /**
     * Starts the pageserver on {@code dataDir}/pages and the control plane on its store, making sure of {@code main}
     * ({@link UpCommand#MAIN}); starts no compute and no proxy.
     *
     * @param pagePort the page service's port (0 = any free port)
     * @param httpPort the HTTP API's port (0 = any free port)
     * @throws SproutException when a port is taken or another process has the data directory open
     */
    static LocalStack start(Path dataDir, int pagePort, int httpPort) {
        return start(dataDir, pagePort, httpPort, Clock.systemUTC());
    }

    /** {@link #start(Path, int, int)} on {@code clock} (the store's, the control plane's, the tokens' expiry). */
    static LocalStack start(Path dataDir, int pagePort, int httpPort, Clock clock) {
        return start(dataDir, pagePort, httpPort, Listen.LOOPBACK, clock);
    }

    private static LocalStack start(
            SproutNode.Builder builder, Path dataDir, String address, int pagePort, int httpPort) {
        try {
            LocalStack stack = new LocalStack(builder.start());
            stack.writeApiFile();
            return stack;
        } catch (NodeStartException e) {
            Throwable cause = e.getCause();
            throw switch (e.part()) {
                case PAGESERVER -> {
                    Path dir = dataDir.toAbsolutePath().normalize();
                    Optional<SproutException> said = cause instanceof RuntimeException r
                            ? StartFailure.explain(r, new StartFailure.Target(dir, address, pagePort, httpPort, RIVAL))
                            : Optional.empty();
                    yield said.isPresent() ? said.get() : new SproutException(e.getMessage(), e);
                }
                case CONTROL_PLANE -> cause instanceof RuntimeException r ? r : e;
                case MAIN_COMPUTE -> new SproutException(e.getMessage(), e);
                case PROXY ->
                    new SproutException(
                            cause instanceof ProxyStartException
                                    ? cause.getMessage()
                                            + " (another PostgreSQL or `sprout up` there? choose another with --pg-port)"
                                    : "the proxy did not start: " + e.getMessage(),
                            e);
            };
        }
    }

    Path dataDir() {
        return node.dataDir();
    }

    /** The file where {@code sprout up} tells the other commands how to reach its HTTP API: {@code DATA/api.properties}. */
    static Path apiFile(Path dataDir) {
        return dataDir.resolve(API_FILE);
    }

    static final String API_FILE = "api.properties";

    /**
     * Writes {@link #apiFile}: the address the CLI reaches the HTTP API on ({@code host}: the one listened on,
     * 127.0.0.1 for a wildcard) and, with TLS, the certificate it trusts ({@code tls-ca}). Rewritten on every start.
     */
    private void writeApiFile() {
        Path file = apiFile(dataDir());
        StringBuilder b =
                new StringBuilder("# written by `sprout up` on every start: how `sprout` commands reach its API\n");
        b.append("host=").append(PageserverConfig.localAddress(bindAddress())).append('\n');
        node.pageserver()
                .tlsCertificate()
                .ifPresent(c -> b.append("tls-ca=").append(c.toAbsolutePath()).append('\n'));
        try {
            Path tmp = file.resolveSibling(API_FILE + ".tmp");
            Files.writeString(tmp, b.toString(), StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            node.close();
            throw new SproutException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The certificate of the HTTP API and the page service, when they speak TLS. */
    Optional<Path> tlsCertificate() {
        return node.pageserver().tlsCertificate();
    }

    String bindAddress() {
        return node.pageserver().config().bindAddress();
    }

    int pagePort() {
        return node.pageserver().pagePort();
    }

    int httpPort() {
        return node.pageserver().httpPort();
    }

    ControlPlane control() {
        return node.control();
    }

    /** The HTTP APIs' admin token (kept in {@link #adminTokenFile()}); never print it. */
    String adminToken() {
        return node.pageserver().credentials().admin().value();
    }

    /** Where the admin token is kept: {@code DATA/pages/secrets/admin.token}, mode 0600. */
    Path adminTokenFile() {
        return node.pageserver().credentials().admin().file();
    }

    /** {@code main}'s timeline as it is now. */
    TimelineInfo main() {
        return node.control().get(BranchName.MAIN).timeline();
    }

    /** The running compute of {@code main}, if any. */
    Optional<Compute> compute() {
        return node.mainCompute();
    }

    /** The wire proxy, if this stack runs one. */
    Optional<WireProxy> proxy() {
        return node.proxy();
    }

    /** {@code postgresql://postgres:PASSWORD@127.0.0.1:PORT/postgres}: {@code main} through the proxy. */
    Optional<String> connectionString() {
        return node.proxy()
                .map(p -> ConnectCommand.url(
                        BranchName.MAIN, PageserverConfig.localAddress(bindAddress()), p.port(), node.password()));
    }

    @Override
    public void close() {
        node.close();
    }

    /** The data directory's superuser password: read, or made (random, file mode 0600) on the first run. */
    static String password(Path dataDir) {
        try {
            return SproutNode.password(dataDir);
        } catch (UncheckedIOException e) {
            throw new SproutException(e.getMessage(), e);
        }
    }
}
