package dev.sprout.cli;

import dev.sprout.compute.load.SourceUrl;
import dev.sprout.diff.data.DataDiff;
import dev.sprout.diff.data.DataReport;
import dev.sprout.diff.data.TableDiff;
import dev.sprout.diff.schema.CatalogReader;
import dev.sprout.diff.schema.Include;
import dev.sprout.diff.schema.Report;
import dev.sprout.diff.schema.SchemaDiff;
import dev.sprout.diff.schema.Snapshot;
import dev.sprout.diff.schema.SqlScript;
import dev.sprout.http.client.ApiClient;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.protocol.v1.Branch;
import dev.sprout.protocol.v1.ChangesRequest;
import dev.sprout.protocol.v1.ChangesResponse;
import dev.sprout.protocol.v1.CreateBranchRequest;
import dev.sprout.protocol.v1.PointRef;
import dev.sprout.protocol.v1.SideChanges;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sprout diff}: what differs between two branches, points in time or databases. */
@Command(
        name = "diff",
        mixinStandardHelpOptions = true,
        description =
                "Compare two branches, points of their history (BRANCH@TIME, BRANCH@LSN, BRANCH@0/16B3748) or databases"
                        + " (postgresql://...).",
        subcommands = {DiffCommand.Schema.class, DiffCommand.Data.class})
final class DiffCommand implements Callable<Integer> {
    /** The two sides are equal. */
    static final int EXIT_EQUAL = 0;
    /** They differ. */
    static final int EXIT_DIFFERENT = 1;
    /** Bad input: a flag, an unknown branch, a point Sprout no longer holds, a database one side lacks. */
    static final int EXIT_USAGE = 2;
    /** A side cannot be reached (Sprout, or the PostgreSQL of a URL). */
    static final int EXIT_UNREACHABLE = 3;

    @Parameters(
            arity = "0..2",
            paramLabel = "FROM TO",
            description = "With two sides and no subcommand: the schema and data summaries in one Markdown comment.")
    List<String> sides = new ArrayList<>();

    @Option(
            names = "--database",
            paramLabel = "NAME",
            description = "The database on both sides. Default: postgres (a URL's own database for a URL).")
    String database;

    @Mixin
    Where where;

    /** {@code sprout diff FROM TO}: a pull-request comment of what the schema and the data did. */
    @Override
    public Integer call() {
        if (sides.size() != 2) {
            new CommandLine(this).usage(System.out);
            return sides.isEmpty() ? 0 : EXIT_USAGE;
        }
        List<Side> made = new ArrayList<>();
        try {
            Side a = Side.resolve(sides.get(0), where);
            made.add(a);
            Side b = Side.resolve(sides.get(1), where);
            made.add(b);
            String dbA = databaseOf(a, database);
            String dbB = databaseOf(b, database);
            SchemaDiff schema = SchemaDiff.compare(
                    a.read(dbA, new CatalogReader(Set.of())), b.read(dbB, new CatalogReader(Set.of())));
            List<TableDiff> data = Data.compare(a, b, dbA, dbB, DataDiff.Filter.all(), false);
            System.out.print("### Sprout diff `" + a.label + "` → `" + b.label + "`\n\n"
                    + Report.markdown(schema, a.label, b.label) + "\n"
                    + DataReport.markdown(data, a.label, b.label, 10));
            return schema.equal() && DataReport.equal(data) ? EXIT_EQUAL : EXIT_DIFFERENT;
        } catch (Failure f) {
            System.err.println("sprout: " + f.getMessage());
            return f.exit;
        } finally {
            made.forEach(Side::close);
        }
    }

    /** The database to read on a side: --database, else a URL's own, else postgres. */
    static String databaseOf(Side s, String database) {
        if (database != null) {
            return database;
        }
        return s.url.filter(SourceUrl::namesDatabase).map(SourceUrl::database).orElse("postgres");
    }

