package dev.sprout.bench.pageserver.server;

import dev.sprout.pageserver.auth.Credentials;
import dev.sprout.storage.PageStore;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * The pageserver a benchmark talks to, on 127.0.0.1 with ports chosen by the kernel, synced commits, background
 * GC off (it would run at a time the benchmark does not choose), and the rest of the defaults. It runs either
 * in the benchmark's own JVM ({@link InProcessServer}) or in a child JVM started from the same jar with the
 * pageserver's own {@code main} ({@link ChildServer}); on a 2-core machine the two differ in how the JIT, GC and
 * thread scheduling of client and server interfere, which is why both exist.
 */
public sealed interface ServerUnderTest extends AutoCloseable permits InProcessServer, ChildServer {

    enum Mode {
        IN_PROCESS,
        CHILD;

        public static Mode parse(String text) {
            return switch (text.toLowerCase(Locale.ROOT)) {
                case "in-process", "inprocess", "same-jvm" -> IN_PROCESS;
                case "child", "child-jvm" -> CHILD;
                default ->
                    throw new IllegalArgumentException("server mode \"" + text + "\" (expected: in-process or child)");
            };
        }

        public String label() {
            return this == IN_PROCESS ? "in the benchmark's JVM" : "in a child JVM";
        }
    }

    static ServerUnderTest start(Mode mode, Path dataDirectory, long pageCacheBytes, Path logDirectory) {
        return switch (mode) {
            case IN_PROCESS -> InProcessServer.start(dataDirectory, pageCacheBytes);
            case CHILD -> ChildServer.start(dataDirectory, pageCacheBytes, logDirectory);
        };
    }

    int pagePort();

    int httpPort();

    /** What its clients present: the page-service secret and the HTTP APIs' admin token. */
    Credentials credentials();

    /** Commits acknowledged and the synced WAL writes that carried them, since the store opened. */
    PageStore.CommitStats commitStats();

    /** The child JVM's process id; empty when the server runs in this JVM. */
    OptionalLong childPid();

    /** Bytes the server's process has read from the disk so far (not served by the OS page cache). */
    OptionalLong diskReadBytes();

    @Override
    void close();
}
