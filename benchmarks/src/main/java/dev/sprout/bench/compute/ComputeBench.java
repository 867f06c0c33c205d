package dev.sprout.bench.compute;

import dev.sprout.bench.support.Args;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.ComputeSpec;
import dev.sprout.compute.postgres.OsUser;
import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.config.PageserverConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;

/**
 * The compute benchmarks: PostgreSQL 15 on a compute (its data directory a FUSE mount of a pageserver timeline)
 * next to the same PostgreSQL binary on a local-disk data directory with the same settings, measured side by
 * side in one run, and a Markdown report with the ratios and the verdict on each goal.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar dev.sprout.bench.compute.ComputeBench \
 *     [--quick] [--rounds N] [--keep-timelines] [--out DIR] [--base DIR] [initdb] [pgbench] [coldstart]
 * </pre>
 *
 * <ol>
 *   <li>{@link InitdbBench}: initdb through a mount of a new root timeline against initdb on local disk;</li>
 *   <li>{@link Project}: a project (compute on a root timeline, initdb through the agent) and its local twin,
 *       both loaded by {@code pgbench -i};</li>
 *   <li>{@link ThroughputBench}: pgbench TPC-B, then select-only ({@code -S}, after a warm-up run), compute and
 *       local disk alternating for several rounds;</li>
 *   <li>{@link ColdStartBench}: branches of the loaded project's timeline taken just now, each started cold,
 *       timed from {@code Compute.start} to the first {@code SELECT 1} through pgjdbc.</li>
 * </ol>
 *
 * Steps may be picked by name: {@code initdb} (1), {@code pgbench} (2 and 3), {@code coldstart} (2 and 4); none
 * named: all. The pageserver runs in this JVM ({@code Pageserver.start}, ephemeral ports, the defaults), as in the
 * compute's tests. The JVM must run as root (FUSE mounts with {@code allow_other}, PostgreSQL as user {@code postgres}).
 * Progress lines go to stderr, the report to stdout and to {@code <out>/report.md}, logs to {@code <out>/logs}.
 */
public final class ComputeBench {
    public static final String SUPERUSER = "postgres";
    /** The steps one may ask for; none named: all of them. */
    static final List<String> GROUPS = List.of("initdb", "pgbench", "coldstart");
    /** The harness's logging configuration, written next to the logs (@LOG@: the log file). */
    private static final String LOGBACK = """
            <configuration>
              <appender name="file" class="ch.qos.logback.core.FileAppender">
                <file>@LOG@</file>
                <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
              </appender>
              <appender name="stderr" class="ch.qos.logback.core.ConsoleAppender">
                <target>System.err</target>
                <filter class="ch.qos.logback.classic.filter.ThresholdFilter"><level>WARN</level></filter>
                <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
              </appender>
              <logger name="dev.sprout" level="INFO"/>
              <root level="WARN">
                <appender-ref ref="file"/>
                <appender-ref ref="stderr"/>
              </root>
            </configuration>
            """;
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    private ComputeBench() {}

    /** What every step shares. */
    record Env(Settings settings, Pageserver pageserver, PostgresInstall install, OsUser user, String password,
            Path runDir, Map<String, String> pgSettings, Pgbench pgbench) {

        /** A compute on {@code timeline} in {@code runDir/name}, with the benchmark's settings. */
        ComputeSpec computeSpec(String timeline, String name) {
            return ComputeSpec.of("127.0.0.1", pageserver.pagePort(), timeline, runDir.resolve(name), freePort(), password)
                    .withPageserverCredential(pageserver.credentials().pageService().value())
                    .withSettings(pgSettings);
        }
    }

