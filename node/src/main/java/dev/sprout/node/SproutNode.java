package dev.sprout.node;

import dev.sprout.compute.Compute;
import dev.sprout.compute.ComputeSpec;
import dev.sprout.compute.postgres.Leftovers;
import dev.sprout.compute.postgres.OsUser;
import dev.sprout.control.ControlPlane;
import dev.sprout.control.api.ChangesApi;
import dev.sprout.control.api.ControlApi;
import dev.sprout.control.api.ImportApi;
import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.auth.Credentials;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.protocol.BranchName;
import dev.sprout.protocol.tls.TlsSettings;
import dev.sprout.proxy.ProxyConfig;
import dev.sprout.proxy.WireProxy;
import dev.sprout.proxy.wake.Endpoints;
import dev.sprout.storage.timeline.TimelineId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
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
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Sprout in one process, assembled once for everyone who runs it ({@code sprout up}, the benchmark stacks, the
 * integration tests): the pageserver on {@code DATA/pages}, the control plane on its store with the branches API
 * mounted on the pageserver's HTTP port, optionally the compute of {@code main} started at once, and optionally the
 * wire proxy, whose wake-up goes through the control plane ({@link ControlEndpoints}).
 *
 * <p>The data directory's layout: {@code pages/} (the store, and its {@code secrets/}), {@code password} (the
 * superuser's password of every compute, made on the first start, mode 0600), {@code computes/NAME/} (a compute's
 * mount point, socket and log; see {@link #computeDir}) and {@code proxy/} (its self-signed certificate).
 *
 * <p>{@link Builder#start} returns once every port accepts connections, or throws {@link NodeStartException} naming
 * the part that failed, with everything started before it stopped again. {@link #close} stops the proxy, then the
 * control plane and its computes, then the pageserver; it is idempotent. Thread-safe: the accessors read fields
 * fixed at start.
 */
public final class SproutNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SproutNode.class);
    /** Where the store lives inside the data directory. */
    public static final String PAGES = "pages";
    /** The superuser's password of every compute of this data directory. */
    public static final String PASSWORD_FILE = "password";

    public static final String COMPUTES = "computes";
    /** Where the proxy keeps its self-signed TLS certificate. */
    public static final String PROXY = "proxy";
    /** The id of {@code main}'s timeline on the embedded default: the same in every data directory. */
    public static final TimelineId MAIN_TIMELINE =
            new TimelineId(UUID.nameUUIDFromBytes("sprout:main".getBytes(StandardCharsets.UTF_8)));
    /** A compute with no client connection for this long is suspended; the next connection wakes it. */
    public static final Duration DEFAULT_IDLE_SUSPEND = Duration.ofMinutes(5);
    /** How often the control plane looks for expired branches (a TTL, a lease or an expiry time that has come). */
    public static final Duration EXPIRY_SWEEP = Duration.ofSeconds(5);

    private final Path dataDir;
    private final Pageserver pageserver;
    private final ControlPlane control;
    private final String password;
    private volatile WireProxy proxy;
    /** Deletes expired branches every {@link #EXPIRY_SWEEP}. */
    private final ScheduledExecutorService expiry;

    private SproutNode(
            Path dataDir, Pageserver pageserver, ControlPlane control, String password, Duration expirySweep) {
        this.dataDir = dataDir;
        this.pageserver = pageserver;
        this.control = control;
        this.password = password;
        this.expiry = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("sprout-expiry").factory());
        expiry.scheduleWithFixedDelay(
                this::expireBranches, expirySweep.toMillis(), expirySweep.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void expireBranches() {
        try {
            control.expire();
        } catch (RuntimeException e) { // logged and tried again at the next sweep; the executor must not stop
            LOG.error("deleting expired branches failed", e);
        }
    }

    /** A node on {@code dataDir}; the builder's defaults are {@code sprout up}'s. */
    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    /** The part of a node that failed to start. */
    public enum Part {
        PAGESERVER,
        CONTROL_PLANE,
        MAIN_COMPUTE,
        PROXY
    }

    /** A node that did not start; whatever had started is stopped again. {@link #part} says what failed. */
    public static final class NodeStartException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final Part part;

        NodeStartException(Part part, String message, Throwable cause) {
            super(message, cause);
            this.part = part;
        }

        public Part part() {
            return part;
        }
    }

    /** What to start, with {@code sprout up}'s defaults. Not thread-safe. */
    public static final class Builder {
        private final Path dataDir;
        private int pagePort = PageserverConfig.DEFAULT_PAGE_PORT;
        private int httpPort = PageserverConfig.DEFAULT_HTTP_PORT;
        private boolean wakeMain;
        private boolean proxy;
        private int pgPort;
        private Optional<TlsSettings> tls = Optional.empty();
        private String listen = "127.0.0.1";
        private TlsSettings pageserverTls = new TlsSettings.Disabled();
        private Duration idleSuspend = DEFAULT_IDLE_SUSPEND;
        private Optional<String> password = Optional.empty();
        private TimelineId mainTimeline = MAIN_TIMELINE;
        private UnaryOperator<Endpoints> endpoints = UnaryOperator.identity();
        private Clock clock = Clock.systemUTC();
        private Duration expirySweep = EXPIRY_SWEEP;
        private boolean inProcessPages = true;

        private Builder(Path dataDir) {
            this.dataDir = dataDir.toAbsolutePath().normalize();
        }

        /** The pageserver's ports (0 = any free port). Default 6400 and 6401. */
        public Builder ports(int page, int http) {
            this.pagePort = page;
            this.httpPort = http;
            return this;
        }

        /** Start {@code main}'s compute before returning (initdb on the first start). Default: on first connection. */
        public Builder wakeMain(boolean wake) {
            this.wakeMain = wake;
            return this;
        }

        /**
         * Run the wire proxy on 127.0.0.1:{@code port} (0 = any free port), with a self-signed certificate kept in
         * {@code DATA/proxy} unless {@link #tls} says otherwise. Default: no proxy.
         */
        public Builder proxy(int port) {
            this.proxy = true;
            this.pgPort = port;
            return this;
        }

        /**
         * Where the pageserver's HTTP API and page service and the wire proxy listen (default 127.0.0.1), and TLS for
         * the first two ({@link TlsSettings.SelfSigned} keeps its certificate where it says; default none). An address
         * that is not loopback without TLS fails the start ({@link PageserverConfig#listenRefusal}). The computes
         * reach the page service on this address (127.0.0.1 for a wildcard) and, with TLS, trust its certificate.
         */
        public Builder listen(String address, TlsSettings settings) {
            this.listen = Objects.requireNonNull(address, "address");
            this.pageserverTls = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /** The proxy's TLS (default: a self-signed certificate kept in {@code DATA/proxy}). */
        public Builder tls(TlsSettings settings) {
            this.tls = Optional.of(settings);
            return this;
        }

        /** Suspend a compute after this long without a client connection; {@link Duration#ZERO} never. Default 5 min. */
        public Builder idleSuspend(Duration idle) {
            this.idleSuspend = Objects.requireNonNull(idle, "idle");
            return this;
        }

        /** The computes' superuser password. Default: {@code DATA/password}, made (random, 0600) on the first start. */
        public Builder password(String value) {
            this.password = Optional.of(value);
            return this;
        }

        /** The timeline {@code main} is made on when the store has none. Default {@link #MAIN_TIMELINE}. */
        public Builder mainTimeline(TimelineId id) {
            this.mainTimeline = Objects.requireNonNull(id, "id");
            return this;
        }

        /** Wraps the proxy's wake-up (a benchmark times it); the identity by default. */
        public Builder decorateEndpoints(UnaryOperator<Endpoints> decorator) {
            this.endpoints = Objects.requireNonNull(decorator, "decorator");
            return this;
        }

        /** The clock of the store (commit times, the PITR window) and of the control plane (idle suspend, names). */
        public Builder clock(Clock c) {
            this.clock = Objects.requireNonNull(c, "c");
            return this;
        }

        /** How often expired branches are looked for (default {@link #EXPIRY_SWEEP}). */
        public Builder expirySweep(Duration every) {
            if (every.isNegative() || every.isZero()) {
                throw new IllegalArgumentException("the expiry sweep's period must be positive, not " + every);
            }
            this.expirySweep = every;
            return this;
        }

        /**
         * Whether computes reach the pageserver of this process by direct calls (the default) or through its page
         * port like a compute on another host would (for comparisons, and tests of the network path).
         */
        public Builder inProcessPages(boolean on) {
            this.inProcessPages = on;
            return this;
        }

        /**
         * Starts the parts in order and returns once every port accepts connections.
         *
         * @throws NodeStartException naming the part that failed (everything started before it is stopped again)
         */
        public SproutNode start() {
            PageserverConfig config;
            try {
                config = PageserverConfig.defaults(dataDir.resolve(PAGES))
                        .withPorts(pagePort, httpPort)
                        .withListen(listen, pageserverTls);
            } catch (IllegalArgumentException e) {
                throw new NodeStartException(Part.PAGESERVER, e.getMessage(), e);
            }
            Pageserver server;
            try {
                Files.createDirectories(config.dataDirectory());
                server = Pageserver.start(config, clock);
            } catch (IOException e) {
                String why = e instanceof FileSystemException f && f.getReason() != null
                        ? f.getReason()
                        : e.getClass().getSimpleName();
                throw new NodeStartException(
                        Part.PAGESERVER, "cannot create the data directory " + config.dataDirectory() + ": " + why, e);
            } catch (RuntimeException e) {
                throw new NodeStartException(Part.PAGESERVER, e.getMessage(), e);
            }
            SproutNode node;
            try {
                OsUser owner = OsUser.forPostgres();
                String pw = password.orElseGet(() -> SproutNode.password(dataDir));
                String host = PageserverConfig.localAddress(server.config().bindAddress());
                int page = server.pagePort();
                Optional<Path> pageCa = server.tlsCertificate();
                Credentials credentials = server.credentials();
                // the store is open, so this data directory is ours: what an earlier run left running goes
                Leftovers.kill(computeDir(dataDir, "x").getParent());
                ControlPlane control = ControlPlane.open(
                        server.store(),
                        (branch, timeline) -> reaching(
                                ComputeSpec.of(
                                                host,
                                                page,
                                                timeline.toString(),
                                                computeDir(dataDir, branch.replace('/', '.')),
                                                freePort(),
                                                pw)
                                        .withIdleSuspend(idleSuspend)
                                        // the compute can open its own timeline only, not the whole store
                                        .withPageserverCredential(credentials.forTimeline(timeline.toString())),
                                pageCa,
                                inProcessPages ? Optional.of(server.inProcess()) : Optional.empty()),
                        clock,
                        mainTimeline,
                        owner.uid(),
                        owner.gid(),
                        server::writerAttached);
                server.mountApi(ControlApi.PREFIX, new ControlApi(control));
                server.mountApi(ImportApi.PREFIX, new ImportApi(control));
                server.mountApi(ChangesApi.PREFIX, new ChangesApi(control));
                node = new SproutNode(dataDir, server, control, pw, expirySweep);
            } catch (RuntimeException e) {
                server.close();
                throw new NodeStartException(Part.CONTROL_PLANE, e.getMessage(), e);
            }
            if (wakeMain) {
                try {
                    node.control.wake(BranchName.MAIN);
                } catch (RuntimeException e) {
                    node.close();
                    throw new NodeStartException(
                            Part.MAIN_COMPUTE, "PostgreSQL on main did not start: " + e.getMessage(), e);
                }
            }
            // followers stream whether or not clients connect: started in the background, not before the ports open
            Thread.ofVirtual().name("sprout-followers").start(node.control::wakeFollowers);
            if (proxy) {
                try {
                    ProxyConfig pc = ProxyConfig.defaults(
                                    pgPort, tls.orElseGet(() -> new TlsSettings.SelfSigned(dataDir.resolve(PROXY))))
                            .withBindAddress(listen);
                    node.proxy =
                            WireProxy.start(pc, endpoints.apply(new ControlEndpoints(node.control)), server.metrics());
                } catch (RuntimeException e) {
                    node.close();
                    throw new NodeStartException(Part.PROXY, e.getMessage(), e);
                }
            }
            return node;
        }
    }

    /**
     * {@code spec} reaching the pageserver by direct calls when {@code inProcess} is given, else through its page
     * port, speaking TLS when the pageserver has a certificate ({@code ca}).
     */
    private static ComputeSpec reaching(
            ComputeSpec spec, Optional<Path> ca, Optional<dev.sprout.protocol.client.InProcessPageService> inProcess) {
        ComputeSpec reached = ca.map(spec::withPageserverTls).orElse(spec);
        return inProcess.map(reached::withInProcessPages).orElse(reached);
    }

    public Path dataDir() {
        return dataDir;
    }

    public Pageserver pageserver() {
        return pageserver;
    }

    public ControlPlane control() {
        return control;
    }

    /** The wire proxy, if this node runs one. */
    public Optional<WireProxy> proxy() {
        return Optional.ofNullable(proxy);
    }

    /** The computes' superuser password; never log it. */
    public String password() {
        return password;
    }

    /** The running compute of {@code main}, if any. */
    public Optional<Compute> mainCompute() {
        return control.compute(BranchName.MAIN);
    }

    @Override
    public void close() {
        expiry.shutdown(); // a sweep under way finishes its delete: an interrupt could cut one short
        try {
            if (!expiry.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("a sweep of expired branches still runs after 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        WireProxy p = proxy;
        try {
            if (p != null) {
                p.close();
            }
        } finally {
            try {
                control.close();
            } finally {
                pageserver.close();
            }
        }
    }

    /**
     * Where a compute keeps its mount point, socket and PostgreSQL log: {@code DATA/computes/NAME}, unless
     * PostgreSQL's user (root runs it as {@code postgres}) cannot reach that directory (a data directory under
     * {@code /root}, say); then a directory under {@code /var/tmp/sprout-computes} named after the data directory.
     */
    public static Path computeDir(Path dataDir, String name) {
        Path preferred = dataDir.resolve(COMPUTES).resolve(name);
        if (OsUser.forPostgres().uid() == OsUser.current().uid() || traversableByOthers(dataDir)) {
            return preferred;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(dataDir.toString().getBytes(StandardCharsets.UTF_8));
            return Path.of("/var/tmp/sprout-computes", HexFormat.of().formatHex(digest, 0, 6))
                    .resolve(name);
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

    /**
     * The data directory's superuser password: read, or made (random, file mode 0600) on the first run.
     *
     * @throws UncheckedIOException naming the file when it can be neither read nor made
     */
    public static String password(Path dataDir) {
        Path file = dataDir.resolve(PASSWORD_FILE);
        try {
            if (Files.exists(file)) {
                return Files.readString(file).strip();
            }
            byte[] bytes = new byte[18];
            new SecureRandom().nextBytes(bytes);
            String password = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
            Files.createDirectories(dataDir);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, password);
            return password;
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot read or create the password file " + file + ": " + e.getMessage(), e);
        }
    }

    /** A TCP port on 127.0.0.1 that was free a moment ago, for a compute's PostgreSQL. */
    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free TCP port for PostgreSQL: " + e.getMessage(), e);
        }
    }
}