    @Command(
            name = "data",
            mixinStandardHelpOptions = true,
            description = {
                "Row-level data diff: per table, the rows inserted, deleted and updated (matched by primary key, a",
                "unique NOT NULL index, or whole rows), and for updated rows the columns that changed. Exit 0 when",
                "equal, 1 when different, 2 on bad input, 3 when a side cannot be reached. Each table is read whole",
                "on both sides (a full scan)."
            })
    static final class Data implements Callable<Integer> {
        @Parameters(
                index = "0",
                paramLabel = "FROM",
                description = "A branch, BRANCH@TIME, BRANCH@LSN, BRANCH@WAL (0/16B3748) or a URL.")
        String from;

        @Parameters(index = "1", paramLabel = "TO", description = "The same kinds as FROM.")
        String to;

        @Option(names = "--table", paramLabel = "TABLE", description = "Only this table (repeatable; schema.table).")
        List<String> tables = new ArrayList<>();

        @Option(names = "--schema", paramLabel = "SCHEMA", description = "Only this schema's tables (repeatable).")
        List<String> schemas = new ArrayList<>();

        @Option(
                names = "--database",
                paramLabel = "NAME",
                description = "The database on both sides. Default: postgres (a URL's own database for a URL).")
        String database;

        @Option(
                names = "--format",
                paramLabel = "FORMAT",
                defaultValue = "text",
                description = "text (default), markdown, json or csv.")
        String format;

        @Option(
                names = "--full",
                description = "Scan every table whole on both sides instead of reading only the changed blocks.")
        boolean full;

        @Option(
                names = "--limit",
                paramLabel = "N",
                defaultValue = "20",
                description = "Rows shown per table in text and markdown (json and csv have all). Default: 20.")
        int limit;

        @Mixin
        Where where;

        @Override
        public Integer call() {
            if (!Set.of("text", "markdown", "json", "csv").contains(format)) {
                System.err.println("sprout: --format takes text, markdown, json or csv; not '" + format + "'");
                return EXIT_USAGE;
            }
            if (limit < 0) {
                System.err.println("sprout: --limit must be 0 or more");
                return EXIT_USAGE;
            }
            List<Side> made = new ArrayList<>();
            try {
                Side a = Side.resolve(from, where);
                made.add(a);
                Side b = Side.resolve(to, where);
                made.add(b);
                List<TableDiff> diffs = compare(
                        a,
                        b,
                        databaseOf(a, database),
                        databaseOf(b, database),
                        new DataDiff.Filter(Set.copyOf(schemas), Set.copyOf(tables)),
                        full);
                System.out.print(
                        switch (format) {
                            case "markdown" -> DataReport.markdown(diffs, a.label, b.label, limit);
                            case "json" -> DataReport.json(diffs, a.label, b.label);
                            case "csv" -> DataReport.csv(diffs);
                            default -> DataReport.text(diffs, a.label, b.label, limit);
                        });
                System.out.flush();
                return DataReport.equal(diffs) ? EXIT_EQUAL : EXIT_DIFFERENT;
            } catch (Failure f) {
                System.err.println("sprout: " + f.getMessage());
                return f.exit;
            } finally {
                made.forEach(Side::close);
            }
        }

        static List<TableDiff> compare(Side a, Side b, String dbA, String dbB, DataDiff.Filter filter, boolean full) {
            try (Connection ca = a.connect(dbA);
                    Connection cb = b.connect(dbB)) {
                long oidA = databaseOid(ca);
                long oidB = databaseOid(cb);
                return DataDiff.compare(ca, cb, filter, () -> changes(a, b, oidA, oidB, full));
            } catch (DataDiff.UnknownTableException e) {
                throw new Failure(EXIT_USAGE, e.getMessage(), e);
            } catch (SQLException e) {
                throw new Failure(EXIT_UNREACHABLE, "reading the rows failed: " + e.getMessage(), e);
            }
        }
    }