    public static void main(String[] args) throws IOException {
        boolean quick = false;
        Integer rounds = null;
        boolean keepTimelines = false;
        Path out = Path.of("benchmarks", "target", "bench-compute", LocalDateTime.now().format(STAMP));
        Path base = BenchEnv.baseDir().resolve("compute");
        Set<String> groups = new LinkedHashSet<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--keep-timelines" -> keepTimelines = true;
                case "--rounds" -> rounds = Integer.parseInt(value(args, ++i, "--rounds"));
                case "--out" -> out = Path.of(value(args, ++i, "--out"));
                case "--base" -> base = Path.of(value(args, ++i, "--base"));
                case "-h", "--help" -> {
                    usage();
                    return;
                }
                default -> {
                    if (!GROUPS.contains(args[i])) {
                        System.err.println("ComputeBench: unknown argument '" + args[i] + "'");
                        usage();
                        System.exit(2);
                    }
                    groups.add(args[i]);
                }
            }
        }
        out = out.toAbsolutePath().normalize();
        if (groups.isEmpty()) {
            groups.addAll(GROUPS);
        }
        Settings settings = Settings.of(quick, rounds, out, base.toAbsolutePath().normalize(), keepTimelines);
        Files.createDirectories(settings.logs());
        configureLogging(settings.logs());

        Args.requireRoot("ComputeBench");
        traversableDir(settings.base());
        Path runDir = traversableDir(settings.base().resolve("run-" + LocalDateTime.now().format(STAMP)));
        PostgresInstall install = PostgresInstall.locate();
        OsUser user = OsUser.forPostgres();
        String password = "bench-" + UUID.randomUUID();
        Map<String, String> pgSettings = pgSettings(install);

        BenchEnv.log("compute benchmarks: %s; PostgreSQL %d at %s; pgbench scale %d, %d clients, -j %d, %s runs, %d round(s);"
                        + " %d cold starts; %d initdb round(s); steps %s;%s data under %s",
                quick ? "quick" : "full", install.majorVersion(), install.binDir(), settings.scale(), settings.clients(),
                settings.threads(), Md.seconds(settings.run()), settings.rounds(), settings.coldStarts(), settings.initdbRounds(),
                groups, keepTimelines ? " timelines kept;" : "", runDir);
        long started = System.nanoTime();
        Report report = new Report();
        double loadBefore = Cpu.load1();
        Pageserver pageserver = Pageserver.start(PageserverConfig.defaults(runDir.resolve("pages")).withEphemeralPorts());
        BenchEnv.log("pageserver started in this JVM: page port %d, store %s", pageserver.pagePort(), runDir.resolve("pages"));
        Env env = new Env(settings, pageserver, install, user, password, runDir, pgSettings,
                new Pgbench(install, SUPERUSER, password, settings.logs().resolve("pgbench")));
        try {
            if (groups.contains("initdb")) {
                step(report, "initdb", () -> new InitdbBench(env).run(report));
            }
            Project project = null;
            try {
                if (groups.contains("pgbench") || groups.contains("coldstart")) {
                    project = Project.setUp(env, report);
                }
                Project p = project;
                if (groups.contains("pgbench")) {
                    step(report, "throughput", () -> new ThroughputBench(env, p).run(report));
                }
                if (groups.contains("coldstart")) {
                    step(report, "cold start", () -> new ColdStartBench(env, p).run(report));
                }
            } catch (RuntimeException | java.sql.SQLException e) {
                BenchEnv.log("project set-up failed: %s", e);
                e.printStackTrace();
                report.failure("project set-up", e);
            } finally {
                if (project != null) {
                    project.close();
                }
            }
        } finally {
            pageserver.close();
            BenchEnv.log("pageserver closed; deleting %s", runDir);
            BenchEnv.deleteOrLog(runDir);
        }
        double loadAfter = Cpu.load1();
        String text = "Steps " + String.join(", ", groups) + "; pageserver in the harness's JVM; pgbench scale "
                + settings.scale() + ", " + settings.clients()
                + " clients, -j " + settings.threads() + ", " + Md.seconds(settings.run()) + " per measured run, "
                + settings.rounds() + " round(s) of compute and local disk alternating"
                + (quick ? " (quick mode: it proves that everything runs; the figures mean little)" : "")
                + (keepTimelines ? "; timelines kept until the end (--keep-timelines)"
                        : "; each initdb timeline and branch deleted when done")
                + ". Run took " + Math.round((System.nanoTime() - started) / 1e9) + " s; 1-minute load average "
                + Md.dec(loadBefore, 2) + " before, " + Md.dec(loadAfter, 2) + " after.\n\n" + report.render();
        Files.writeString(out.resolve("report.md"), text);
        System.out.print(text);
        System.out.flush();
        BenchEnv.log("report in %s", out.resolve("report.md"));
        System.exit(report.failed() ? 1 : 0);
    }

    /**
     * Before any logger exists: the pageserver's and the agent's INFO lines go to {@code <logs>/harness.log},
     * warnings also to stderr. Without a configuration logback would log everything at DEBUG to the console.
     * Does nothing when {@code logback.configurationFile} is set.
     */
    public static void configureLogging(Path logs) throws IOException {
        if (System.getProperty("logback.configurationFile") == null) {
            Path config = logs.resolve("logback.xml");
            Files.writeString(config, LOGBACK.replace("@LOG@", logs.resolve("harness.log").toString()));
            System.setProperty("logback.configurationFile", config.toString());
        }
    }

    /**
     * The settings both servers run with: the compute's own ({@link ComputeSpec#COMPUTE_SETTINGS}, all legal on
     * local disk too), shared_buffers at PostgreSQL's default, written out, UTC log timestamps (read by
     * {@link PgLog}) and WAL I/O timing (read from {@code pg_stat_wal}).
     */
    public static Map<String, String> pgSettings(PostgresInstall install) {
        Map<String, String> s = new LinkedHashMap<>(ComputeSpec.COMPUTE_SETTINGS);
        if (install.majorVersion() < 14) {
            s.remove("recovery_init_sync_method");
        }
        s.put("shared_buffers", "128MB");
        s.put("log_timezone", "UTC");
        s.put("track_wal_io_timing", "on");
        return s;
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void step(Report report, String name, Step step) {
        try {
            step.run();
        } catch (Exception e) {
            BenchEnv.log("%s failed: %s", name, e);
            e.printStackTrace();
            report.failure(name, e);
        }
    }

    // ---- shared helpers --------------------------------------------------------------------------------------

    /** Creates {@code dir} (and parents) with mode 0755, so that user postgres can traverse it. */
    public static Path traversableDir(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Connection connect(int port, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", SUPERUSER);
        p.setProperty("password", password);
        p.setProperty("sslmode", "disable");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
    }

    public static String queryString(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    public static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** Copies {@code file} into the log directory as {@code name}; a missing file is fine. */
    static void keepLog(Settings settings, Path file, String name) {
        BenchEnv.keepLog(file, settings.logs().resolve(name));
    }

    private static String value(String[] args, int i, String flag) {
        return Args.value("ComputeBench", args, i, flag);
    }

    private static void usage() {
        System.err.println("usage: ComputeBench [--quick] [--rounds N] [--keep-timelines] [--out DIR] [--base DIR]"
                + " [initdb] [pgbench] [coldstart]");
    }
}
