package dev.sprout.cli;

import dev.sprout.diff.data.DataDiff;
import dev.sprout.diff.data.TableDiff;
import dev.sprout.diff.schema.CatalogReader;
import dev.sprout.diff.schema.Change;
import dev.sprout.diff.schema.DbObject;
import dev.sprout.diff.schema.Kind;
import dev.sprout.diff.schema.SchemaDiff;
import dev.sprout.diff.schema.Snapshot;
import dev.sprout.http.client.ApiClient;
import dev.sprout.migrate.Catalog;
import dev.sprout.migrate.CheckReport;
import dev.sprout.migrate.CheckResult;
import dev.sprout.migrate.Finding;
import dev.sprout.migrate.History;
import dev.sprout.migrate.MigrationSet;
import dev.sprout.migrate.Rules;
import dev.sprout.migrate.Runner;
import dev.sprout.migrate.SecondRun;
import dev.sprout.migrate.Sizes;
import dev.sprout.protocol.v1.CreateBranchRequest;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;
import org.postgresql.ds.PGSimpleDataSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sprout migrate}: database migrations checked on a short-lived branch of production-shaped data. */
@Command(
        name = "migrate",
        mixinStandardHelpOptions = true,
        description = "Check database migrations on a branch before they reach the database.",
        subcommands = {MigrateCommand.Check.class})
final class MigrateCommand implements Runnable {
    /** No finding at or above --fail-on. */
    static final int EXIT_PASSED = 0;
    /** Findings at or above --fail-on. */
    static final int EXIT_FAILED = 1;

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(
            name = "check",
            mixinStandardHelpOptions = true,
            description = {
                "Apply the pending migrations of a directory (Flyway layout, or plain .sql files in name order) to a",
                "short-lived branch of BASE, one statement at a time, and report per migration: success or the exact",
                "error, duration, the locks it held and for how long, tables rewritten, WAL, rows changed; findings",
                "from rules on those measurements; drift between the base's Flyway history and the directory; a",
                "second run of plain and repeatable migrations (idempotency); with down scripts, whether everything",
                "comes back (reversibility). Exit 0 passed, 1 findings at or above --fail-on, 2 bad input, 3 Sprout",
                "or the branch unreachable."
            })
    static final class Check implements Callable<Integer> {
        @Option(names = "--base", required = true, paramLabel = "BRANCH", description = "The branch to check against.")
        String base;

        @Option(
                names = "--at",
                paramLabel = "LSN|WAL|TIME",
                description = "Check against BASE at this point (a Sprout LSN, a PostgreSQL WAL position such as"
                        + " 0/16B3748, or a time), not its head.")
        String at;

        @Option(
                names = "--migrations",
                required = true,
                paramLabel = "DIR",
                description = "The migrations: Flyway layout (V1__x.sql, R__x.sql, U1__x.sql) or plain .sql files.")
        Path migrations;

        @Option(
                names = "--down",
                paramLabel = "DIR",
                description = "Down scripts: U<version>__x.sql (Flyway) or the up files' names (plain).")
        Path down;

        @Option(
                names = "--database",
                paramLabel = "NAME",
                defaultValue = "postgres",
                description = "The database the migrations run in. Default: ${DEFAULT-VALUE}.")
        String database;

        @Option(
                names = "--format",
                paramLabel = "FORMAT",
                defaultValue = "text",
                description = "text (default), markdown (a pull-request comment) or json.")
        String format;

        @Option(
                names = "--fail-on",
                paramLabel = "LEVEL",
                defaultValue = "error",
                description = "info, warning, error (default) or never: findings at or above it fail the check.")
        String failOn;

        @Option(
                names = "--big-table",
                paramLabel = "SIZE",
                defaultValue = "10MB",
                description = "Tables at least this big (on the base) are big for the lock, rewrite, index and"
                        + " constraint rules. Default: ${DEFAULT-VALUE}.")
        String bigTable;

        @Option(names = "--keep", description = "Keep the branch the migrations ran on (its name is printed).")
        boolean keep;

        @Mixin
        DiffCommand.Where where;

        @Override
        public Integer call() {
            try {
                return check();
            } catch (DiffCommand.Failure f) {
                System.err.println("sprout: " + f.getMessage());
                return f.exit;
            }
        }

        private static DiffCommand.Failure usage(String sentence) {
            return new DiffCommand.Failure(DiffCommand.EXIT_USAGE, sentence, null);
        }

