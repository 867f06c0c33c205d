package dev.sprout.compute.load;

import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.protocol.client.PageSession;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

/**
 * A physical import of a running PostgreSQL into a timeline: checks that the source can give a base backup
 * ({@link SourceServer}), holds the WAL the backup needs with a temporary slot, and streams {@code pg_basebackup}'s
 * archive ({@link BaseBackup}) straight into the timeline through a page session ({@link TarIntoTimeline}) with the
 * configuration files a compute runs with ({@link ComputeConfigFiles}). Nothing touches a local disk on the way. The
 * timeline then holds a base backup that the compute's first start recovers
 * ({@link dev.sprout.compute.postgres.BackupFirstStart}).
 *
 * <p>Stateless; each {@link #run} is one import.
 */
public final class PhysicalImport {
    /** Where in a timeline a compute finds its data directory (the compute mounts the timeline; this is its {@code pgdata}). */
    public static final String DATA_ROOT = "/pgdata";

    /** Files of the archive that do not belong in a compute's data directory. */
    static final Set<String> SKIP =
            Set.of("postmaster.pid", "postmaster.opts", "standby.signal", "recovery.signal", "backup_manifest");

    private PhysicalImport() {}

    /**
     * What an import did; {@code heldSlot} is the temporary slot that holds the source's WAL from before the backup
     * for as long as the importer's SQL session lasts (a follower's permanent slot is copied from it).
     */
    public record Result(
            SourceServer.Facts source,
            TarIntoTimeline.Stats written,
            Map<String, String> droppedSettings,
            Duration took,
            String heldSlot) {}

    /** Told what happens, for a progress line. */
    public interface Listener {
        /** {@code done} archive bytes were written, of about {@code total} (0 while unknown). */
        void progress(long done, long total);
    }

    /**
     * Imports the source of {@code server} (connected, and checked by {@link SourceServer#checkPhysical}: {@code
     * facts}) into the empty timeline of {@code session}, its files owned by {@code uid}/{@code gid}.
     *
     * @throws LoadException a sentence naming what stood in the way
     */
    public static Result run(
            SourceServer server,
            SourceServer.Facts facts,
            SourceUrl source,
            PostgresInstall install,
            PageSession session,
            int uid,
            int gid,
            Listener listener) {
        long start = System.nanoTime();
        ComputeConfigFiles config =
                new ComputeConfigFiles(server.settings(), install.binDir().resolveSibling("lib"));
        byte[] random = new byte[6];
        new SecureRandom().nextBytes(random);
        String heldSlot = "sprout_import_" + HexFormat.of().formatHex(random);
        server.holdWal(heldSlot);
        long[] total = {facts.databaseBytes()};
        try (BaseBackup backup = BaseBackup.start(install, source, t -> total[0] = t)) {
            TarIntoTimeline.Stats stats;
            try {
                stats = new TarIntoTimeline(
                                session,
                                DATA_ROOT,
                                uid,
                                gid,
                                config.files(),
                                SKIP,
                                done -> listener.progress(done, Math.max(total[0], done)))
                        .load(backup.tar());
            } catch (IOException | LoadException e) {
                if (backup.failed() || backup.output().contains("error")) {
                    throw new LoadException("pg_basebackup failed:\n" + backup.output(), e);
                }
                throw e instanceof LoadException l
                        ? l
                        : new LoadException("reading pg_basebackup's archive failed: " + e.getMessage(), e);
            }
            backup.finish();
            if (!stats.backupLabel()) {
                throw new LoadException("pg_basebackup's archive held no backup_label: not a base backup");
            }
            return new Result(facts, stats, config.dropped(), Duration.ofNanos(System.nanoTime() - start), heldSlot);
        }
    }
}
