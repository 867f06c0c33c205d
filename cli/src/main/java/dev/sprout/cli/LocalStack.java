package dev.sprout.cli;

import dev.sprout.compute.Compute;
import dev.sprout.control.ControlPlane;
import dev.sprout.node.SproutNode;
import dev.sprout.node.SproutNode.NodeStartException;
import dev.sprout.protocol.BranchName;
import dev.sprout.proxy.ProxyStartException;
import dev.sprout.proxy.WireProxy;
import dev.sprout.storage.timeline.TimelineInfo;
import java.io.UncheckedIOException;
import java.nio.file.Path;
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
        return start(
                SproutNode.builder(dataDir)
                        .ports(pagePort, httpPort)
                        .wakeMain(true)
                        .proxy(pgPort)
                        .clock(clock),
                dataDir,
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
        return start(SproutNode.builder(dataDir).ports(pagePort, httpPort).clock(clock), dataDir, pagePort, httpPort);
    }

    private static LocalStack start(SproutNode.Builder builder, Path dataDir, int pagePort, int httpPort) {
        try {
            return new LocalStack(builder.start());
        } catch (NodeStartException e) {
            Throwable cause = e.getCause();
            throw switch (e.part()) {
                case PAGESERVER -> {
                    Path dir = dataDir.toAbsolutePath().normalize();
                    Optional<SproutException> said = cause instanceof RuntimeException r
                            ? StartFailure.explain(
                                    r, new StartFailure.Target(dir, "127.0.0.1", pagePort, httpPort, RIVAL))
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
        return node.proxy().map(p -> ConnectCommand.url(BranchName.MAIN, p.port(), node.password()));
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