        private int check() {
            long started = System.nanoTime();
            if (!Set.of("text", "markdown", "json").contains(format)) {
                throw usage("--format takes text, markdown or json; not '" + format + "'");
            }
            Optional<Finding.Severity> failLevel;
            long big;
            MigrationSet set;
            try {
                failLevel = failOn.equals("never") ? Optional.empty() : Optional.of(Finding.Severity.parse(failOn));
                big = Sizes.parse(bigTable);
                set = MigrationSet.read(migrations, Optional.ofNullable(down));
            } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
                throw usage(e.getMessage());
            }
            progress(
                    "found " + set.ups().size() + " migrations in " + migrations + " (" + set.layout().label + " layout"
                            + (set.downs().isEmpty() ? "" : ", " + set.downs().size() + " down scripts") + ")");
            ManagementClient client = new ManagementClient(where.httpPort, where.dir.dataDir);
            // named under the base (pr-7-check-1a2b3c4d) so that a token scoped to the base's names may run it
            String suffix = "check-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
            String name = base.length() + suffix.length() + 6 <= 63 ? base + "-" + suffix : suffix;
            String pristine = name + "-base";
            List<String> made = new ArrayList<>();
            Thread cleanup = new Thread(() -> delete(client, made), "sprout-migrate-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            List<DiffCommand.Side> sides = new ArrayList<>();
            try {
                CreateBranchRequest.Builder r =
                        CreateBranchRequest.newBuilder().setName(name).setParent(base);
                if (at != null) {
                    try {
                        BranchCommand.at(r, at);
                    } catch (IllegalArgumentException e) {
                        throw new picocli.CommandLine.ParameterException(
                                new picocli.CommandLine(this), "--at " + e.getMessage());
                    }
                }
                long t0 = System.nanoTime();
                // an unknown base is refused here, before anything is made
                call(() -> client.send("POST", "/v1/branches", ApiClient.json(r.build())), "base branch " + base);
                made.add(name);
                // the base as it was, for the diffs: a child of the check branch before anything runs on it
                call(
                        () -> client.send(
                                "POST",
                                "/v1/branches",
                                ApiClient.json(CreateBranchRequest.newBuilder()
                                        .setName(pristine)
                                        .setParent(name)
                                        .build())),
                        "branch " + name);
                made.add(pristine);
                progress("made branch " + name + " of " + base + (at == null ? "" : " at " + at) + " in "
                        + (System.nanoTime() - t0) / 1_000_000 + " ms");
                DiffCommand.Side work = DiffCommand.Side.madeBranch(name, where, client);
                sides.add(work);
                DiffCommand.Side before = DiffCommand.Side.madeBranch(pristine, where, client);
                sides.add(before);
                CatalogReader reader = new CatalogReader(Set.of());
                CheckResult result;
                // Flyway's history is read on a connection of its own while the check connects and reads the catalogs
                // (flyway-core takes a few hundred ms to start)
                CompletableFuture<Optional<History.State>> history = set.layout() == MigrationSet.Layout.FLYWAY
                        ? CompletableFuture.supplyAsync(
                                () -> Optional.of(History.read(dataSource(work, name), set)),
                                task -> Thread.ofVirtual()
                                        .name("sprout-flyway-history")
                                        .start(task))
                        : CompletableFuture.completedFuture(Optional.empty());
                long c0 = System.nanoTime();
                try (Connection c = work.connect(database);
                        Connection second = work.connect(database)) {
                    progress("connected to " + name + " (its compute started) in "
                            + (System.nanoTime() - c0) / 1_000_000 + " ms");
                    result = run(c, second, work, before, reader, history, set, failLevel, big, name, started);
                } catch (SQLException e) {
                    throw new DiffCommand.Failure(
                            DiffCommand.EXIT_UNREACHABLE,
                            "the check lost its connection to " + name + ": " + e.getMessage(),
                            e);
                }
                System.out.print(
                        switch (format) {
                            case "markdown" -> CheckReport.markdown(result);
                            case "json" -> CheckReport.json(result);
                            default -> CheckReport.text(result);
                        });
                System.out.flush();
                return result.fails() ? EXIT_FAILED : EXIT_PASSED;
            } finally {
                sides.forEach(DiffCommand.Side::close);
                if (keep && made.contains(name)) {
                    made.remove(name);
                    progress("kept branch " + name + " (sprout branch delete " + name + " when done)");
                }
                long d0 = System.nanoTime();
                int n = made.size();
                delete(client, made);
                progress("deleted " + n + " branches in " + (System.nanoTime() - d0) / 1_000_000 + " ms");
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException e) {
                    // shutting down: the hook runs anyway
                }
            }
        }