    /** The database's OID: its directory in the data directory is base/OID. */
    static long databaseOid(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT oid FROM pg_database WHERE datname = current_database()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * The blocks each side wrote since their shared history, from Sprout (both sides Sprout points); a full scan
     * when a side is a URL, with --full, or when Sprout cannot tell (no shared history, a point before its change
     * log), and the reason goes in the output.
     */
    static DataDiff.Changes changes(Side a, Side b, long oidA, long oidB, boolean full) {
        if (full) {
            return new DataDiff.Changes.Unknown("full scan (--full)");
        }
        if (a.point.isEmpty() || b.point.isEmpty()) {
            return new DataDiff.Changes.Unknown("full scan (a side is a connection string)");
        }
        ChangesRequest request = ChangesRequest.newBuilder()
                .setFrom(a.point.get())
                .setTo(b.point.get())
                .setFromDir("base/" + oidA)
                .setToDir("base/" + oidB)
                .build();
        try {
            ChangesResponse r = a.client
                    .parse(
                            "POST /v1/changes",
                            a.client
                                    .send("POST", "/v1/changes", ApiClient.json(request))
                                    .body(),
                            ChangesResponse.newBuilder())
                    .build();
            return new DataDiff.Changes.Known(new DataDiff.ChangedBlocks(files(r.getFrom()), files(r.getTo())));
        } catch (ManagementClient.Refused e) {
            return new DataDiff.Changes.Unknown("full scan (" + e.getMessage() + ")");
        }
    }

    private static Map<String, SortedSet<Integer>> files(SideChanges side) {
        Map<String, SortedSet<Integer>> out = new TreeMap<>();
        side.getFilesMap().forEach((name, list) -> out.put(name, new TreeSet<>(list.getBlocksList())));
        return out;
    }

    /** Where the sides are: Sprout's API and proxy, its data directory, how long to wait for a side. */
    static final class Where {
        @Option(
                names = "--connect-timeout",
                paramLabel = "SECONDS",
                defaultValue = "10",
                description = "How long to wait for a side. Default: ${DEFAULT-VALUE}.")
        int connectTimeout;

        @Option(
                names = "--http-port",
                paramLabel = "PORT",
                defaultValue = "" + PageserverConfig.DEFAULT_HTTP_PORT,
                description = "Sprout's HTTP API port. Default: ${DEFAULT-VALUE}.")
        int httpPort;

        @Option(
                names = "--pg-port",
                paramLabel = "PORT",
                defaultValue = "" + UpCommand.DEFAULT_PG_PORT,
                description = "The proxy's port (sprout up --pg-port). Default: ${DEFAULT-VALUE}.")
        int pgPort;

        @Mixin
        StoreDirectory dir;
    }

    /** A failure that ends the command with a sentence and an exit code. */
    static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int exit;

        Failure(int exit, String sentence, Throwable cause) {
            super(sentence, cause);
            this.exit = exit;
        }
    }

    @Command(
            name = "schema",
            mixinStandardHelpOptions = true,
            description = {
                "Object-level schema diff, read from the catalogs: what TO has that FROM lacks, and how objects on",
                "both sides differ. Exit 0 when equal, 1 when different, 2 on bad input, 3 when a side cannot be",
                "reached. --format sql prints the DDL that turns FROM into TO."
            })
    static final class Schema implements Callable<Integer> {
        @Parameters(
                index = "0",
                paramLabel = "FROM",
                description = "A branch, BRANCH@TIME, BRANCH@LSN, BRANCH@WAL (0/16B3748) or a URL.")
        String from;

        @Parameters(index = "1", paramLabel = "TO", description = "The same kinds as FROM.")
        String to;

        @Option(
                names = "--database",
                paramLabel = "NAME",
                description = "The database on both sides. Default: postgres (a URL's own database for a URL).")
        String database;

        @Option(names = "--all-databases", description = "Every database either side has.")
        boolean allDatabases;

        @Option(
                names = "--format",
                paramLabel = "FORMAT",
                defaultValue = "text",
                description = "text (default), markdown, json or sql.")
        String format;

        @Option(
                names = "--include",
                paramLabel = "LIST",
                defaultValue = "",
                description = "Compare also: owners, privileges, comments, column-order (comma-separated).")
        String include;

        @Option(
                names = "--color",
                paramLabel = "WHEN",
                defaultValue = "auto",
                description = "auto (a terminal, unless $NO_COLOR), always or never.")
        String color;

        @Mixin
        Where where;

        @Override
        public Integer call() {
            try {
                return diff();
            } catch (Failure f) {
                System.err.println("sprout: " + f.getMessage());
                return f.exit;
            }
        }

