package dev.sprout.compute;

import dev.sprout.compute.postgres.OsUser;
import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.protocol.client.InProcessPageService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What one compute runs: PostgreSQL on timeline {@code timelineId} of the pageserver at
 * {@code pageserverHost:pageserverPort}, listening on 127.0.0.1:{@code port}.
 *
 * @param workDir     the compute's own local directory: mount point ({@code mnt}), socket directory
 *                    ({@code sock}), PostgreSQL's log ({@code postgres.log}) and the postmaster's pid
 * @param superuser   the role initdb creates, and the one the agent connects as
 * @param password    its password (scram-sha-256); a branch inherits its parent's
 * @param cacheBytes  clean pages the compute keeps in memory
 * @param settings    extra PostgreSQL settings ({@code -c name=value}), after the compute's defaults
 * @param idleSuspend suspend after this long without a client connection; {@link Duration#ZERO} never
 * @param writebackCache let the kernel gather writes before they reach the filesystem (on by default). Bulk
 *                    loads need it: {@code pgbench -i -s 10} took 4.0 s with it and 9.7 s without. What it costs
 *                    commits (each WAL fsync then also waits for the kernel's write-back and a time update) was
 *                    within this machine's noise: TPC-B 0.57× local disk with it, 0.58× without
 *                    ({@code scripts/bench-compute}, docs/benchmarks.md).
 * @param pageserverCredential the pageserver's page-service secret, carried by every Attach ("" until
 *                    {@link #withPageserverCredential} sets it: the pageserver then refuses the compute)
 * @param pageserverTlsCa TLS to the page service when present: the PEM certificate(s) the pageserver's must be
 *                    (or be signed by), e.g. its self-signed {@code pageserver.crt}; empty: plaintext
 * @param standby     present for a follower: the compute is a hot standby of another PostgreSQL ({@link Standby})
 * @param inProcessPages present when the pageserver runs in this process ({@code sprout up}): the compute reaches
 *                    it by direct calls instead of the page port (same contract, no socket, encoding or thread
 *                    hand-off); host, port and TLS then do not apply, the credential still does
 */
public record ComputeSpec(
        String pageserverHost,
        int pageserverPort,
        String timelineId,
        Path workDir,
        int port,
        String superuser,
        String password,
        PostgresInstall install,
        OsUser osUser,
        long cacheBytes,
        Map<String, String> settings,
        Duration idleSuspend,
        Duration startTimeout,
        boolean writebackCache,
        String pageserverCredential,
        Optional<Path> pageserverTlsCa,
        Optional<Standby> standby,
        Optional<InProcessPageService> inProcessPages) {

    /**
     * A compute that is a hot standby of another PostgreSQL (a follower): it streams WAL from {@code conninfo}
     * (libpq keywords without the password: the compute gives PostgreSQL the spec's password in a passfile of its
     * own directory) through replication slot {@code slot}; the agent logs in as the spec's superuser, a role of the
     * source.
     */
    public record Standby(String conninfo, String slot) {
        public Standby {
            Objects.requireNonNull(conninfo, "conninfo");
            Objects.requireNonNull(slot, "slot");
        }
    }

    /**
     * Settings every compute runs with, and why. On a copy-on-write store zero-filling and recycling WAL
     * segments only cost page writes (ZFS's guidance for PostgreSQL says the same). Recovery's first step,
     * fsyncing every file (an open and a FUSE round trip each), is replaced by one syncfs. On the mount that
     * syncfs fails with ESTALE, which PostgreSQL logs ("could not synchronize file system") and goes on from;
     * nothing depends on it, because the agent commits everything it holds before it starts PostgreSQL, so the
     * pass would have nothing to make durable. full_page_writes stays on: with the kernel's writeback cache an
     * 8 KiB page can reach the store as two 4 KiB writes, so a crash between them could tear it (without the
     * writeback cache each 8 KiB write arrives whole, but no crash test has proved it safe off yet).
     */
    public static final Map<String, String> COMPUTE_SETTINGS = Map.of(
            "wal_init_zero", "off",
            "wal_recycle", "off",
            "recovery_init_sync_method", "syncfs");

    public ComputeSpec {
        Objects.requireNonNull(timelineId, "timelineId");
        workDir = workDir.toAbsolutePath().normalize();
        settings = Map.copyOf(settings);
        Objects.requireNonNull(pageserverCredential, "pageserverCredential");
        Objects.requireNonNull(pageserverTlsCa, "pageserverTlsCa");
        Objects.requireNonNull(standby, "standby");
        Objects.requireNonNull(inProcessPages, "inProcessPages");
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
        }
    }

    public static ComputeSpec of(
            String pageserverHost, int pageserverPort, String timelineId, Path workDir, int port, String password) {
        return new ComputeSpec(
                pageserverHost,
                pageserverPort,
                timelineId,
                workDir,
                port,
                "postgres",
                password,
                PostgresInstall.locate(),
                OsUser.forPostgres(),
                128L << 20,
                Map.of(),
                Duration.ZERO,
                Duration.ofSeconds(120),
                true,
                "",
                Optional.empty(),
                Optional.empty(),
                Optional.empty());
    }

    public ComputeSpec withSettings(Map<String, String> extra) {
        return new ComputeSpec(
                pageserverHost,
                pageserverPort,
                timelineId,
                workDir,
                port,
                superuser,
                password,
                install,
                osUser,
                cacheBytes,
                extra,
                idleSuspend,
                startTimeout,
                writebackCache,
                pageserverCredential,
                pageserverTlsCa,
                standby,
                inProcessPages);
    }

    public ComputeSpec withIdleSuspend(Duration idle) {
        return new ComputeSpec(
                pageserverHost,
                pageserverPort,
                timelineId,
                workDir,
                port,
                superuser,
                password,
                install,
                osUser,
                cacheBytes,
                settings,
                idle,
                startTimeout,
                writebackCache,
                pageserverCredential,
                pageserverTlsCa,
                standby,
                inProcessPages);
    }

    /** Another PostgreSQL (13-17) than the one {@link PostgresInstall#locate()} found. */
    public ComputeSpec withInstall(PostgresInstall other) {
        return new ComputeSpec(
                pageserverHost,
                pageserverPort,
                timelineId,
                workDir,
                port,
                superuser,
                password,
                other,
                osUser,
                cacheBytes,
                settings,
                idleSuspend,
                startTimeout,
                writebackCache,
                pageserverCredential,
                pageserverTlsCa,
                standby,
                inProcessPages);
    }

    public ComputeSpec withCacheBytes(long bytes) {
        return new ComputeSpec(
                pageserverHost,
                pageserverPort,
                timelineId,
                workDir,
                port,
                superuser,
                password,
                install,
                osUser,
                bytes,
                settings,
                idleSuspend,
                startTimeout,
                writebackCache,
                pageserverCredential,
                pageserverTlsCa,
                standby,
                inProcessPages);
    }

    public ComputeSpec withWritebackCache(boolean on) {
        return new ComputeSpec(
                pageserverHost,
                pageserverPort,
                timelineId,
                workDir,
                port,
                superuser,
                password,
                install,
                osUser,
                cacheBytes,
                settings,
                idleSuspend,
                startTimeout,
                on,
                pageserverCredential,
                pageserverTlsCa,
                standby,
                inProcessPages);
    }

    /** The pageserver's page-service secret ({@code DATA/secrets/page-service.secret}), sent in every Attach. */
    public ComputeSpec withPageserverCredential(String secret) {
        return new ComputeSpec(
                pageserverHost,
                pageserverPort,
                timelineId,
                workDir,
                port,
                superuser,
                password,
                install,
                osUser,
                cacheBytes,
                settings,
                idleSuspend,
                startTimeout,
                writebackCache,
                secret,
                pageserverTlsCa,
                standby,
                inProcessPages);
    }

    /** TLS to the page service, trusting the PEM certificate(s) in {@code ca} (the pageserver's own, if self-signed). */
    public ComputeSpec withPageserverTls(Path ca) {
        return new ComputeSpec(
                pageserverHost,
                pageserverPort,
                timelineId,
                workDir,
                port,
                superuser,
                password,
                install,
                osUser,
                cacheBytes,
                settings,
                idleSuspend,
                startTimeout,
                writebackCache,
                pageserverCredential,
                Optional.of(ca),
                standby,
                inProcessPages);
    }

    /** This spec as a hot standby of {@code of}, the agent logging in as {@code role} with {@code rolePassword}. */
    public ComputeSpec asStandby(Standby of, String role, String rolePassword) {
        return new ComputeSpec(
                pageserverHost,
                pageserverPort,
                timelineId,
                workDir,
                port,
                role,
                rolePassword,
                install,
                osUser,
                cacheBytes,
                settings,
                idleSuspend,
                startTimeout,
                writebackCache,
                pageserverCredential,
                pageserverTlsCa,
                Optional.of(of),
                inProcessPages);
    }

    /** This spec reaching the pageserver of this process by direct calls ({@link #inProcessPages}). */
    public ComputeSpec withInProcessPages(InProcessPageService service) {
        return new ComputeSpec(
                pageserverHost,
                pageserverPort,
                timelineId,
                workDir,
                port,
                superuser,
                password,
                install,
                osUser,
                cacheBytes,
                settings,
                idleSuspend,
                startTimeout,
                writebackCache,
                pageserverCredential,
                pageserverTlsCa,
                standby,
                Optional.of(service));
    }

    /** The passfile a standby gives PostgreSQL for its connection to the source (in the work directory). */
    public Path primaryPassfile() {
        return workDir.resolve("primary.pgpass");
    }

    public Path mountPoint() {
        return workDir.resolve("mnt");
    }

    public Path dataDir() {
        return mountPoint().resolve("pgdata");
    }

    public Path socketDir() {
        Path preferred = workDir.resolve("sock");
        // A Unix socket path must fit sockaddr_un (107 bytes): a deep work directory (a long data directory and
        // branch name) gets a short one under /tmp instead, named after the work directory.
        if (preferred.resolve(".s.PGSQL." + port).toString().getBytes(StandardCharsets.UTF_8).length <= 100) {
            return preferred;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(workDir.toString().getBytes(StandardCharsets.UTF_8));
            return Path.of("/tmp", "sprout-sock-" + HexFormat.of().formatHex(digest, 0, 8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public Path logFile() {
        return workDir.resolve("postgres.log");
    }

    /** The running postmaster's pid, kept outside the mount so a restarted agent can find an orphan. */
    Path pidFile() {
        return workDir.resolve("postmaster.pid");
    }

    /** The compute's defaults, then the spec's own settings (which win). */
    Map<String, String> effectiveSettings() {
        Map<String, String> all = new LinkedHashMap<>(COMPUTE_SETTINGS);
        if (install.majorVersion() < 14) {
            all.remove("recovery_init_sync_method");
        }
        all.putAll(settings);
        standby.ifPresent(of -> {
            all.put("primary_conninfo", of.conninfo() + " passfile='" + primaryPassfile() + "'");
            all.put("primary_slot_name", of.slot());
            all.put("hot_standby", "on");
        });
        return all;
    }

    @Override
    public String toString() {
        return "ComputeSpec[timeline=" + timelineId + ", pageserver="
                + (inProcessPages.isPresent() ? "in-process" : pageserverHost + ":" + pageserverPort)
                + ", port=" + port + ", workDir=" + workDir + ", postgres=" + install.majorVersion() + "]";
    }
}
