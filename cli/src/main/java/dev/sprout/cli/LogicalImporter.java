package dev.sprout.cli;

import dev.sprout.compute.load.LoadException;
import dev.sprout.compute.load.LogicalImport;
import dev.sprout.compute.load.SourceServer;
import dev.sprout.compute.load.SourceUrl;
import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.http.Json;
import dev.sprout.protocol.v1.BeginImportRequest;
import dev.sprout.protocol.v1.FinishImportResponse;
import dev.sprout.protocol.v1.ImportSummary;
import dev.sprout.protocol.v1.LogicalDatabase;
import dev.sprout.protocol.v1.StartImportResponse;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code sprout import --logical URL}, the importer's side: checks the source (reachable, the password, the
 * database, a major version the computes' pg_dump reads), begins a logical import in the running Sprout (a new root
 * timeline), starts its compute (initdb, Sprout's superuser and password), restores into it ({@link LogicalImport}:
 * roles, then each database with pg_dump and pg_restore, a line per table on stderr), and finishes it (the compute
 * stops, the branch gets its name); anything that stops it on the way aborts the import ({@link ImportSession}), so
 * no branch and no pending import are left. Then the summary, or {@code --json}'s {@link ImportSummary}.
 *
 * <p>It runs on Sprout's machine: the import's compute listens on 127.0.0.1, and the restore connects as its
 * superuser with the data directory's password, as {@code sprout connect} does.
 */
final class LogicalImporter {
    static final int DEFAULT_JOBS = 2;
    static final int MAX_JOBS = 64;

    private final ManagementClient client;
    private final SourceUrl source;
    private final PostgresInstall install;
    private final Duration connectTimeout;
    private final boolean json;

    LogicalImporter(
            ManagementClient client, SourceUrl source, PostgresInstall install, Duration connectTimeout, boolean json) {
        this.client = client;
        this.source = source;
        this.install = install;
        this.connectTimeout = connectTimeout;
        this.json = json;
    }

    /** Imports into branch {@code name} ({@code replace}: its name moves to the import); the exit code. */
    int run(String name, boolean replace, LogicalImport.Selection selection, Path dataDir) {
        String password = ConnectCommand.password(dataDir);
        say("checking the source " + source.redacted());
        try (SourceServer server = SourceServer.connect(source, connectTimeout)) {
            boolean all = !source.namesDatabase();
            SourceServer.LogicalFacts facts = server.checkLogical(install.majorVersion(), all);
            say("the source runs PostgreSQL " + facts.version() + "; importing "
                    + (all ? "every database: " : "database ")
                    + String.join(
                            ", ",
                            facts.databases().stream()
                                    .map(SourceServer.Database::name)
                                    .toList())
                    + " (about " + ByteSizes.format(facts.databaseBytes()) + ")"
                    + (all ? "" : "; the URL names it (leave the database out of the URL to import every one)"));
            long start = System.nanoTime();
            try (ImportSession pending = ImportSession.begin(
                    client,
                    BeginImportRequest.newBuilder()
                            .setBranch(name)
                            .setReplace(replace)
                            .setSource(source.redacted())
                            .setLogical(true)
                            .build())) {
                pending.target().getAbandonedList().forEach(a -> say("note: " + a));
                say("starting a new cluster for branch " + name + " (initdb on timeline "
                        + pending.target().getTimelineId() + ")");
                StartImportResponse compute = pending.start();
                say(String.format(
                        "its compute runs on %s:%d (initdb and start: %.1f s)",
                        compute.getHost(), compute.getPort(), compute.getStartMs() / 1000.0));
                LogicalImport.Result result;
                FinishImportResponse done;
                try (LogicalImport restore = LogicalImport.open(
                        install,
                        new LogicalImport.Destination(
                                compute.getHost(), compute.getPort(), compute.getSuperuser(), password))) {
                    result = restore.run(server, facts, source, selection, this::say);
                    say("restored; stopping the compute (its shutdown checkpoint) and naming the branch");
                    done = pending.finish();
                }
                say(String.format("branch %s is ready (the compute's stop: %.1f s)", name, done.getStopMs() / 1000.0));
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                report(name, facts, pending, compute, result, done, took);
                return 0;
            }
        } catch (LoadException e) {
            throw new SproutException(e.getMessage(), e);
        }
    }

    private void report(
            String name,
            SourceServer.LogicalFacts facts,
            ImportSession pending,
            StartImportResponse compute,
            LogicalImport.Result result,
            FinishImportResponse done,
            Duration took) {
        double seconds = Math.max(0.001, took.toNanos() / 1e9);
        double mbps = facts.databaseBytes() / 1e6 / seconds;
        ImportSummary.Builder summary = ImportSummary.newBuilder()
                .setSource(source.redacted())
                .setSourceVersion(facts.version())
                .setBranch(name)
                .setTimelineId(pending.target().getTimelineId())
                .setBackup(done.getBackup())
                .setArchiveBytes(result.dumpBytes())
                .setImportMs(took.toMillis())
                .setFirstStartMs(compute.getStartMs())
                .setMbPerSecond(Math.round(mbps * 10) / 10.0)
                .addAllAbandoned(pending.target().getAbandonedList())
                .setLogical(true)
                .addAllRolesCreated(result.rolesCreated())
                .addAllNotes(result.notes());
        for (LogicalImport.Database db : result.databases()) {
            summary.addDatabases(LogicalDatabase.newBuilder()
                    .setName(db.name())
                    .setCreated(db.created())
                    .setTables(db.tables())
                    .setDumpBytes(db.dumpBytes())
                    .setDumpMs(db.dump().toMillis())
                    .setRestoreMs(db.restore().toMillis()));
        }
        if (json) {
            System.out.println(Json.print(summary.build()));
            return;
        }
        System.out.println(String.format(
                "imported %s (PostgreSQL %s) logically as branch %s: %d database(s), %d tables, %d role(s) in %.1f s",
                source.redacted(),
                facts.version(),
                name,
                result.databases().size(),
                result.tables(),
                result.rolesCreated().size(),
                seconds));
        for (LogicalImport.Database db : result.databases()) {
            System.out.println(String.format(
                    "  %s: %d tables, dump %.1f s (%s), restore %.1f s",
                    db.name(),
                    db.tables(),
                    db.dump().toMillis() / 1000.0,
                    ByteSizes.format(db.dumpBytes()),
                    db.restore().toMillis() / 1000.0));
        }
        if (!done.getBackup().isEmpty()) {
            System.out.println(name + "'s previous state is branch " + done.getBackup());
        }
        result.notes().forEach(n -> System.out.println("note: " + n));
        System.out.println("connect: ./sprout connect " + name
                + " (the source's roles and passwords; role postgres uses Sprout's password)");
    }

    private void say(String line) {
        System.err.println("sprout: " + line);
    }
}