        private int diff() {
            if (!Set.of("text", "markdown", "json", "sql").contains(format)) {
                throw new Failure(EXIT_USAGE, "--format takes text, markdown, json or sql; not '" + format + "'", null);
            }
            if (allDatabases && database != null) {
                throw new Failure(EXIT_USAGE, "give --database or --all-databases, not both", null);
            }
            Set<Include> includes;
            try {
                includes = Include.parse(include);
            } catch (IllegalArgumentException e) {
                throw new Failure(EXIT_USAGE, e.getMessage(), e);
            }
            List<Side> made = new ArrayList<>();
            Thread cleanup = new Thread(() -> made.forEach(Side::close), "sprout-diff-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            try {
                Side a = Side.resolve(from, where);
                made.add(a);
                Side b = Side.resolve(to, where);
                made.add(b);
                CatalogReader reader = new CatalogReader(includes);
                // pairs of databases to compare: one pair, or every name either side has (--all-databases)
                List<String[]> pairs = new ArrayList<>();
                List<String> onlyA = new ArrayList<>();
                List<String> onlyB = new ArrayList<>();
                if (allDatabases) {
                    List<String> inA = a.databases();
                    List<String> inB = b.databases();
                    for (String db : new TreeSet<>(inA)) {
                        if (inB.contains(db)) {
                            pairs.add(new String[] {db, db});
                        } else {
                            onlyA.add(db);
                        }
                    }
                    inB.stream().filter(db -> !inA.contains(db)).sorted().forEach(onlyB::add);
                } else {
                    pairs.add(new String[] {databaseOf(a, database), databaseOf(b, database)});
                }
                boolean different = !onlyA.isEmpty() || !onlyB.isEmpty();
                StringBuilder out = new StringBuilder();
                List<String> jsons = new ArrayList<>();
                for (String[] pair : pairs) {
                    // the two sides are read at once (each on its own connection): the diff waits for the slower
                    CompletableFuture<Snapshot> sideB = CompletableFuture.supplyAsync(() -> b.read(pair[1], reader));
                    Snapshot sideA = a.read(pair[0], reader);
                    SchemaDiff d = SchemaDiff.compare(sideA, join(sideB));
                    different |= !d.equal();
                    switch (format) {
                        case "markdown" -> out.append(Report.markdown(d, a.label, b.label));
                        case "json" ->
                            jsons.add(Report.json(d, a.label, b.label).strip());
                        case "sql" -> out.append(SqlScript.render(d, a.label, b.label));
                        default -> out.append(Report.text(d, a.label, b.label, colour()));
                    }
                }
                for (String db : onlyA) {
                    oneSided(out, jsons, db, a.label);
                }
                for (String db : onlyB) {
                    oneSided(out, jsons, db, b.label);
                }
                if (format.equals("json")) {
                    out.append(allDatabases ? "[\n" + String.join(",\n", jsons) + "\n]\n" : jsons.getFirst() + "\n");
                }
                System.out.print(out);
                System.out.flush();
                return different ? EXIT_DIFFERENT : EXIT_EQUAL;
            } finally {
                made.forEach(Side::close);
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException e) {
                    // shutting down: the hook runs anyway
                }
            }
        }

        private static Snapshot join(CompletableFuture<Snapshot> side) {
            try {
                return side.join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                throw e;
            }
        }

        /** A database that only one side has (--all-databases): a difference, said in the chosen format. */
        private void oneSided(StringBuilder out, List<String> jsons, String db, String side) {
            String sentence = "database " + db + " exists only on " + side;
            switch (format) {
                case "markdown" ->
                    out.append("**Database** `")
                            .append(db)
                            .append("` exists only on `")
                            .append(side)
                            .append("`\n");
                case "json" ->
                    jsons.add("{\"database\": " + Report.jsonString(db) + ", \"only_on\": " + Report.jsonString(side)
                            + ", \"equal\": false}");
                case "sql" -> out.append("-- ").append(sentence).append(": CREATE/DROP DATABASE is not generated\n");
                default -> out.append(sentence).append('\n');
            }
        }