        private CheckResult run(
                Connection c,
                Connection second,
                DiffCommand.Side work,
                DiffCommand.Side before,
                CatalogReader reader,
                CompletableFuture<Optional<History.State>> flyway,
                MigrationSet set,
                Optional<Finding.Severity> failLevel,
                long big,
                String name,
                long started)
                throws SQLException {
            long r0 = System.nanoTime();
            // the schema before anything runs, the baseline of the schema diffs (the pristine branch holds the same,
            // and its compute starts only when rows are compared), read on the second connection meanwhile
            CompletableFuture<Snapshot> schemaBefore = CompletableFuture.supplyAsync(
                    () -> {
                        try {
                            return reader.read(second);
                        } catch (SQLException e) {
                            throw new CompletionException(e);
                        }
                    },
                    task -> Thread.ofVirtual().name("sprout-schema-read").start(task));
            Catalog.State base = Catalog.read(c);
            Snapshot pristine = join(schemaBefore);
            progress("read the catalogs of " + name + " (" + base.tables().size() + " tables) in "
                    + (System.nanoTime() - r0) / 1_000_000 + " ms");
            List<MigrationSet.Migration> pending;
            List<History.Drift> drift = List.of();
            int appliedBefore = 0;
            java.util.Map<String, Integer> checksums = java.util.Map.of();
            Optional<History.State> read = join(flyway);
            if (read.isPresent()) {
                History.State h = read.get();
                pending = h.pending();
                drift = h.drift();
                appliedBefore = h.applied();
                checksums = h.checksums();
                progress("Flyway history of " + base() + ": " + appliedBefore + " applied, " + pending.size()
                        + " pending" + (drift.isEmpty() ? "" : ", " + drift.size() + " drifted"));
            } else {
                pending = set.ups();
            }
            Set<Long> watched = base.tables().values().stream()
                    .filter(t -> t.size() >= big)
                    .map(Catalog.Table::oid)
                    .collect(Collectors.toSet());
            List<Runner.Run> ups = new ArrayList<>();
            boolean failed = false;
            for (MigrationSet.Migration m : pending) {
                if (failed) {
                    ups.add(Runner.Run.skipped(m, base, "not applied: an earlier migration failed"));
                    continue;
                }
                Integer sum = checksums.get(m.file());
                Catalog.State now = ups.isEmpty() ? base : ups.getLast().after();
                Runner.Run u = Runner.run(c, m, now, watched, Optional.of(second), (conn, ms) -> {
                    if (sum != null) {
                        History.record(conn, m, sum, ms);
                    }
                });
                ups.add(u);
                failed = u.status() == Runner.Status.FAILED;
                progress(m.file() + ": " + u.status().label + " in " + u.millis() + " ms"
                        + u.failure()
                                .map(f -> " (line " + f.line() + ": " + f.message() + ")")
                                .orElse(""));
            }
            List<Finding> findings = new ArrayList<>();
            for (History.Drift d : drift) {
                findings.add(new Finding(
                        d.kind().rule, Finding.Severity.ERROR, d.script(), "-", d.message(), "flyway_schema_history"));
            }
            findings.addAll(Rules.evaluate(base, ups, big));
            boolean anyApplied = ups.stream().anyMatch(u -> u.status() == Runner.Status.APPLIED);
            Set<String> history = Set.of("public." + History.TABLE);
            Optional<SchemaDiff> schema = Optional.empty();
            List<TableDiff> data = List.of();
            long d0 = System.nanoTime();
            if (anyApplied) {
                schema = Optional.of(withoutHistory(SchemaDiff.compare(pristine, reader.read(c))));
            }
            // rows are compared with the base's when a migration wrote some (pg_stat_xact): DDL alone changes none
            // that a diff of the columns both sides have could show, but for a rewrite, which is not compared
            Set<String> written = new TreeSet<>();
            ups.forEach(u -> written.addAll(u.rows().keySet()));
            written.removeAll(history);
            Set<String> exists = new TreeSet<>();
            base.tables().values().forEach(t -> exists.add(t.name()));
            ups.forEach(u -> u.after().tables().values().forEach(t -> exists.add(t.name())));
            written.retainAll(exists);
            if (!written.isEmpty()) {
                data = DiffCommand.Data.compare(
                        before,
                        work,
                        database,
                        database,
                        new DataDiff.Filter(Set.of(), written).withoutFullScans(),
                        false);
            }
            if (anyApplied) {
                progress("compared the schema with " + base()
                        + (written.isEmpty() ? "" : " and the rows of " + written.size() + " tables written") + " in "
                        + (System.nanoTime() - d0) / 1_000_000 + " ms");
            }
            List<SecondRun.Result> again = new ArrayList<>();
            List<Runner.Run> applied = ups.stream()
                    .filter(u -> u.status() == Runner.Status.APPLIED)
                    .toList();
            String firstApplied =
                    applied.isEmpty() ? "-" : applied.getFirst().migration().file();
            for (Runner.Run u : applied) {
                MigrationSet.Migration m = u.migration();
                if (m.kind() == MigrationSet.Kind.PLAIN || m.kind() == MigrationSet.Kind.REPEATABLE) {
                    SecondRun.Result a = SecondRun.check(c, m, reader);
                    again.add(a);
                    if (a.outcome() == SecondRun.Outcome.CHANGED) {
                        findings.add(new Finding(
                                "not-idempotent",
                                Finding.Severity.WARNING,
                                m.file(),
                                "-",
                                "run a second time, " + m.file() + " changed the database again",
                                a.detail()));
                    }
                }
            }
            List<Runner.Run> downs = new ArrayList<>();
            Optional<CheckResult.Reversal> reversal = Optional.empty();
            if (!set.downs().isEmpty() && !failed && !applied.isEmpty()) {
                for (Runner.Run u : applied.reversed()) {
                    Optional<MigrationSet.Migration> d = set.downOf(u.migration());
                    if (d.isPresent()) {
                        Catalog.State now = downs.isEmpty()
                                ? applied.getLast().after()
                                : downs.getLast().after();
                        Runner.Run dr = Runner.run(c, d.get(), now, watched, Optional.of(second), (conn, ms) -> {});
                        downs.add(dr);
                        progress("down " + d.get().file() + ": " + dr.status().label + " in " + dr.millis() + " ms");
                        dr.failure()
                                .ifPresent(f -> findings.add(new Finding(
                                        "not-reversible",
                                        Finding.Severity.ERROR,
                                        d.get().file(),
                                        "-",
                                        "the down script failed at line " + f.line() + ": " + f.message()
                                                + " (SQLSTATE " + f.sqlState() + ")",
                                        f.statement())));
                        if (dr.status() == Runner.Status.FAILED) {
                            break;
                        }
                    }
                }
                Catalog.State afterUps = applied.getLast().after();
                List<String> dropped = base.tables().values().stream()
                        .filter(t -> !afterUps.tables().containsKey(t.oid()))
                        .map(Catalog.Table::name)
                        .sorted()
                        .toList();
                SchemaDiff back = withoutHistory(SchemaDiff.compare(pristine, reader.read(c)));
                Set<String> skip = new LinkedHashSet<>(history);
                skip.addAll(dropped);
                List<TableDiff> rows = DiffCommand.Data.compare(
                        before, work, database, database, DataDiff.Filter.all().excluding(skip), false);
                CheckResult.Reversal v = new CheckResult.Reversal(back, rows, dropped);
                reversal = Optional.of(v);
                Set<String> tables = new TreeSet<>();
                boolean other = false;
                for (Change ch : back.changes()) {
                    Optional<String> t = ch.object()
                            .relation()
                            .or(() -> ch.kind() == Kind.TABLE ? Optional.of(ch.name()) : Optional.empty());
                    if (t.isPresent()) {
                        tables.add(t.get());
                    } else {
                        other = true;
                    }
                }
                rows.stream().filter(t -> !t.equal()).map(TableDiff::table).forEach(tables::add);
                for (String t : tables) {
                    findings.add(new Finding(
                            "not-reversible",
                            Finding.Severity.ERROR,
                            firstApplied,
                            t,
                            t + " does not come back after the down scripts",
                            reversalEvidence(back, rows, t)));
                }
                if (other) {
                    findings.add(new Finding(
                            "not-reversible",
                            Finding.Severity.ERROR,
                            firstApplied,
                            "-",
                            "the schema does not come back after the down scripts",
                            back.changes().stream()
                                    .filter(ch -> ch.object().relation().isEmpty() && ch.kind() != Kind.TABLE)
                                    .map(MigrateCommand::describe)
                                    .collect(Collectors.joining("; "))));
                }
            }
            return new CheckResult(
                    base(),
                    name,
                    keep,
                    set,
                    appliedBefore,
                    drift,
                    ups,
                    downs,
                    schema,
                    data,
                    again,
                    reversal,
                    findings,
                    failLevel,
                    (System.nanoTime() - started) / 1_000_000);
        }

