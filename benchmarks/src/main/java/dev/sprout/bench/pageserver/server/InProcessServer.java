package dev.sprout.bench.pageserver.server;

import dev.sprout.bench.support.BenchEnv;
import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.auth.Credentials;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.storage.PageStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;

/** A {@link Pageserver} started in this JVM (see {@link ServerUnderTest}). */
public final class InProcessServer implements ServerUnderTest {
    private final Pageserver server;

    private InProcessServer(Pageserver server) {
        this.server = server;
    }

    static InProcessServer start(Path dataDirectory, long pageCacheBytes) {
        return new InProcessServer(Pageserver.start(config(dataDirectory, pageCacheBytes)));
    }

    /** The defaults with ephemeral ports, the given page cache, synced commits and no background GC. */
    static PageserverConfig config(Path dataDirectory, long pageCacheBytes) {
        PageserverConfig d = PageserverConfig.defaults(dataDirectory);
        return new PageserverConfig(
                dataDirectory,
                "127.0.0.1",
                0,
                0,
                pageCacheBytes,
                d.pitrWindow(),
                Duration.ZERO,
                d.maxMessageBytes(),
                d.maxStagedBytes(),
                d.maxInFlight(),
                d.storageThreads(),
                true);
    }

    @Override
    public int pagePort() {
        return server.pagePort();
    }

    @Override
    public int httpPort() {
        return server.httpPort();
    }

    @Override
    public Credentials credentials() {
        return server.credentials();
    }

    @Override
    public PageStore.CommitStats commitStats() {
        return server.store().commitStats();
    }

    @Override
    public OptionalLong childPid() {
        return OptionalLong.empty();
    }

    @Override
    public OptionalLong diskReadBytes() {
        return BenchEnv.storageReadBytes(); // the whole JVM; the client side reads nothing from the disk
    }

    @Override
    public void close() {
        server.close();
    }
}