        private boolean colour() {
            return switch (color.toLowerCase(Locale.ROOT)) {
                case "always" -> true;
                case "never" -> false;
                // stdout a terminal (System.console() is null when the JVM has none, a pipe or a test)
                default ->
                    Optional.ofNullable(System.console())
                                    .map(java.io.Console::isTerminal)
                                    .orElse(false)
                            && System.getenv("NO_COLOR") == null;
            };
        }
    }

    /**
     * One side of a diff: a URL (read directly), a branch (read through the proxy, its compute woken as for any
     * client), or a point of a branch (a short-lived branch made at that point, deleted when the diff ends).
     */
    static final class Side implements AutoCloseable {
        final String label;
        final Optional<SourceUrl> url;
        private final Optional<String> branch;
        private final Optional<String> temporary;
        /** The point of history this side is (a branch's head, or a branch at an LSN or time); none for a URL. */
        final Optional<PointRef> point;

        private final Where options;
        private final ManagementClient client;
        private boolean closed;

        private Side(
                String label,
                Optional<SourceUrl> url,
                Optional<String> branch,
                Optional<String> temporary,
                Where options,
                ManagementClient client,
                Optional<PointRef> point) {
            this.label = label;
            this.url = url;
            this.branch = branch;
            this.temporary = temporary;
            this.point = point;
            this.options = options;
            this.client = client;
        }

        /** A branch known to exist (this command made it, or looked it up), read at its head. */
        static Side madeBranch(String name, Where options, ManagementClient client) {
            return new Side(
                    name,
                    Optional.empty(),
                    Optional.of(name),
                    Optional.empty(),
                    options,
                    client,
                    Optional.of(PointRef.newBuilder().setBranch(name).build()));
        }

        static Side resolve(String arg, Where options) {
            if (arg.startsWith("postgresql://") || arg.startsWith("postgres://")) {
                SourceUrl u;
                try {
                    u = SourceUrl.parse(arg);
                } catch (IllegalArgumentException e) {
                    throw new Failure(EXIT_USAGE, e.getMessage(), e);
                }
                if (u.password().isEmpty()) {
                    u = u.withPassword(
                            Optional.ofNullable(System.getenv("PGPASSWORD")).filter(p -> !p.isEmpty()));
                }
                return new Side(
                        u.redacted(),
                        Optional.of(u),
                        Optional.empty(),
                        Optional.empty(),
                        options,
                        null,
                        Optional.empty());
            }
            ManagementClient client = new ManagementClient(options.httpPort, options.dir.dataDir);
            int at = arg.indexOf('@');
            String name = at < 0 ? arg : arg.substring(0, at);
            call(() -> client.get(BranchCommand.path(name)), "branch " + name);
            if (at < 0) {
                return madeBranch(name, options, client);
            }
            String point = arg.substring(at + 1);
            CreateBranchRequest.Builder r = CreateBranchRequest.newBuilder()
                    .setName("diff-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(4)))
                    .setParent(name);
            try {
                BranchCommand.at(r, point);
            } catch (IllegalArgumentException e) {
                throw new Failure(EXIT_USAGE, arg + ": " + e.getMessage(), e);
            }
            String made = call(() -> client.send("POST", "/v1/branches", ApiClient.json(r.build())), arg)
                    .body();
            // a WAL position is resolved by the server: the change log is asked at the LSN it chose
            long lsn = r.getAtWalLsn().isEmpty()
                    ? r.getAtLsn()
                    : client.parse("POST /v1/branches", made, Branch.newBuilder())
                            .getBranchLsn();
            return new Side(
                    arg,
                    Optional.empty(),
                    Optional.of(r.getName()),
                    Optional.of(r.getName()),
                    options,
                    client,
                    Optional.of(PointRef.newBuilder()
                            .setBranch(name)
                            .setAtLsn(lsn)
                            .setAtTime(r.getAtTime())
                            .build()));
        }

        private static <T> T call(java.util.function.Supplier<T> request, String what) {
            try {
                return request.get();
            } catch (ManagementClient.Refused e) {
                throw new Failure(EXIT_USAGE, what + ": " + e.getMessage(), e);
            } catch (ManagementClient.Unreachable e) {
                throw new Failure(EXIT_UNREACHABLE, e.getMessage(), e);
            }
        }

        /** The host of Sprout's proxy (a branch side). */
        String host() {
            return client.host();
        }

        /**
         * The sslmode for the CLI's own connections through the proxy: {@code disable} on a loopback address, where
         * TLS is optional and buys nothing (the proxy relays scram-sha-256, so no password crosses in the clear;
         * the handshake costs the CLI's JVM a few hundred ms), else pgjdbc's {@code prefer}.
         */
        String proxySslMode() {
            try {
                return java.net.InetAddress.getByName(client.host()).isLoopbackAddress() ? "disable" : "prefer";
            } catch (java.net.UnknownHostException e) {
                return "prefer";
            }
        }

        Connection connect(String db) {
            Properties p = new Properties();
            p.setProperty("connectTimeout", Integer.toString(Math.max(1, options.connectTimeout)));
            p.setProperty("ApplicationName", "sprout-diff");
            String jdbc;
            if (url.isPresent()) {
                SourceUrl u = url.get();
                p.setProperty("user", u.user());
                u.password().ifPresent(pw -> p.setProperty("password", pw));
                for (String k : List.of("sslmode", "sslrootcert", "sslcert", "sslkey")) {
                    if (u.params().containsKey(k)) {
                        p.setProperty(k, u.params().get(k));
                    }
                }
                jdbc = "jdbc:postgresql://" + u.address() + "/" + URLEncoder.encode(db, StandardCharsets.UTF_8);
            } else {
                p.setProperty("user", "postgres");
                p.setProperty("password", ConnectCommand.password(options.dir.dataDir));
                p.setProperty("options", "branch=" + branch.orElseThrow());
                p.setProperty("sslmode", proxySslMode());
                jdbc = "jdbc:postgresql://" + client.host() + ":" + options.pgPort + "/"
                        + URLEncoder.encode(db, StandardCharsets.UTF_8);
            }
            try {
                return DriverManager.getConnection(jdbc, p);
            } catch (SQLException e) {
                throw explain(db, e);
            }
        }

        private Failure explain(String db, SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            String where = url.isPresent() ? url.get().address() : "the Sprout proxy on port " + options.pgPort;
            return switch (state) {
                case "3D000" ->
                    new Failure(EXIT_USAGE, "database \"" + db + "\" does not exist on " + label + " (--database)", e);
                case "28P01", "28000" ->
                    new Failure(
                            EXIT_USAGE,
                            label + " refused the login: " + e.getMessage()
                                    + (url.isPresent() ? " (give the password in the URL or PGPASSWORD)" : ""),
                            e);
                default ->
                    state.startsWith("08") || state.isEmpty()
                            ? new Failure(
                                    EXIT_UNREACHABLE,
                                    "cannot reach " + label + " at " + where + ": " + e.getMessage(),
                                    e)
                            : new Failure(EXIT_UNREACHABLE, "cannot read " + label + ": " + e.getMessage(), e);
            };
        }

        Snapshot read(String db, CatalogReader reader) {
            try (Connection c = connect(db)) {
                return reader.read(c);
            } catch (SQLException e) {
                throw new Failure(
                        EXIT_UNREACHABLE, "reading the catalogs of " + label + " failed: " + e.getMessage(), e);
            }
        }

        List<String> databases() {
            try (Connection c = connect(url.map(SourceUrl::database).orElse("postgres"));
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery(
                            "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1")) {
                List<String> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
                return out;
            } catch (SQLException e) {
                throw new Failure(
                        EXIT_UNREACHABLE, "listing the databases of " + label + " failed: " + e.getMessage(), e);
            }
        }

        /** Deletes the short-lived branch of a point (once); says so when it cannot. */
        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            temporary.ifPresent(t -> {
                try {
                    client.send("DELETE", BranchCommand.path(t), null);
                } catch (RuntimeException e) {
                    System.err.println("sprout: WARNING: could not delete the temporary branch " + t + " made for "
                            + label + ": " + e.getMessage() + " (sprout branch delete " + t + ")");
                }
            });
        }
    }
}
