package dev.sprout.cli;

import dev.sprout.compute.load.LoadException;
import dev.sprout.compute.load.LogicalImport;
import dev.sprout.compute.load.PhysicalImport;
import dev.sprout.compute.load.SourceServer;
import dev.sprout.compute.load.SourceUrl;
import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.http.Json;
import dev.sprout.http.client.ApiClient;
import dev.sprout.protocol.client.AttachMode;
import dev.sprout.protocol.client.ClientOptions;
import dev.sprout.protocol.client.PageClient;
import dev.sprout.protocol.client.PageSession;
import dev.sprout.protocol.v1.BeginImportRequest;
import dev.sprout.protocol.v1.FinishImportRequest;
import dev.sprout.protocol.v1.FinishImportResponse;
import dev.sprout.protocol.v1.FollowRequest;
import dev.sprout.protocol.v1.ImportSummary;
import dev.sprout.protocol.v1.ImportTarget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sprout import URL}: a running PostgreSQL of the computes' major version becomes a branch. The source is
 * checked first (nothing changes in Sprout when it refuses); then the running Sprout begins an import (a new root
 * timeline), {@code pg_basebackup}'s archive is streamed straight into that timeline through the page service
 * ({@link PhysicalImport}), and Sprout finishes it: the first start recovers the backup, then the branch gets its
 * name. Any failure after the begin aborts the import (its timeline is removed), Ctrl-C and SIGTERM included; an
 * importer killed outright leaves an import that the next import or restart removes and names.
 *
 * <p>{@code --logical} takes another way, for a source of another major version, a managed service without
 * replication access, or a part of the data: pg_dump and pg_restore into the branch's own compute
 * ({@link LogicalImporter}).
 *
 * <p>A progress line on stderr (bytes, MB/s, ETA; a line per table with --logical), a summary at the end, {@code
 * --json} for scripts. Exit codes: 0 imported, 1 refused (the source, or Sprout; the sentence says why), 2 a usage
 * error, 3 no Sprout answers.
 */
@Command(
        name = "import",
        mixinStandardHelpOptions = true,
        description = {
            "Bring a running PostgreSQL in as a branch: a base backup over the replication protocol, streamed into",
            "the store. The source must run the computes' major version and the role needs REPLICATION.",
            "With --logical: pg_dump and pg_restore into a new cluster (any older major version, no REPLICATION",
            "needed, --schema/--table for a part); run it on Sprout's machine. The dumps pass through java.io.tmpdir.",
            "Without --branch the import becomes main (main's state before is kept as a backup branch)."
        })
final class ImportCommand implements Callable<Integer> {
    @Parameters(paramLabel = "URL", description = "The source: postgresql://USER[:PASSWORD]@HOST[:PORT]/[DB]")
    String url;

    @Option(
            names = "--branch",
            paramLabel = "NAME",
            description = "The branch the import becomes (new unless --refresh). Default: main, replaced.")
    String branch;

    @Option(
            names = "--refresh",
            description = "Take a new base backup into an existing branch: its name moves to it, its state before is"
                    + " kept as a backup branch (branches made from it keep working).")
    boolean refresh;

    @Mixin
    SourceOptions options;

    @Option(
            names = "--logical",
            description = "Dump and restore (pg_dumpall --roles-only, pg_dump -Fd, pg_restore) instead of a base"
                    + " backup: the roles, then every database that allows connections (only the URL's database"
                    + " when the URL names one).")
    boolean logical;

    @Option(
            names = "--schema",
            paramLabel = "SCHEMA",
            description = "With --logical: only this schema (pg_dump -n; repeatable), of the database the URL names.")
    List<String> schemas = new ArrayList<>();

    @Option(
            names = "--table",
            paramLabel = "TABLE",
            description = "With --logical: only this table (pg_dump -t; repeatable), of the database the URL names.")
    List<String> tables = new ArrayList<>();

    @Option(
            names = "--jobs",
            paramLabel = "N",
            description = "With --logical: parallel jobs of pg_dump and pg_restore (-j). Default: "
                    + LogicalImporter.DEFAULT_JOBS + ".")
    Integer jobs;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** Set by {@code sprout follow}: the import becomes a follower of its source. */
    boolean follow;