        /** The future's value; its failure thrown as it was (an SQLException as such, a runtime one unwrapped). */
        private static <T> T join(CompletableFuture<T> f) throws SQLException {
            try {
                return f.join();
            } catch (CompletionException e) {
                switch (e.getCause()) {
                    case SQLException q -> throw q;
                    case RuntimeException r -> throw r;
                    case Error r -> throw r;
                    default -> throw e;
                }
            }
        }

        private String base() {
            return at == null ? base : base + "@" + at;
        }

        private static String reversalEvidence(SchemaDiff back, List<TableDiff> rows, String table) {
            List<String> out = new ArrayList<>();
            back.changes().stream()
                    .filter(ch -> ch.object().relation().map(table::equals).orElse(false)
                            || ch.name().equals(table))
                    .map(MigrateCommand::describe)
                    .forEach(out::add);
            rows.stream()
                    .filter(t -> t.table().equals(table) && !t.equal())
                    .forEach(t -> out.add("rows: " + t.inserted().size() + " only after, "
                            + t.deleted().size() + " only on the base, "
                            + t.updated().size() + " changed"));
            return String.join("; ", out);
        }

        /** A schema diff without Flyway's history table and what belongs to it (the check writes it). */
        private static SchemaDiff withoutHistory(SchemaDiff d) {
            String table = "public." + History.TABLE;
            return new SchemaDiff(
                    d.from(),
                    d.to(),
                    d.changes().stream()
                            .filter(ch -> !ch.name().equals(table)
                                    && !ch.object()
                                            .relation()
                                            .map(table::equals)
                                            .orElse(false))
                            .toList());
        }

