package dev.sprout.cli;

import dev.sprout.compute.Compute;
import dev.sprout.compute.ComputeSpec;
import dev.sprout.compute.postgres.OsUser;
import dev.sprout.control.ControlException;
import dev.sprout.control.ControlPlane;
import dev.sprout.control.api.ControlApi;
import dev.sprout.protocol.BranchName;
import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.proxy.ProxyConfig;
import dev.sprout.proxy.ProxyStartException;
import dev.sprout.proxy.WireProxy;
import dev.sprout.proxy.tls.TlsSettings;
import dev.sprout.proxy.wake.Endpoints;
import dev.sprout.proxy.wake.WakeResult;
import dev.sprout.storage.timeline.TimelineInfo;
import java.io.IOException;
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
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * What {@code sprout up} runs in its own process, on the embedded default: the pageserver on 127.0.0.1, the control
 * plane (branches by name, durable in the pageserver's store, its API mounted on the pageserver's HTTP port, the
 * branches' computes), the root branch {@code main} (made sure of), and the wire proxy, which is the port clients
 * use and wakes each branch's compute on its first connection.
 *
 * <p>{@link #start} returns once its ports accept connections; {@link #close} stops everything and is
 * idempotent. Thread-safe: the accessors read fields fixed at start.
 */
final class LocalStack implements AutoCloseable {
    /** Where the store lives inside the data directory. */
    static final String PAGES = "pages";
    private static final String RIVAL = "another `sprout up`";

    /** The superuser's password of every compute of this data directory, made on the first run. */
    static final String PASSWORD_FILE = "password";
    static final String COMPUTES = "computes";
    /** Where the proxy keeps its self-signed TLS certificate. */
    static final String PROXY = "proxy";
    /** A compute with no client connection for this long is suspended; the next connection wakes it. */
    static final Duration IDLE_SUSPEND = Duration.ofMinutes(5);

    private final Path dataDir;
    private final Pageserver pageserver;
    private final ControlPlane control;
    private volatile WireProxy proxy;

    private LocalStack(Path dataDir, Pageserver pageserver, ControlPlane control) {
        this.dataDir = dataDir;
        this.pageserver = pageserver;
        this.control = control;
    }

    /**
     * {@link #start(Path, int, int)}, then the compute of {@code main} (initdb on the first run, crash recovery or
     * a clean start afterwards), and the wire proxy on 127.0.0.1:{@code pgPort} (0 = any free port) with a
     * self-signed certificate kept in {@code DATA/proxy}.
     *
     * @throws SproutException when the compute or the proxy cannot start (the message says why and where to look)
     */
    static LocalStack startWithCompute(Path dataDir, int pagePort, int httpPort, int pgPort) {
        LocalStack stack = start(dataDir, pagePort, httpPort);
        try {
            stack.control.wake(BranchName.MAIN);
        } catch (RuntimeException e) {
            stack.close();
            throw new SproutException("PostgreSQL on main did not start: " + e.getMessage(), e);
        }
        try {
            ProxyConfig config = ProxyConfig.defaults(pgPort, new TlsSettings.SelfSigned(stack.dataDir.resolve(PROXY)));
            stack.proxy = WireProxy.start(config, new Endpoints() {
                @Override
                public WakeResult wake(String branch) {
                    return stack.wake(branch);
                }

                @Override
                public Optional<WakeResult> now(String branch) {
                    return stack.control.runningNow(branch).map(WakeResult.Ready::new);
                }
            }, stack.pageserver.metrics());
            return stack;
        } catch (RuntimeException e) {
            stack.close();
            String why = e instanceof ProxyStartException ? e.getMessage() + " (another PostgreSQL or `sprout up` there? "
                    + "choose another with --pg-port)" : "the proxy did not start: " + e.getMessage();
            throw new SproutException(why, e);
        }
    }

    /** The proxy's {@link dev.sprout.proxy.wake.Endpoints}: the control plane starts or resumes the compute. */
    private WakeResult wake(String branch) {
        try {
            return new WakeResult.Ready(control.wake(branch));
        } catch (ControlException e) {
            return switch (e.code()) {
                case UNKNOWN_BRANCH, INVALID_NAME -> new WakeResult.NoSuchBranch();
                default -> new WakeResult.Failed(e.getCause() != null && e.getCause().getMessage() != null
                        ? e.getCause().getMessage() : e.getMessage());
            };
        }
    }

    /**
     * Starts the pageserver on {@code dataDir}/pages and the control plane on its store, making sure of {@code main}
     * ({@link UpCommand#MAIN}, owned by the user PostgreSQL runs as, {@link OsUser#forPostgres()}); starts no compute.
     *
     * @param pagePort the page service's port (0 = any free port)
     * @param httpPort the HTTP API's port (0 = any free port)
     * @throws SproutException when a port is taken or another process has the data directory open
     */
    static LocalStack start(Path dataDir, int pagePort, int httpPort) {
        Path dir = dataDir.toAbsolutePath().normalize();
        // The defaults bind to 127.0.0.1: nothing on the embedded default authenticates its HTTP clients yet.
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
            String password = password(dir);
            String host = server.config().bindAddress();
            int page = server.pagePort();
            String secret = server.credentials().pageService().value();
            ControlPlane control = ControlPlane.open(server.store(), (branch, timeline) -> ComputeSpec.of(host, page,
                    timeline.toString(), computeDir(dir, branch.replace('/', '.')), freePort(), password)
                    .withIdleSuspend(IDLE_SUSPEND).withPageserverCredential(secret), Clock.systemUTC(), UpCommand.MAIN, owner.uid(), owner.gid());
            server.mountApi(ControlApi.PREFIX, new ControlApi(control));
            return new LocalStack(dir, server, control);
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

    ControlPlane control() {
        return control;
    }

    /** The HTTP APIs' admin token (kept in {@link #adminTokenFile()}); never print it. */
    String adminToken() {
        return pageserver.credentials().admin().value();
    }

    /** Where the admin token is kept: {@code DATA/pages/secrets/admin.token}, mode 0600. */
    Path adminTokenFile() {
        return pageserver.credentials().admin().file();
    }

    /** {@code main}'s timeline as it is now. */
    TimelineInfo main() {
        return control.get(BranchName.MAIN).timeline();
    }

    /** The running compute of {@code main}, if any. */
    Optional<Compute> compute() {
        return control.compute(BranchName.MAIN);
    }

    /** The wire proxy, if this stack runs one. */
    Optional<WireProxy> proxy() {
        return Optional.ofNullable(proxy);
    }

    /** {@code postgresql://postgres:PASSWORD@127.0.0.1:PORT/postgres}: {@code main} through the proxy. */
    Optional<String> connectionString() {
        WireProxy p = proxy;
        return p == null ? Optional.empty() : Optional.of(ConnectCommand.url(BranchName.MAIN, p.port(), password(dataDir)));
    }

    @Override
    public void close() {
        WireProxy p = proxy;
        if (p != null) {
            p.close();
        }
        control.close();
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