    @Override
    public Integer call() {
        SourceUrl source;
        try {
            source = SourceUrl.parse(url);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        source = source.withPassword(password(source));
        if (follow && source.password().isEmpty()) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(),
                    "a follower reconnects to its source by itself: give the role's password in the URL, PGPASSWORD or"
                            + " --password-file (~/.pgpass is read by this command only)");
        }
        String name = branch == null ? "main" : branch;
        boolean replace = branch == null || refresh;
        if (!logical && (!schemas.isEmpty() || !tables.isEmpty() || jobs != null)) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--schema, --table and --jobs go with --logical");
        }
        LogicalImport.Selection selection = logical ? selection(source) : null;
        PostgresInstall install = PostgresInstall.locate();
        ManagementClient client = new ManagementClient(options.httpPort, options.dir.dataDir);
        if (logical) {
            return new LogicalImporter(
                            client, source, install, Duration.ofSeconds(options.connectTimeout), options.json)
                    .run(name, replace, selection, options.dir.dataDir);
        }
        say("checking the source " + source.redacted());
        try (SourceServer server = SourceServer.connect(source, Duration.ofSeconds(options.connectTimeout))) {
            SourceServer.Facts facts = server.checkPhysical(install.majorVersion());
            say("the source runs PostgreSQL " + facts.version() + " and holds about "
                    + ByteSizes.format(facts.databaseBytes()) + "; role " + facts.role() + " may take base backups");
            try (ImportSession session = ImportSession.begin(
                    client,
                    BeginImportRequest.newBuilder()
                            .setBranch(name)
                            .setReplace(replace)
                            .setSource(source.redacted())
                            .build())) {
                session.target().getAbandonedList().forEach(a -> say("note: " + a));
                return run(session, server, facts, source, install, name);
            }
        } catch (LoadException e) {
            throw new SproutException(e.getMessage(), e);
        }
    }

    /** What --schema, --table and --jobs ask of a logical import. */
    private LogicalImport.Selection selection(SourceUrl source) {
        if ((!schemas.isEmpty() || !tables.isEmpty()) && !source.namesDatabase()) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(),
                    "--schema and --table select in one database: name it in the URL"
                            + " (postgresql://USER@HOST:PORT/DATABASE)");
        }
        int n = jobs == null ? LogicalImporter.DEFAULT_JOBS : jobs;
        if (n < 1 || n > LogicalImporter.MAX_JOBS) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--jobs must be 1 to " + LogicalImporter.MAX_JOBS + ", not " + n);
        }
        return new LogicalImport.Selection(schemas, tables, n);
    }

    /** From the begin on: anything that stops the import aborts it (the session's close). */
    private int run(
            ImportSession pending,
            SourceServer server,
            SourceServer.Facts facts,
            SourceUrl source,
            PostgresInstall install,
            String name) {
        ImportTarget target = pending.target();
        try {
            Progress progress = new Progress(terminal() && !options.json);
            PhysicalImport.Result result;
            say("streaming a base backup into timeline " + target.getTimelineId());
            try (PageClient pages = PageClient.connect(pageOptions(target))) {
                PageSession session = pages.attach(target.getTimelineId(), AttachMode.exclusive())
                        .get(60, TimeUnit.SECONDS);
                result = PhysicalImport.run(
                        server, facts, source, install, session, target.getUid(), target.getGid(), progress::update);
                session.detach().get(30, TimeUnit.SECONDS);
            }
            progress.done();
            double mbps = result.written().bytes()
                    / 1e6
                    / Math.max(0.001, result.took().toNanos() / 1e9);
            say(String.format(
                    "streamed %s (%d files) in %.1f s, %.0f MB/s; starting it once (backup recovery)",
                    ByteSizes.format(result.written().bytes()),
                    result.written().files(),
                    result.took().toNanos() / 1e9,
                    mbps));
            String finish = follow
                    ? ApiClient.json(FinishImportRequest.newBuilder()
                            .setFollow(FollowRequest.newBuilder()
                                    .setConninfo(source.conninfo("sprout-follow"))
                                    .setRole(source.user())
                                    .setPassword(source.password().orElseThrow())
                                    .setHeldSlot(result.heldSlot()))
                            .build())
                    : null;
            FinishImportResponse done = pending.finish(finish);
            ImportSummary summary = ImportSummary.newBuilder()
                    .setSource(source.redacted())
                    .setSourceVersion(facts.version())
                    .setBranch(name)
                    .setTimelineId(target.getTimelineId())
                    .setBackup(done.getBackup())
                    .setArchiveBytes(result.written().bytes())
                    .setFiles(result.written().files())
                    .setPagesWritten(result.written().pagesWritten())
                    .setImportMs(result.took().toMillis())
                    .setFirstStartMs(done.getFirstStartMs())
                    .setMbPerSecond(Math.round(mbps * 10) / 10.0)
                    .putAllDroppedSettings(result.droppedSettings())
                    .addAllAbandoned(target.getAbandonedList())
                    .build();
            if (options.json) {
                System.out.println(Json.print(summary));
            } else {
                System.out.println("imported " + source.redacted() + " (PostgreSQL " + facts.version() + ") as branch "
                        + name + ": " + ByteSizes.format(result.written().bytes()) + " in "
                        + (result.took().toMillis() + done.getFirstStartMs()) + " ms");
                if (!done.getBackup().isEmpty()) {
                    System.out.println(name + "'s previous state is branch " + done.getBackup());
                }
                result.droppedSettings()
                        .forEach((setting, why) ->
                                System.out.println("setting left out: " + setting + " (" + why + ")"));
                if (follow) {
                    System.out.println(name + " follows " + source.redacted() + " (read-only; every branch made from"
                            + " it is a writable copy as of its creation): ./sprout branch create NAME --from " + name);
                }
                System.out.println("connect: ./sprout connect " + name
                        + " (the source's roles and passwords; role postgres uses Sprout's password)");
            }
            return 0;
        } catch (LoadException e) {
            throw new SproutException(e.getMessage(), e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new SproutException(
                    "the page service refused the import: " + e.getCause().getMessage(), e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new SproutException("the page service did not answer within 60 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SproutException("interrupted", e);
        }
    }

    private static ClientOptions pageOptions(ImportTarget target) {
        ClientOptions options = ClientOptions.defaults(target.getPageHost(), target.getPagePort())
                .withCredential(target.getCredential());
        if (target.getTlsCaPem().isEmpty()) {
            return options;
        }
        try {
            Path ca = Files.createTempFile(
                    "sprout-import-ca-",
                    ".pem",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            ca.toFile().deleteOnExit();
            Files.writeString(ca, target.getTlsCaPem(), StandardCharsets.UTF_8);
            return options.withTls(ca);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the page service's certificate in a temporary file", e);
        }
    }

    private Optional<String> password(SourceUrl source) {
        if (source.password().isPresent()) {
            return source.password();
        }
        if (options.passwordFile != null) {
            try {
                return Optional.of(Files.readAllLines(options.passwordFile, StandardCharsets.UTF_8).stream()
                        .findFirst()
                        .orElse(""));
            } catch (IOException e) {
                throw new SproutException(
                        "cannot read the password file " + options.passwordFile + ": " + e.getMessage(), e);
            }
        }
        return Optional.ofNullable(System.getenv("PGPASSWORD")).filter(p -> !p.isEmpty());
    }

    /** Whether stderr is a terminal (then the progress line is redrawn in place). */
    private static boolean terminal() {
        // System.console() is null when the JVM has no terminal (a test, a pipe), whatever its javadoc says now
        return Optional.ofNullable(System.console())
                        .map(java.io.Console::isTerminal)
                        .orElse(false)
                && System.getenv("CI") == null;
    }

    private void say(String line) {
        System.err.println("sprout: " + line);
    }

    /**
     * The progress line: bytes, MB/s and ETA, redrawn in place on a terminal, else a line every 5 seconds (logs of
     * CI jobs).
     */
    private static final class Progress {
        private final boolean terminal;
        private final long start = System.nanoTime();
        private long lastPrint;
        private boolean printed;

        Progress(boolean terminal) {
            this.terminal = terminal;
        }

        void update(long done, long total) {
            long now = System.nanoTime();
            long every = terminal ? 250_000_000L : 5_000_000_000L;
            if (now - lastPrint < every) {
                return;
            }
            lastPrint = now;
            double seconds = Math.max(0.001, (now - start) / 1e9);
            double rate = done / seconds;
            String eta = total > done && rate > 0 ? String.format(", ETA %.0f s", (total - done) / rate) : "";
            String line = String.format(
                    "%s of about %s (%d%%), %.0f MB/s%s",
                    ByteSizes.format(done),
                    ByteSizes.format(total),
                    total == 0 ? 0 : Math.min(100, done * 100 / total),
                    rate / 1e6,
                    eta);
            if (terminal) {
                System.err.print("\r  " + line + "   ");
            } else {
                System.err.println("sprout: " + line);
            }
            printed = true;
        }

        void done() {
            if (terminal && printed) {
                System.err.println();
            }
        }
    }
}
