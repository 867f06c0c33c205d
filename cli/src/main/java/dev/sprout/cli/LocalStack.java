package dev.sprout.cli;

import dev.sprout.compute.Compute;
import dev.sprout.compute.ComputeSpec;
import dev.sprout.compute.postgres.OsUser;
import dev.sprout.compute.postgres.ServerSpec;
import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.proxy.ProxyConfig;
import dev.sprout.proxy.ProxyStartException;
import dev.sprout.proxy.WireProxy;
import dev.sprout.proxy.route.Route;
import dev.sprout.proxy.tls.TlsSettings;
import dev.sprout.proxy.wake.WakeResult;
import dev.sprout.storage.timeline.TimelineInfo;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * What {@code sprout up} runs in its own process, on the embedded default: the pageserver on 127.0.0.1, the
 * root timeline {@code main} (made sure of), a PostgreSQL compute on {@code main} (initdb on the first run), and
 * the wire proxy in front of it, which is the port clients use. The control plane (branches by name) joins it in
 * a later issue; until then the proxy knows one branch, {@code main}.
 *
 * <p>{@link #start} returns once its ports accept connections; {@link #close} stops everything and is
 * idempotent. Thread-safe: the accessors read fields fixed at start.
 */
final class LocalStack implements AutoCloseable {
    /** Where the store lives inside the data directory (other parts of the stack will get their own). */
    static final String PAGES = "pages";
    private static final String RIVAL = "another `sprout up`";

    /** The superuser's password of every compute of this data directory, made on the first run. */
    static final String PASSWORD_FILE = "password";
    static final String COMPUTES = "computes";
    /** Where the proxy keeps its self-signed TLS certificate. */
    static final String PROXY = "proxy";

    private final Path dataDir;
    private final Pageserver pageserver;
    private final TimelineInfo main;
    private volatile Compute compute;
    private volatile WireProxy proxy;

    private LocalStack(Path dataDir, Pageserver pageserver, TimelineInfo main) {
        this.dataDir = dataDir;
        this.pageserver = pageserver;
        this.main = main;
    }

    /**
     * {@link #start(Path, int, int)}, then a compute on {@code main} (initdb on the first run, crash recovery or a
     * clean start afterwards) on a free port, and the wire proxy on 127.0.0.1:{@code pgPort} (0 = any free port)
     * with a self-signed certificate kept in {@code DATA/proxy}.
     *
     * @throws SproutException when the compute or the proxy cannot start (the message says why and where to look)
     */
    static LocalStack startWithCompute(Path dataDir, int pagePort, int httpPort, int pgPort) {
        LocalStack stack = start(dataDir, pagePort, httpPort);
        try {
            ComputeSpec spec = ComputeSpec.of(stack.bindAddress(), stack.pagePort(), stack.main.id().toString(),
                    computeDir(stack.dataDir, "main"), freePort(), password(stack.dataDir));
            stack.compute = Compute.start(spec, true);
        } catch (RuntimeException e) {
            stack.close();
            throw new SproutException("PostgreSQL on main did not start: " + e.getMessage(), e);
        }
        try {
            ProxyConfig config = ProxyConfig.defaults(pgPort, new TlsSettings.SelfSigned(stack.dataDir.resolve(PROXY)));
            stack.proxy = WireProxy.start(config, stack::wake, stack.pageserver.metrics());
            return stack;
        } catch (RuntimeException e) {
            stack.close();
            String why = e instanceof ProxyStartException ? e.getMessage() + " (another PostgreSQL or `sprout up` there? "
                    + "choose another with --pg-port)" : "the proxy did not start: " + e.getMessage();
            throw new SproutException(why, e);
        }
    }

    /** The proxy's {@link dev.sprout.proxy.wake.Endpoints}: {@code main} is the one branch until the control plane. */
    private WakeResult wake(String branch) {
        Compute c = compute;
        if (!branch.equals(Route.DEFAULT_BRANCH) || c == null) {
            return new WakeResult.NoSuchBranch();
        }
        try {
            c.resume(); // a no-op while it runs
            return new WakeResult.Ready(new InetSocketAddress(ServerSpec.LISTEN_ADDRESS, c.port()));
        } catch (RuntimeException e) {
            return new WakeResult.Failed(e.getMessage());
        }
    }

    /**
     * Starts the pageserver on {@code dataDir}/pages and creates {@code main} ({@link UpCommand#MAIN}) unless it
     * exists, owned by the user PostgreSQL runs as ({@link OsUser#forPostgres()}).
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
            OsUser owner = OsUser.forPostgres();
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

    /** {@code main} as it is now. */
    TimelineInfo main() {
        return pageserver.store().timeline(main.id());
    }

    /** The compute on {@code main}, if this stack runs one. */
    Optional<Compute> compute() {
        return Optional.ofNullable(compute);
    }

    /** The wire proxy, if this stack runs one. */
    Optional<WireProxy> proxy() {
        return Optional.ofNullable(proxy);
    }

    /** {@code postgresql://postgres:PASSWORD@127.0.0.1:PORT/postgres}: {@code main} through the proxy. */
    Optional<String> connectionString() {
        Compute c = compute;
        WireProxy p = proxy;
        if (c == null || p == null) {
            return Optional.empty();
        }
        return Optional.of("postgresql://" + c.spec().superuser() + ":" + c.spec().password() + "@127.0.0.1:"
                + p.port() + "/postgres");
    }

    @Override
    public void close() {
        WireProxy p = proxy;
        if (p != null) {
            p.close();
        }
        Compute c = compute;
        if (c != null) {
            c.close();
        }
        pageserver.close();
    }

    /**
     * Where a compute keeps its mount point, socket and PostgreSQL log: {@code DATA/computes/NAME}, unless
     * PostgreSQL's user (root runs it as {@code postgres}) cannot reach that directory (a data directory under
     * {@code /root}, say); then a directory under {@code /var/tmp/sprout-computes} named after the data directory.
     */
    static Path computeDir(Path dataDir, String name) {
        Path preferred = dataDir.resolve(COMPUTES).resolve(name);
        if (OsUser.forPostgres().uid() == OsUser.current().uid() || traversableByOthers(dataDir)) {
            return preferred;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(dataDir.toString().getBytes(StandardCharsets.UTF_8));
            return Path.of("/var/tmp/sprout-computes", HexFormat.of().formatHex(digest, 0, 6)).resolve(name);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean traversableByOthers(Path dir) {
        for (Path p = dir.toAbsolutePath(); p != null; p = p.getParent()) {
            try {
                if (Files.exists(p) && !Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    return false;
                }
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    /** The data directory's superuser password: read, or made (random, file mode 0600) on the first run. */
    static String password(Path dataDir) {
        Path file = dataDir.resolve(PASSWORD_FILE);
        try {
            if (Files.exists(file)) {
                return Files.readString(file).strip();
            }
            byte[] bytes = new byte[18];
            new SecureRandom().nextBytes(bytes);
            String password = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, password);
            return password;
        } catch (IOException e) {
            throw new SproutException("cannot read or create the password file " + file + ": " + e.getMessage(), e);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new SproutException("no free TCP port for PostgreSQL: " + e.getMessage(), e);
        }
    }
}
