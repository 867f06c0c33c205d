package dev.sprout.compute.load;

import dev.sprout.compute.postgres.PostgresInstall;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A logical import: the source's roles and databases restored into a running compute of a new branch (initdb'd by
 * Sprout, superuser {@code postgres}), with the real {@code pg_dumpall}, {@code pg_dump} and {@code pg_restore} of
 * the computes' PostgreSQL. For a source of an older major version, a managed service without replication access,
 * or a part of a database.
 *
 * <ol>
 *   <li>Roles first, from {@code pg_dumpall --roles-only} ({@code --no-role-passwords} when the source's role is
 *       no superuser and may not read them), applied by {@link RoleScript}: the branch's own superuser stays as it
 *       is, a statement the branch refuses is a note.
 *   <li>Then each database in turn: {@code pg_dump -Fd -j N} into a directory of its own under {@code
 *       java.io.tmpdir} (mode 0700, removed once restored), then {@code pg_restore -j N}: with {@code --create}
 *       when the branch lacks the database (its encoding, locale, owner, comment, settings and grants as the
 *       source has them), into it when it has it ({@code postgres}). Owners and grants are kept; only when a role
 *       of the source could not be made on the branch are they left out ({@code --no-owner --no-privileges}, with
 *       a note). Any error of pg_restore fails the import.
 *   <li>A selection ({@code --schema}, {@code --table}) is pg_dump's {@code -n}/{@code -t}, restored after its
 *       prerequisites ({@link DumpToc#prerequisites}); a prerequisite the branch refuses (a function whose
 *       signature needs a table the selection leaves out) is a note.
 * </ol>
 *
 * Progress goes to a {@link Listener}: a line for each table dumped and restored. The restore's sessions run with
 * {@code synchronous_commit = off}: nothing of an import counts before its compute's shutdown checkpoint at finish.
 * The importer holds a session of its own ({@link #open}) on the compute for as long as the import lasts: while it
 * is there the import is not abandoned.
 *
 * <p>Not thread-safe; {@link #close()} (also run by a shutdown hook while the import lasts) kills a running tool and
 * removes the dumps.
 */
public final class LogicalImport implements AutoCloseable {
    /** The compression of the dumps (gzip level): they live a moment on local disk; CPU is what a restore lacks. */
    static final int DUMP_COMPRESSION = 1;

    private static final Pattern DUMPING = Pattern.compile("dumping contents of table \"(.*)\"");
    private static final Pattern RESTORING = Pattern.compile("processing data for table \"(.*)\"");
    private static final Pattern FROM_ENTRY = Pattern.compile("from TOC entry (\\d+); \\d+ \\d+ (.*)$");
    private static final String APPLICATION = "sprout-import";

    private final PostgresInstall install;
    private final Destination destination;
    private final Connection lease;
    private final Path work;
    private final Thread cleanupAtExit;
    private volatile PgTool running;

    /**
     * The compute a logical import restores into: where it listens, the role to restore as (a superuser) and its
     * password.
     */
    public record Destination(String host, int port, String user, String password) {
        @Override
        public String toString() {
            return "Destination[" + user + "@" + host + ":" + port + "]";
        }

        /** libpq's connection string for {@code database}, without the password. */
        String conninfo(String database) {
            return "host=" + quote(host) + " port=" + port + " user=" + quote(user) + " dbname=" + quote(database)
                    + " application_name=" + APPLICATION + " sslmode=disable";
        }
    }

    /** What to import of the databases: pg_dump's {@code -n} and {@code -t} patterns (none: all), and {@code -j}. */
    public record Selection(List<String> schemas, List<String> tables, int jobs) {
        public Selection {
            schemas = List.copyOf(schemas);
            tables = List.copyOf(tables);
            if (jobs < 1) {
                throw new IllegalArgumentException("jobs: " + jobs + " (expected: 1 or more)");
            }
        }

        public boolean selective() {
            return !schemas.isEmpty() || !tables.isEmpty();
        }
    }

    /** Told what happens, a line at a time (progress per table). */
    @FunctionalInterface
    public interface Listener {
        void say(String line);
    }

    /** One database imported. */
    public record Database(String name, boolean created, int tables, long dumpBytes, Duration dump, Duration restore) {}

    /** What an import did: roles created, databases, notes (what was left out or changed), how long it took. */
    public record Result(List<String> rolesCreated, List<Database> databases, List<String> notes, Duration took) {
        public long dumpBytes() {
            return databases.stream().mapToLong(Database::dumpBytes).sum();
        }

        public int tables() {
            return databases.stream().mapToInt(Database::tables).sum();
        }
    }

    private LogicalImport(PostgresInstall install, Destination destination, Connection lease, Path work) {
        this.install = install;
        this.destination = destination;
        this.lease = lease;
        this.work = work;
        this.cleanupAtExit = new Thread(this::cleanUp, "logical-import-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupAtExit);
    }

    /**
     * Connects to the compute at {@code destination} (the importer's session, held until {@link #close}) and makes
     * the directory the dumps go to.
     *
     * @throws LoadException when the compute does not take the connection or the directory cannot be made
     */
    public static LogicalImport open(PostgresInstall install, Destination destination) {
        Properties p = new Properties();
        p.setProperty("user", destination.user());
        p.setProperty("password", destination.password());
        p.setProperty("ApplicationName", APPLICATION);
        p.setProperty("connectTimeout", "30");
        p.setProperty("sslmode", "disable");
        Connection lease;
        try {
            lease = DriverManager.getConnection(
                    "jdbc:postgresql://" + destination.host() + ":" + destination.port() + "/postgres", p);
        } catch (SQLException e) {
            throw new LoadException(
                    "cannot connect to the import's compute at " + destination.host() + ":" + destination.port()
                            + " as " + destination.user() + ": " + e.getMessage()
                            + " (a logical import runs on the machine Sprout runs on)",
                    e);
        }
        try {
            Path work = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "sprout-logical-");
            return new LogicalImport(install, destination, lease, work);
        } catch (IOException | RuntimeException e) {
            try {
                lease.close();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new LoadException(
                    "cannot make a directory for the dumps under " + System.getProperty("java.io.tmpdir") + ": "
                            + e.getMessage(),
                    e);
        }
    }

    /** Where the dumps are written while the import lasts. */
    public Path workDirectory() {
        return work;
    }

    /**
     * Imports the roles of the source of {@code server} (checked by {@link SourceServer#checkLogical}: {@code
     * facts}), then its databases of {@code facts}, as {@code selection} says.
     *
     * @throws LoadException a sentence naming what failed: the tool, the database, the tool's last words
     */
    public Result run(
            SourceServer server,
            SourceServer.LogicalFacts facts,
            SourceUrl source,
            Selection selection,
            Listener listener) {
        long start = System.nanoTime();
        List<String> notes = new ArrayList<>();
        if (!facts.notAllowed().isEmpty()) {
            notes.add("databases left out (role " + facts.role() + " may not connect to them): "
                    + String.join(", ", facts.notAllowed()));
        }
        List<String> created = roles(source, facts, listener, notes);
        Set<String> missing = new HashSet<>(server.roles());
        missing.removeAll(query("SELECT rolname FROM pg_roles"));
        boolean keepOwners = missing.isEmpty();
        if (!keepOwners) {
            notes.add("roles " + String.join(", ", missing.stream().sorted().toList()) + " of the source are not on"
                    + " the branch: objects are owned by " + destination.user() + " and grants are left out"
                    + " (pg_restore --no-owner --no-privileges)");
        }
        List<Database> databases = new ArrayList<>();
        int i = 0;
        for (SourceServer.Database db : facts.databases()) {
            i++;
            Path dir = work.resolve("db-" + i);
            try {
                databases.add(
                        database(source.withDatabase(db.name()), db, dir, selection, keepOwners, listener, notes));
            } finally {
                deleteTree(dir);
            }
        }
        checkpoint(listener);
        return new Result(created, databases, notes, Duration.ofNanos(System.nanoTime() - start));
    }

    /**
     * A CHECKPOINT on the branch: what the restore wrote (with {@code synchronous_commit = off}) is durable before
     * the import finishes, whatever way its compute then stops.
     */
    private void checkpoint(Listener listener) {
        long t = System.nanoTime();
        try (Statement st = lease.createStatement()) {
            st.execute("CHECKPOINT");
        } catch (SQLException e) {
            throw new LoadException("the CHECKPOINT after the restore failed on the branch: " + e.getMessage(), e);
        }
        listener.say(String.format("checkpoint after the restore: %.1f s", (System.nanoTime() - t) / 1e9));
    }

    /** The roles: pg_dumpall's script, applied by {@link RoleScript}; the roles created. */
    private List<String> roles(
            SourceUrl source, SourceServer.LogicalFacts facts, Listener listener, List<String> notes) {
        listener.say("roles: reading them from the source (pg_dumpall --roles-only)");
        boolean passwords = facts.superuser();
        String script;
        PgTool dumpall = sourceTool(rolesCommand(source, passwords), source, false, true, line -> {});
        if (dumpall.await() == 0) {
            script = dumpall.stdout();
        } else if (passwords && dumpall.said().contains("pg_authid")) {
            passwords = false;
            PgTool again = sourceTool(rolesCommand(source, false), source, false, true, line -> {});
            again.awaitSuccess("reading the roles of the source (pg_dumpall --roles-only --no-role-passwords)");
            script = again.stdout();
        } else {
            throw new LoadException(
                    "reading the roles of the source (pg_dumpall --roles-only) failed:\n" + dumpall.said());
        }
        if (!passwords) {
            notes.add("role passwords were not carried: role " + facts.role() + " is no superuser of the source,"
                    + " and only a superuser reads them (set them on the branch: ALTER ROLE ... PASSWORD ...)");
        }
        RoleScript.Applied applied;
        try {
            applied = RoleScript.apply(script, lease);
        } catch (SQLException e) {
            throw new LoadException("applying the source's roles on the branch failed: " + e.getMessage(), e);
        }
        notes.addAll(applied.notes());
        listener.say("roles: created " + (applied.created().isEmpty() ? "none" : String.join(", ", applied.created()))
                + (applied.kept().isEmpty()
                        ? ""
                        : "; kept " + String.join(", ", applied.kept()) + " as the branch has it"));
        return applied.created();
    }

    private List<String> rolesCommand(SourceUrl source, boolean passwords) {
        List<String> command = new ArrayList<>(List.of(
                install.tool("pg_dumpall").toString(),
                "--roles-only",
                "--no-password",
                "--dbname=" + source.conninfo(APPLICATION)));
        if (!passwords) {
            command.add("--no-role-passwords");
        }
        return command;
    }

    /** One database: dumped, then restored (a selection after its prerequisites). */
    private Database database(
            SourceUrl source,
            SourceServer.Database db,
            Path dir,
            Selection selection,
            boolean keepOwners,
            Listener listener,
            List<String> notes) {
        String name = db.name();
        boolean create = query("SELECT datname FROM pg_database").stream().noneMatch(name::equals);
        long t0 = System.nanoTime();
        Path data = dir.resolve("data");
        Path schema = dir.resolve("schema");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new LoadException("cannot make the dump directory " + dir + ": " + e.getMessage(), e);
        }
        if (selection.selective()) {
            // the whole database's definitions but its relations, for the prerequisites of the selection (without
            // the relations pg_dump locks none of them: a role may select from the selected tables alone)
            dump(
                    source,
                    name,
                    schema,
                    List.of("--schema-only", "--section=pre-data", "--exclude-table=*.*"),
                    1,
                    s -> {});
        }
        listener.say(name + ": dumping (pg_dump -Fd -j " + selection.jobs() + "; " + sizeText(db.bytes())
                + " in the source)");
        AtomicInteger dumped = new AtomicInteger();
        List<String> filter = new ArrayList<>();
        selection.schemas().forEach(s -> filter.add("--schema=" + s));
        selection.tables().forEach(t -> filter.add("--table=" + t));
        dump(source, name, data, filter, selection.jobs(), table -> {
            listener.say(name + ": dumped " + table + " (" + dumped.incrementAndGet() + ")");
        });
        Duration dumpTook = Duration.ofNanos(System.nanoTime() - t0);
        long bytes = size(dir);
        DumpToc toc = DumpToc.parse(list(data, false));
        long t1 = System.nanoTime();
        boolean intoExisting = !create;
        String refused = "";
        if (selection.selective()) {
            String list = DumpToc.parse(list(schema, create)).prerequisites(toc);
            listener.say(name + ": restoring what the selection needs ("
                    + list.lines().count() + " definitions)");
            refused = definitions(name, schema, list, create, keepOwners).list();
            intoExisting = true;
        }
        int total = toc.tablesWithData();
        AtomicInteger restored = new AtomicInteger();
        listener.say(name + ": restoring " + total + " tables (pg_restore -j " + selection.jobs()
                + (intoExisting ? "" : " --create") + ")");
        List<String> options = new ArrayList<>(List.of("-j", Integer.toString(selection.jobs())));
        if (!intoExisting) {
            options.add("--create");
        }
        if (!keepOwners) {
            options.addAll(List.of("--no-owner", "--no-privileges"));
        }
        PgTool restore = restoreTool(intoExisting ? name : "postgres", options, data, line -> {
            Matcher m = RESTORING.matcher(line);
            if (m.find()) {
                listener.say(
                        name + ": restoring " + m.group(1) + " (" + restored.incrementAndGet() + "/" + total + ")");
            }
        });
        restore.awaitSuccess("pg_restore into database " + name + " on the branch");
        if (!refused.isEmpty()) {
            // what needed the selection (a function over a selected table's rows) is there now
            Definitions again = definitions(name, schema, refused, false, keepOwners);
            again.sentences()
                    .forEach(why -> notes.add("database " + name + ": left out " + why
                            + "; it needs what the selection does not import"));
        }
        Duration restoreTook = Duration.ofNanos(System.nanoTime() - t1);
        listener.say(String.format(
                "%s: done, %d tables, dump %.1f s (%s), restore %.1f s",
                name, total, dumpTook.toMillis() / 1000.0, sizeText(bytes), restoreTook.toMillis() / 1000.0));
        return new Database(name, create, total, bytes, dumpTook, restoreTook);
    }

    /** Definitions the branch refused: their entries ({@code pg_restore -L}) and a sentence for each. */
    private record Definitions(String list, List<String> sentences) {}

    /**
     * Restores the entries of {@code list} of the schema-only dump in {@code schema} ({@code --create} makes the
     * database first); what the branch refuses is answered, not thrown: pg_restore goes on past it.
     *
     * @throws LoadException when the database is not there afterwards, or pg_restore stopped short
     */
    private Definitions definitions(String name, Path schema, String list, boolean create, boolean keepOwners) {
        Path listFile = schema.resolveSibling("definitions.list");
        try {
            Files.writeString(listFile, list);
        } catch (IOException e) {
            throw new LoadException("cannot write " + listFile + ": " + e.getMessage(), e);
        }
        List<String> options = new ArrayList<>(List.of("--use-list=" + listFile));
        if (create) {
            options.add("--create");
        }
        if (!keepOwners) {
            options.addAll(List.of("--no-owner", "--no-privileges"));
        }
        // pg_restore names the entry it was at ("from TOC entry ID; ...") before each error
        Map<Integer, String> failed = new LinkedHashMap<>();
        String[] at = {null, null};
        PgTool restore = restoreTool(create ? "postgres" : name, options, schema, line -> {
            Matcher m = FROM_ENTRY.matcher(line);
            if (m.find()) {
                at[0] = m.group(1);
                at[1] = withoutOwner(m.group(2));
            } else if (line.contains("ERROR:") && at[0] != null) {
                synchronized (failed) {
                    failed.putIfAbsent(
                            Integer.parseInt(at[0]),
                            at[1] + " ("
                                    + line.substring(line.indexOf("ERROR:") + 6).strip() + ")");
                }
            }
        });
        int exit = restore.await();
        boolean there = query("SELECT datname FROM pg_database").contains(name);
        if (!there || (exit != 0 && !restore.said().contains("errors ignored on restore"))) {
            throw new LoadException("restoring the definitions database " + name + " needs on the branch failed"
                    + " (pg_restore exited with " + exit + "):\n" + restore.said());
        }
        StringBuilder refused = new StringBuilder();
        synchronized (failed) {
            for (String line : list.split("\n", -1)) {
                int semi = line.indexOf(';');
                if (semi > 0 && failed.containsKey(Integer.parseInt(line.substring(0, semi)))) {
                    refused.append(line).append('\n');
                }
            }
            return new Definitions(refused.toString(), List.copyOf(failed.values()));
        }
    }

    /** {@code DESC NAME OWNER} as pg_restore names an entry, without the owner. */
    private static String withoutOwner(String entry) {
        String text = entry.strip();
        int space = text.lastIndexOf(' ');
        return text.indexOf(' ') < space ? text.substring(0, space) : text;
    }

    private void dump(SourceUrl source, String name, Path into, List<String> options, int jobs, Listener tables) {
        List<String> command = new ArrayList<>(List.of(
                install.tool("pg_dump").toString(),
                "--dbname=" + source.conninfo(APPLICATION),
                "--format=directory",
                "--file=" + into,
                "--jobs=" + jobs,
                "--compress=" + DUMP_COMPRESSION,
                "--no-sync",
                "--no-password",
                "--verbose"));
        command.addAll(options);
        PgTool dump = sourceTool(command, source, false, false, line -> {
            Matcher m = DUMPING.matcher(line);
            if (m.find()) {
                tables.say(m.group(1));
            }
        });
        dump.awaitSuccess("pg_dump of database " + name + " (source " + source.redacted() + ")");
    }

    /** {@code pg_restore -l} of the dump in {@code dir} (with {@code create}, the database's own entries too). */
    private String list(Path dir, boolean create) {
        List<String> command =
                new ArrayList<>(List.of(install.tool("pg_restore").toString(), "--list"));
        if (create) {
            command.add("--create");
        }
        command.add(dir.toString());
        PgTool tool = run(PgTool.start(command, Map.of(), true, true, line -> {}));
        tool.awaitSuccess("reading the dump's table of contents in " + dir);
        return tool.stdout();
    }

    private PgTool restoreTool(String database, List<String> options, Path dir, Listener lines) {
        List<String> command = new ArrayList<>(List.of(
                install.tool("pg_restore").toString(),
                "--dbname=" + destination.conninfo(database),
                "--verbose",
                "--no-password"));
        command.addAll(options);
        command.add(dir.toString());
        return run(PgTool.start(
                command,
                Map.of("PGPASSWORD", destination.password(), "PGOPTIONS", "-c synchronous_commit=off"),
                true,
                false,
                lines::say));
    }

    private PgTool sourceTool(List<String> command, SourceUrl source, boolean clean, boolean stdout, Listener lines) {
        Map<String, String> env =
                source.password().map(pw -> Map.of("PGPASSWORD", pw)).orElse(Map.of());
        return run(PgTool.start(command, env, clean, stdout, lines::say));
    }

    private PgTool run(PgTool tool) {
        running = tool;
        return tool;
    }

    private List<String> query(String sql) {
        List<String> out = new ArrayList<>();
        try (Statement st = lease.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        } catch (SQLException e) {
            throw new LoadException("the import's compute failed a query (" + sql + "): " + e.getMessage(), e);
        }
        return out;
    }

    /** Kills a running tool, removes the dumps, ends the importer's session; idempotent. */
    @Override
    public void close() {
        cleanUp();
        try {
            lease.close();
        } catch (SQLException e) {
            // the compute may have stopped first (finish stops it)
        }
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupAtExit);
        } catch (IllegalStateException e) {
            // the JVM is exiting: the hook runs
        }
    }

    private void cleanUp() {
        PgTool tool = running;
        if (tool != null) {
            tool.close();
        }
        deleteTree(work);
    }

    private static long size(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(p -> {
                        try {
                            return Files.size(p);
                        } catch (IOException e) {
                            return 0;
                        }
                    })
                    .sum();
        } catch (IOException e) {
            return 0;
        }
    }

    private static String sizeText(long bytes) {
        return bytes >= 10L << 20
                ? String.format("%,d MB", bytes >> 20)
                : String.format("%,d kB", Math.max(1, bytes >> 10));
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("sprout: cannot remove the dump directory " + root + ": " + e.getMessage());
        }
    }

    private static String quote(String v) {
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
