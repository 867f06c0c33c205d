package dev.sprout.cli;

import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.storage.timeline.TimelineInfo;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What {@code sprout up} runs in its own process, on the embedded default: today the pageserver on
 * 127.0.0.1, with the root timeline {@code main} made sure of. PostgreSQL computes, the proxy and the control
 * plane join it in later issues.
 *
 * <p>{@link #start} returns once both ports accept connections; {@link #close} stops everything and is
 * idempotent. Thread-safe: the accessors read fields fixed at start.
 */
final class LocalStack implements AutoCloseable {
    /** Where the store lives inside the data directory (other parts of the stack will get their own). */
    static final String PAGES = "pages";
    private static final String RIVAL = "another `sprout up`";

    private final Path dataDir;
    private final Pageserver pageserver;
    private final TimelineInfo main;

    private LocalStack(Path dataDir, Pageserver pageserver, TimelineInfo main) {
        this.dataDir = dataDir;
        this.pageserver = pageserver;
        this.main = main;
    }

    /**
     * Starts the pageserver on {@code dataDir}/pages and creates {@code main} ({@link UpCommand#MAIN}) unless it
     * exists, owned by {@link Owner#forComputes()}.
     *
     * @param pagePort the page service's port (0 = any free port)
     * @param httpPort the management API's port (0 = any free port)
     * @throws SproutException when a port is taken or another process has the data directory open
     */
    static LocalStack start(Path dataDir, int pagePort, int httpPort) {
        Path dir = dataDir.toAbsolutePath().normalize();
        // The defaults bind to 127.0.0.1: nothing on the embedded default authenticates its clients yet.
        PageserverConfig config = PageserverConfig.defaults(dir.resolve(PAGES)).withPorts(pagePort, httpPort);
        try {
            Files.createDirectories(config.dataDirectory());
        } catch (IOException e) {
            String why = e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : e.getClass().getSimpleName();
            throw new SproutException("cannot create the data directory " + config.dataDirectory() + ": " + why, e);
        }
        Pageserver server;
        try {
            server = Pageserver.start(config);
        } catch (RuntimeException e) {
            Optional<SproutException> said =
                    StartFailure.explain(e, new StartFailure.Target(dir, config.bindAddress(), pagePort, httpPort, RIVAL));
            throw said.isPresent() ? said.get() : e;
        }
        try {
            Owner owner = Owner.forComputes();
            return new LocalStack(dir, server, server.store().createRoot(UpCommand.MAIN, owner.uid(), owner.gid()));
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    Path dataDir() {
        return dataDir;
    }

    String bindAddress() {
        return pageserver.config().bindAddress();
    }

    int pagePort() {
        return pageserver.pagePort();
    }

    int httpPort() {
        return pageserver.httpPort();
    }

    /** {@code main} as it was when the stack started. */
    TimelineInfo main() {
        return main;
    }

    @Override
    public void close() {
        pageserver.close();
    }
}