        private PGSimpleDataSource dataSource(DiffCommand.Side side, String branch) {
            PGSimpleDataSource ds = new PGSimpleDataSource();
            ds.setServerNames(new String[] {side.host()});
            ds.setPortNumbers(new int[] {where.pgPort});
            ds.setDatabaseName(database);
            ds.setUser("postgres");
            ds.setPassword(ConnectCommand.password(where.dir.dataDir));
            ds.setOptions("branch=" + branch);
            ds.setSslMode(side.proxySslMode());
            ds.setApplicationName("sprout-migrate");
            ds.setConnectTimeout(Math.max(1, where.connectTimeout));
            return ds;
        }

        private static <T> T call(java.util.function.Supplier<T> request, String what) {
            try {
                return request.get();
            } catch (ManagementClient.Refused e) {
                throw new DiffCommand.Failure(DiffCommand.EXIT_USAGE, what + ": " + e.getMessage(), e);
            } catch (ManagementClient.Unreachable e) {
                throw new DiffCommand.Failure(DiffCommand.EXIT_UNREACHABLE, e.getMessage(), e);
            }
        }

        /** Deletes the check's branches, children first; says so when it cannot. */
        private static synchronized void delete(ManagementClient client, List<String> made) {
            for (String b : made.reversed()) {
                try {
                    client.send("DELETE", BranchCommand.path(b), null);
                } catch (RuntimeException e) {
                    System.err.println("sprout: WARNING: could not delete the check's branch " + b + ": "
                            + e.getMessage() + " (sprout branch delete " + b + ")");
                }
            }
            made.clear();
        }
    }

    static String describe(Change ch) {
        DbObject o = ch.object();
        return o.kind().label + " " + o.name() + " "
                + switch (ch) {
                    case Change.Added a -> "left over";
                    case Change.Removed r -> "missing";
                    case Change.Changed x -> "changed (" + String.join(", ", x.properties()) + ")";
                };
    }

    private static final long STARTED = System.nanoTime();

    static void progress(String line) {
        System.err.println(
                String.format(java.util.Locale.ROOT, "sprout: [%.1f s] %s", (System.nanoTime() - STARTED) / 1e9, line));
    }
}
