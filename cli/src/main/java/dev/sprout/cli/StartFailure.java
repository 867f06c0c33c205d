package dev.sprout.cli;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Optional;
import org.rocksdb.RocksDBException;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The ways a pageserver fails to start that the user can fix, as sentences that say what to do: one of its
 * ports is taken, or its data directory is locked by another process. Anything else is left as it is.
 */
final class StartFailure {
    /**
     * What was being started, to name it in the sentence.
     *
     * @param dataDir     the data directory as the user named it (for {@code sprout up}: --data-dir, not its
     *                    {@code pages} subdirectory)
     * @param bindAddress the address both ports bind to
     * @param pagePort    the page service port asked for (0 = any)
     * @param httpPort    the management API port asked for (0 = any)
     * @param rival       what probably holds a port, as a question's subject: "another `sprout up`"
     */
    record Target(Path dataDir, String bindAddress, int pagePort, int httpPort, String rival) {
        /** The flags of a {@code sprout pageserver} command line (PageserverMain's options, defaults applied). */
        static Target of(CommandSpec pageserver) {
            Path dir = pageserver.findOption("--data-dir").getValue();
            return new Target(
                    dir == null ? Path.of("") : dir,
                    pageserver.findOption("--listen").getValue(),
                    pageserver.findOption("--page-port").<Integer>getValue(),
                    pageserver.findOption("--http-port").<Integer>getValue(),
                    "another pageserver or `sprout up`");
        }
    }

    /*
     * RocksDB's words when the LOCK file of a data directory is held (env/fs_posix.cc, PosixFileSystem::LockFile):
     * by another process, flock() fails and the status reads "While lock file: <dir>/LOCK: Resource temporarily
     * unavailable"; by this process (RocksDB remembers the files it locked), "lock hold by current process, ...".
     */
    private static final String LOCKED_BY_OTHER_PROCESS = "While lock file";
    private static final String LOCKED_BY_THIS_PROCESS = "lock hold by current process";
    /** Linux's strerror(EADDRINUSE), in the JDK's BindException and in Netty's epoll "bind(..) failed: " error. */
    private static final String ADDRESS_IN_USE = "Address already in use";

    private StartFailure() {}

    /** The sentence for {@code failure} if it is one of the failures above, else empty (its own message stands). */
    static Optional<SproutException> explain(Throwable failure, Target target) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof RocksDBException r
                    && r.getMessage() != null
                    && (r.getMessage().contains(LOCKED_BY_OTHER_PROCESS)
                            || r.getMessage().contains(LOCKED_BY_THIS_PROCESS))) {
                return Optional.of(new SproutException(
                        "the data directory " + target.dataDir().toAbsolutePath()
                                + " is in use by another Sprout process",
                        failure));
            }
            if (t instanceof BindException
                    || (t instanceof IOException
                            && t.getMessage() != null
                            && t.getMessage().contains(ADDRESS_IN_USE))) {
                return portInUse(target, failure);
            }
        }
        return Optional.empty();
    }

    /**
     * Which port is taken, found by trying both again: the management API's first, because the page service binds
     * first, so when the management API's bind is the one that failed the page service's port may still be held
     * by the failed start itself for a moment. Empty when neither is taken any more, or the bind failed for
     * another reason (an address that is not this machine's): then the pageserver's own sentence says it.
     */
    private static Optional<SproutException> portInUse(Target target, Throwable failure) {
        if (inUse(target.bindAddress(), target.httpPort())) {
            return Optional.of(inUse(target, target.httpPort(), "--http-port", failure));
        }
        if (inUse(target.bindAddress(), target.pagePort())) {
            return Optional.of(inUse(target, target.pagePort(), "--page-port", failure));
        }
        return Optional.empty();
    }

    private static SproutException inUse(Target target, int port, String flag, Throwable failure) {
        return new SproutException(
                "port " + port + " on " + target.bindAddress() + " is in use: is " + target.rival() + " running? Use "
                        + flag,
                failure);
    }

    private static boolean inUse(String address, int port) {
        if (port == 0) {
            return false;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(address, port));
            return false;
        } catch (IOException e) {
            return e.getMessage() != null && e.getMessage().contains(ADDRESS_IN_USE);
        }
    }
}
