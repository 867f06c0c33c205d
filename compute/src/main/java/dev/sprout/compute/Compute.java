package dev.sprout.compute;

import dev.sprout.compute.fs.FsOptions;
import dev.sprout.compute.fs.PageFs;
import dev.sprout.compute.fuse.TimelineMount;
import dev.sprout.compute.postgres.BackupFirstStart;
import dev.sprout.compute.postgres.ClientBackends;
import dev.sprout.compute.postgres.Initdb;
import dev.sprout.compute.postgres.OsUser;
import dev.sprout.compute.postgres.PostgresServer;
import dev.sprout.compute.postgres.ServerSpec;
import dev.sprout.protocol.client.AttachMode;
import dev.sprout.protocol.client.ClientOptions;
import dev.sprout.protocol.client.PageClient;
import dev.sprout.protocol.client.PageSession;
import dev.sprout.protocol.client.RefusedException;
import dev.sprout.protocol.v1.Code;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One compute: a read-write session on a timeline, that timeline mounted through FUSE, and PostgreSQL running
 * on it as a non-root user.
 *
 * <p>Lifecycle: {@link #start} attaches exclusively (a second compute on the same timeline is refused with
 * {@link ComputeException}, the first keeps running), mounts, runs initdb if asked and the timeline is empty,
 * or completes backup recovery when the timeline holds an imported base backup ({@link BackupFirstStart}),
 * and starts PostgreSQL. A PostgreSQL that exits on its own (a crash, a PANIC after an I/O error) is restarted by
 * a watchdog: the agent commits what it holds, then PostgreSQL runs crash recovery. {@link #suspend} stops
 * PostgreSQL, unmounts and detaches; {@link #resume} brings it all back. Left-overs of an agent that was
 * killed (an orphan postmaster, a stale mount) are cleared at start.
 *
 * <p>Concurrency: thread-safe; lifecycle changes are serialised on the instance.
 */
public final class Compute implements AutoCloseable {
    /** Where a compute is in its life. */
    public enum State {
        RUNNING,
        SUSPENDED,
        FENCED,
        CLOSED
    }

    private static final Logger log = LoggerFactory.getLogger(Compute.class);
    private static final Duration WATCH_INTERVAL = Duration.ofMillis(100);
    private static final String STANDBY_SIGNAL = "standby.signal";

    private final ComputeSpec spec;
    private final Clock clock;
    private volatile State state = State.SUSPENDED;
    private PageClient client;
    private PageSession session;
    private TimelineMount mount;
    private volatile PostgresServer server;
    private volatile Instant lastActivity;
    private volatile int crashRestarts;
    /** Whether the follower refused a CHECKPOINT once (said once in the log). */
    private volatile boolean restartpointRefused;

    private final Thread watchdog;

    private Compute(ComputeSpec spec, Clock clock) {
        this.spec = spec;
        this.clock = clock;
        this.lastActivity = clock.instant();
        this.watchdog = Thread.ofPlatform()
                .daemon()
                .name("compute-watchdog-" + spec.port())
                .unstarted(this::watch);
    }

    /**
     * Starts a compute. With {@code initdb}, an empty timeline gets a new database cluster first; without it,
     * a timeline with no data directory is an error.
     */
    public static Compute start(ComputeSpec spec, boolean initdb) {
        return start(spec, initdb, Clock.systemUTC());
    }

    /** As {@link #start(ComputeSpec, boolean)}; the idle period is measured on {@code clock}. */
    public static Compute start(ComputeSpec spec, boolean initdb, Clock clock) {
        Compute c = new Compute(spec, clock);
        c.bringUp(initdb);
        c.watchdog.start();
        return c;
    }

    public ComputeSpec spec() {
        return spec;
    }

    public State state() {
        return state;
    }

    public int port() {
        return spec.port();
    }

    /** {@code jdbc:postgresql://127.0.0.1:<port>/postgres}; connect as {@link ComputeSpec#superuser()}. */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + spec.port() + "/postgres";
    }

    public Path logFile() {
        return spec.logFile();
    }

    /** How many times the watchdog restarted a PostgreSQL that had exited on its own. */
    public int crashRestarts() {
        return crashRestarts;
    }

    /** The running postmaster's pid. */
    public synchronized long postgresPid() {
        requireRunning("postgresPid");
        return server.pid();
    }

    public synchronized PageFs fs() {
        requireRunning("fs");
        return mount.fs();
    }

    /** Opens a connection to the compute's PostgreSQL as the superuser. */
    public Connection connect() throws SQLException {
        PostgresServer s = server;
        if (s == null || state != State.RUNNING) {
            throw new ComputeException("compute on timeline " + spec.timelineId() + " is " + state + ", not running");
        }
        touch();
        return s.connect();
    }

    /**
     * Prepares a branch from this compute's head: runs {@code CHECKPOINT} (so the child replays little WAL) and
     * returns an LSN at which the timeline holds everything that checkpoint made durable.
     */
    public long checkpointForBranch() {
        if (spec.standby().isPresent()) {
            // On a hot standby CHECKPOINT makes a restartpoint at the last checkpoint of the source it replayed, so
            // that the branch replays the WAL since then only; the agent's role (the follow role) may lack the
            // right (superuser or pg_checkpoint), and then the branch replays from the follower's last restartpoint.
            restartpoint();
            // the branch starts from what the store holds, after the pages the filesystem holds are committed
            synchronized (this) {
                requireRunning("checkpointForBranch");
                mount.fs().syncAll();
                return mount.fs().lastLsn();
            }
        }
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            st.execute("CHECKPOINT");
        } catch (SQLException e) {
            throw new ComputeException("CHECKPOINT on timeline " + spec.timelineId() + " failed: " + e.getMessage(), e);
        }
        synchronized (this) {
            requireRunning("checkpointForBranch");
            return mount.fs().lastLsn();
        }
    }

    private void restartpoint() {
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            st.execute("CHECKPOINT");
        } catch (SQLException e) {
            if (!restartpointRefused) {
                log.info(
                        "the follower on timeline {} cannot make a restartpoint before a branch ({}); its branches"
                                + " replay the WAL since its last one",
                        spec.timelineId(),
                        e.getMessage());
            }
            restartpointRefused = true;
        }
    }

    /** Marks the compute as used now (the proxy calls this for each connection it routes). */
    public void touch() {
        lastActivity = clock.instant();
    }

    /**
     * Suspends the compute if it has had no client connection for {@link ComputeSpec#idleSuspend()}. Called by
     * the watchdog every second; callable directly (tests drive it with their own clock).
     */
    public synchronized boolean suspendIfIdle() {
        if (state != State.RUNNING || spec.idleSuspend().isZero()) {
            return false;
        }
        if (clientConnections() > 0) {
            touch();
            return false;
        }
        if (Duration.between(lastActivity, clock.instant()).compareTo(spec.idleSuspend()) < 0) {
            return false;
        }
        log.info("compute on timeline {} idle for {}; suspending", spec.timelineId(), spec.idleSuspend());
        suspend();
        return true;
    }

    /**
     * How many clients are connected to PostgreSQL now; 0 when it does not run, 1 when it cannot tell (a client may
     * be there). Counted from the backends' process titles ({@link ClientBackends}): no connection is opened, so an
     * idle compute costs nothing to watch (the agent's own short sessions count while they last). Where the titles
     * cannot be read, asked of PostgreSQL (the agent's sessions not counted). A logical import's importer holds one
     * for as long as it works.
     */
    public int clientConnections() {
        PostgresServer s = server;
        if (s == null || state != State.RUNNING) {
            return 0;
        }
        OptionalInt counted = ClientBackends.of(s.pid());
        if (counted.isPresent()) {
            return counted.getAsInt();
        }
        try (Connection c = s.connect();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                                + " AND application_name <> '" + PostgresServer.AGENT_APPLICATION_NAME + "'")) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            return 1; // cannot tell: do not suspend
        }
    }

    /** Stops PostgreSQL (fast, then immediate), commits what the compute holds, unmounts and detaches. */
    public synchronized void suspend() {
        if (state != State.RUNNING && state != State.FENCED) {
            return;
        }
        tearDown();
        state = State.SUSPENDED;
    }

    /**
     * The state once a start, suspend or close under way has finished (they hold this compute's monitor): after a
     * call that failed because the compute stopped running under it, this says whether it was suspended meanwhile.
     */
    public synchronized State settledState() {
        return state;
    }

    /** Starts a suspended compute again (a no-op when it runs). */
    public synchronized void resume() {
        if (state == State.RUNNING) {
            touch();
            return;
        }
        if (state == State.CLOSED) {
            throw new ComputeException("compute on timeline " + spec.timelineId() + " was closed");
        }
        bringUp(false);
    }

    @Override
    public void close() {
        close(false);
    }

    /**
     * Closes the compute of a branch being deleted: PostgreSQL stops at once (immediate shutdown, no shutdown
     * checkpoint) and the pages it wrote that are not committed yet are dropped (they would be deleted with the
     * timeline); then its work directory goes ({@link #deleteWorkDir}).
     */
    public void discard() {
        close(true);
        deleteWorkDir(spec);
    }

    /**
     * Removes a compute's work directory (its log, pid file, empty mount point, socket directory) for a branch that
     * is deleted, whether or not a compute ran on it in this process. Nothing is removed while the mount point is
     * still mounted (a compute that did not stop): the walk would go through the filesystem.
     */
    public static void deleteWorkDir(ComputeSpec spec) {
        Path dir = spec.workDir();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (TimelineMount.isMounted(spec.mountPoint())) {
            log.warn("not removing {}: {} is still mounted", dir, spec.mountPoint());
            return;
        }
        try (var walk = Files.walk(dir)) { // links are not followed
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            log.warn("cannot remove the work directory {} of a deleted compute: {}", dir, e.getMessage());
        }
        if (!spec.socketDir().startsWith(dir)) {
            deleteQuietly(spec.socketDir());
        }
    }

    private void close(boolean discard) {
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            tearDown(discard);
            state = State.CLOSED;
        }
        watchdog.interrupt();
    }

    // ---- bringing up and down --------------------------------------------------------------------------------

    private void bringUp(boolean initdb) {
        prepareWorkDir();
        killOrphan();
        TimelineMount.clearStale(spec.mountPoint());
        ClientOptions pageOptions = ClientOptions.defaults(spec.pageserverHost(), spec.pageserverPort())
                .withCredential(spec.pageserverCredential());
        client = spec.inProcessPages().isPresent()
                ? PageClient.inProcess(spec.inProcessPages().get(), pageOptions)
                : PageClient.connect(spec.pageserverTlsCa()
                        .map(pageOptions::withTls)
                        .orElse(pageOptions)
                        .withMaxReconnectTime(Duration.ofSeconds(60)));
        try {
            session = attach();
            PageFs fs = new PageFs(
                    session,
                    FsOptions.defaults(spec.osUser().uid(), spec.osUser().gid()).withCacheBytes(spec.cacheBytes()));
            fs.onFenced(this::fenced);
            boolean allowOther = isRoot() && spec.osUser().uid() != 0;
            mount = TimelineMount.mount(
                    fs,
                    spec.mountPoint(),
                    spec.timelineId(),
                    new TimelineMount.Options(allowOther, spec.writebackCache()));
            if (!Files.exists(spec.dataDir().resolve("PG_VERSION"))) {
                if (!initdb) {
                    throw new ComputeException("timeline " + spec.timelineId() + " holds no PostgreSQL data directory;"
                            + " create one with initdb (start the compute with initdb enabled)");
                }
                Duration took = new Initdb(
                                spec.install(),
                                spec.osUser(),
                                spec.dataDir(),
                                spec.superuser(),
                                spec.password(),
                                true,
                                List.of())
                        .run();
                fs.syncAll();
                log.info("initdb on timeline {} took {} ms", spec.timelineId(), took.toMillis());
            } else if (spec.standby().isPresent()) {
                prepareStandby();
            } else if (BackupFirstStart.needed(spec.dataDir()) || promoteCopyOfStandby()) {
                // an imported base backup, or a branch of a follower: recovery and the agent's role first
                new BackupFirstStart(
                                spec.install(),
                                spec.osUser(),
                                spec.dataDir(),
                                spec.effectiveSettings(),
                                spec.superuser(),
                                spec.password())
                        .run();
                fs.syncAll();
            }
            startPostgres(false);
            state = State.RUNNING;
            touch();
        } catch (RuntimeException e) {
            tearDown();
            throw e;
        }
    }

    private PageSession attach() {
        try {
            return client.attach(spec.timelineId(), AttachMode.exclusive()).get(60, TimeUnit.SECONDS);
        } catch (ExecutionException | CompletionException e) {
            if (e.getCause() instanceof RefusedException r && r.code() == Code.WRITER_ATTACHED) {
                throw new ComputeException(
                        "timeline " + spec.timelineId() + " already has a running compute;"
                                + " stop it before starting another (" + r.getMessage() + ")",
                        r);
            }
            throw new ComputeException(
                    "attaching to timeline " + spec.timelineId() + " at " + spec.pageserverHost() + ":"
                            + spec.pageserverPort() + " failed: " + e.getCause().getMessage(),
                    e.getCause());
        } catch (TimeoutException e) {
            throw new ComputeException(
                    "the pageserver at " + spec.pageserverHost() + ":" + spec.pageserverPort()
                            + " did not answer an attach within 60 s",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ComputeException("interrupted while attaching", e);
        }
    }

    private void startPostgres(boolean afterCrash) {
        ServerSpec serverSpec = new ServerSpec(
                spec.install(),
                spec.osUser(),
                spec.dataDir(),
                spec.port(),
                spec.socketDir(),
                spec.logFile(),
                spec.effectiveSettings(),
                spec.superuser(),
                spec.password());
        server = afterCrash ? PostgresServer.restartAfterCrash(serverSpec) : PostgresServer.start(serverSpec);
        try {
            Files.writeString(spec.pidFile(), Long.toString(server.pid()));
        } catch (IOException e) {
            log.warn("cannot record the postmaster's pid in {}: {}", spec.pidFile(), e.getMessage());
        }
        server.awaitReady(spec.startTimeout());
    }

    /**
     * A follower's data directory: {@code standby.signal} in it (PostgreSQL then streams WAL from the source as a hot
     * standby), and the source role's password in a passfile of the work directory, PostgreSQL's user's alone.
     */
    private void prepareStandby() {
        try {
            Path signal = spec.dataDir().resolve(STANDBY_SIGNAL);
            if (!Files.exists(signal)) {
                Files.createFile(signal);
            }
            Path passfile = spec.primaryPassfile();
            Files.deleteIfExists(passfile);
            Files.createFile(
                    passfile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(
                    passfile, "*:*:*:*:" + spec.password().replace("\\", "\\\\").replace(":", "\\:") + "\n");
            spec.osUser().chown(passfile);
        } catch (IOException e) {
            throw new ComputeException("cannot prepare the follower's standby files: " + e.getMessage(), e);
        }
    }

    /**
     * A branch of a follower inherits its {@code standby.signal}: removed here, so that PostgreSQL ends recovery at the
     * end of the WAL the branch holds and becomes a primary of its own (its first start runs once in single-user
     * mode, which also gives the agent's role its password). Answers whether there was one.
     */
    private boolean promoteCopyOfStandby() {
        Path signal = spec.dataDir().resolve(STANDBY_SIGNAL);
        try {
            return Files.deleteIfExists(signal);
        } catch (IOException e) {
            throw new ComputeException("cannot remove " + signal + " of a branch of a follower: " + e.getMessage(), e);
        }
    }

    /** How long a fast shutdown may take before the stop turns immediate. */
    private static final Duration FAST_STOP = Duration.ofSeconds(30);

    private void tearDown() {
        tearDown(false);
    }

    /**
     * Stops whatever runs, never throwing (each step logs its failure and the next runs). PostgreSQL stops by a fast
     * shutdown given up to {@link #FAST_STOP}, then the pending pages are committed; when {@code discard} (the
     * timeline is being deleted) it stops at once (immediate shutdown, no checkpoint) and nothing pending is
     * committed.
     */
    private void tearDown(boolean discard) {
        PostgresServer s = server;
        if (s != null) {
            try {
                s.stop(discard ? Duration.ZERO : FAST_STOP);
            } catch (RuntimeException e) {
                log.error("stopping PostgreSQL on timeline {} failed: {}", spec.timelineId(), e.getMessage());
            }
            server = null;
            deleteQuietly(spec.pidFile());
        }
        if (!spec.socketDir().startsWith(spec.workDir())) {
            // the short directory under /tmp a deep work directory needed (made before PostgreSQL starts, so also
            // when it never did): nothing else removes it
            deleteQuietly(spec.socketDir());
        }
        if (mount != null) {
            if (discard) {
                mount.discard();
            } else {
                mount.close();
            }
            mount = null;
        }
        if (session != null) {
            try {
                session.detach().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.debug("detach failed: {}", e.toString());
            }
            session = null;
        }
        if (client != null) {
            client.close();
            client = null;
        }
    }

    private void prepareWorkDir() {
        try {
            Files.createDirectories(spec.workDir());
            prepareSocketDir();
            if (isRoot()) {
                // PostgreSQL's user must reach the mount point.
                Files.setPosixFilePermissions(spec.workDir(), PosixFilePermissions.fromString("rwxr-xr-x"));
                if (Files.exists(spec.logFile())) {
                    spec.osUser().chown(spec.logFile());
                }
            }
        } catch (IOException e) {
            throw new ComputeException(
                    "cannot prepare the compute's directory " + spec.workDir() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The socket directory, a real directory (not a link) of PostgreSQL's user alone, mode 0700: with the
     * socket's own mode ({@link ServerSpec#SOCKET_PERMISSIONS}) no other user of the machine reaches the server
     * through it. One found belonging to another user (a name under /tmp taken first) is refused, not used.
     */
    private void prepareSocketDir() throws IOException {
        Path dir = spec.socketDir();
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(
                    dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new ComputeException("the compute's socket directory " + dir + " is not a directory (a link or a"
                    + " file is there); remove it and start again");
        }
        int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int me = OsUser.current().uid();
        if (owner != spec.osUser().uid() && owner != me) {
            throw new ComputeException("the compute's socket directory " + dir + " belongs to uid " + owner
                    + ", neither PostgreSQL's user " + spec.osUser().name() + " nor this process; remove it and start"
                    + " again");
        }
        if (owner != spec.osUser().uid()) {
            spec.osUser().chown(dir);
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }

    /** A postmaster left by an agent that was killed would hold the port and write to a dead mount: end it. */
    private void killOrphan() {
        Optional<ProcessHandle> orphan = readPid()
                .flatMap(ProcessHandle::of)
                .filter(p ->
                        p.info().command().map(c -> c.endsWith("/postgres")).orElse(false));
        if (orphan.isEmpty()) {
            deleteQuietly(spec.pidFile());
            return;
        }
        ProcessHandle p = orphan.get();
        log.warn(
                "a postmaster (pid {}) of an earlier agent is still running on timeline {}; killing it",
                p.pid(),
                spec.timelineId());
        List<ProcessHandle> family = new java.util.ArrayList<>(p.descendants().toList());
        family.add(p);
        family.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle h : family) {
            try {
                h.onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new ComputeException(
                        "the orphan postmaster " + p.pid() + " (or a child) did not exit after SIGKILL", e);
            }
        }
        deleteQuietly(spec.pidFile());
    }

    private Optional<Long> readPid() {
        try {
            return Optional.of(Long.parseLong(Files.readString(spec.pidFile()).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    // ---- watching --------------------------------------------------------------------------------------------

    private void watch() {
        long lastIdleCheck = 0;
        while (state != State.CLOSED) {
            try {
                Thread.sleep(WATCH_INTERVAL);
            } catch (InterruptedException e) {
                return;
            }
            try {
                restartIfCrashed();
                long now = System.nanoTime();
                if (now - lastIdleCheck > 1_000_000_000L) {
                    lastIdleCheck = now;
                    suspendIfIdle();
                }
            } catch (RuntimeException e) {
                log.error("compute watchdog on timeline {}: {}", spec.timelineId(), e.getMessage());
                try {
                    Thread.sleep(1000); // the pageserver may be restarting: try again in a moment
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private synchronized void restartIfCrashed() {
        PostgresServer s = server;
        if (state != State.RUNNING || s == null || s.isAlive()) {
            return;
        }
        log.warn(
                "PostgreSQL on timeline {} exited on its own (pid {}); committing held pages, then restarting it"
                        + " (crash recovery). Last log lines:\n{}",
                spec.timelineId(),
                s.pid(),
                s.logTail(10));
        s.kill(); // a no-op if the postmaster itself died; PostgreSQL's interlock guards against its orphans
        mount.fs().syncAll();
        crashRestarts++;
        startPostgres(true);
    }

    private void fenced() {
        state = State.FENCED;
        // Not on this FUSE thread: PostgreSQL's processes may be waiting on FUSE calls like this one.
        Thread.ofPlatform().daemon().start(() -> {
            PostgresServer s = server;
            if (s != null) {
                log.error(
                        "timeline {} was taken over by another compute; stopping this one's PostgreSQL",
                        spec.timelineId());
                s.kill();
            }
        });
    }

    private void requireRunning(String what) {
        if (state != State.RUNNING) {
            throw new ComputeException(what + ": compute on timeline " + spec.timelineId() + " is " + state);
        }
    }

    private static boolean isRoot() {
        return OsUser.current().uid() == 0;
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            log.debug("cannot delete {}: {}", p, e.getMessage());
        }
    }
}
