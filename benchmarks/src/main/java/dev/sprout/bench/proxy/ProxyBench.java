package dev.sprout.bench.proxy;

import dev.sprout.bench.compute.ComputeBench;
import dev.sprout.bench.compute.Cpu;
import dev.sprout.bench.compute.Md;
import dev.sprout.bench.compute.Pgbench;
import dev.sprout.bench.compute.Report;
import dev.sprout.bench.report.Table;
import dev.sprout.bench.support.Args;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.postgres.PostgresInstall;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The wire-proxy benchmark: a compute reached directly, through {@link dev.sprout.proxy.WireProxy} (without and
 * with TLS) and, as the reference, through a private PgBouncer (when its binary is given), measured side by side in
 * one run, and a Markdown report with the ratios and the verdict on each goal.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar dev.sprout.bench.proxy.ProxyBench \
 *     [--quick] [--rounds N] [--connects N] [--out DIR] [--base DIR] [--pgbouncer PATH | --pgbouncer-missing WHY]
 *     [select] [connect]
 * </pre>
 *
 * <ol>
 *   <li>{@link ProxyStack}: a pageserver, a compute with initdb on a new root timeline and the proxy, all in this
 *       JVM, and {@link PgBouncer} as a child process (with {@code --pgbouncer}); the compute loaded with
 *       {@code pgbench -i} through its own port;</li>
 *   <li>{@link SelectOnlyBench} ({@code select}): {@code pgbench -S -M prepared}, direct / proxy / proxy with TLS /
 *       PgBouncer, the order rotating, several rounds;</li>
 *   <li>{@link ConnectBench} ({@code connect}): connect, {@code SELECT 1}, close through pgjdbc, the paths
 *       interleaved.</li>
 * </ol>
 *
 * Steps may be picked by name; none named: both. The JVM must run as root (the compute's FUSE mount with
 * {@code allow_other}, PostgreSQL as user {@code postgres}). Progress lines go to stderr, the report to stdout and to
 * {@code <out>/report.md}, logs to {@code <out>/logs}.
 */
public final class ProxyBench {
    static final List<String> GROUPS = List.of("select", "connect");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    private ProxyBench() {}

    public static void main(String[] args) throws IOException {
        boolean quick = false;
        Integer rounds = null;
        Integer connects = null;
        Path out = Path.of("benchmarks", "target", "bench-proxy", LocalDateTime.now().format(STAMP));
        Path base = BenchEnv.baseDir().resolve("proxy");
        Path pgbouncer = null;
        String pgbouncerMissing = "no PgBouncer binary given (`--pgbouncer PATH`)";
        Set<String> groups = new LinkedHashSet<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--rounds" -> rounds = positive(value(args, ++i, "--rounds"), "--rounds");
                case "--connects" -> connects = positive(value(args, ++i, "--connects"), "--connects");
                case "--out" -> out = Path.of(value(args, ++i, "--out"));
                case "--base" -> base = Path.of(value(args, ++i, "--base"));
                case "--pgbouncer" -> pgbouncer = Path.of(value(args, ++i, "--pgbouncer"));
                case "--pgbouncer-missing" -> pgbouncerMissing = value(args, ++i, "--pgbouncer-missing");
                case "-h", "--help" -> {
                    usage();
                    return;
                }
                default -> {
                    if (!GROUPS.contains(args[i])) {
                        System.err.println("ProxyBench: unknown argument '" + args[i] + "'");
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
        ProxySettings s = ProxySettings.of(quick, rounds, connects, out, base.toAbsolutePath().normalize());
        Files.createDirectories(s.logs());
        ComputeBench.configureLogging(s.logs());
        Args.requireRoot("ProxyBench");
        ComputeBench.traversableDir(s.base());
        Path runDir = ComputeBench.traversableDir(s.base().resolve("run-" + LocalDateTime.now().format(STAMP)));
        PostgresInstall install = PostgresInstall.locate();
        String password = "bench-" + UUID.randomUUID();
        BenchEnv.log("wire-proxy benchmark: %s; PostgreSQL %d at %s; pgbench scale %d, %d clients, -j %d, %s runs after %s"
                        + " warm-ups, %d round(s); %d connection iterations after %d; steps %s; data under %s",
                quick ? "quick" : "full", install.majorVersion(), install.binDir(), s.scale(), s.clients(), s.threads(),
                Md.seconds(s.run()), Md.seconds(s.warmup()), s.rounds(), s.connects(), s.connectWarmup(), groups, runDir);

        long started = System.nanoTime();
        double loadBefore = Cpu.load1();
        Report report = new Report();
        String pgbouncerNote = "PgBouncer reference path skipped: " + pgbouncerMissing;
        Pgbench pgbench = new Pgbench(install, ComputeBench.SUPERUSER, password, s.logs().resolve("pgbench"));
        try {
            ProxyStack stack = ProxyStack.start(runDir, install, password, pgbouncer, pgbouncerMissing, s.logs());
            try {
                pgbouncerNote = stack.pgbouncer != null
                        ? stack.pgbouncer.version() + " (session pooling) as the reference path"
                        : "PgBouncer reference path skipped: " + stack.pgbouncerSkipped;
                if (stack.pgbouncerFailed) {
                    report.failure("PgBouncer start (its path is skipped)", new IllegalStateException(stack.pgbouncerSkipped));
                }
                BenchEnv.log("pgbench -i -s %d on the compute (direct)", s.scale());
                Duration load = pgbench.init("init", stack.compute.port(), s.scale());
                BenchEnv.log("loaded in %s", Md.seconds(Duration.ofMillis(load.toMillis() / 100 * 100)));
                report.section(setup(stack, load, s));
                if (groups.contains("select")) {
                    step(report, "select-only", () -> new SelectOnlyBench(s, stack, pgbench).run(report));
                }
                if (groups.contains("connect")) {
                    step(report, "connection set-up", () -> new ConnectBench(s, stack, password).run(report));
                }
            } finally {
                BenchEnv.keepLog(stack.compute.logFile(), s.logs().resolve("postgres-compute-main.log"));
                stack.close();
            }
        } catch (RuntimeException e) {
            BenchEnv.log("set-up failed: %s", e);
            e.printStackTrace();
            report.failure("set-up", e);
        } finally {
            BenchEnv.log("closed; deleting %s", runDir);
            BenchEnv.deleteOrLog(runDir);
        }
        double loadAfter = Cpu.load1();
        String text = "Steps " + String.join(", ", groups) + "; pageserver, compute's FUSE filesystem and proxy in the"
                + " harness's JVM; pgbench scale " + s.scale() + ", " + s.clients() + " clients, -j " + s.threads() + ", "
                + Md.seconds(s.run()) + " per measured run, " + s.rounds() + " round(s); " + s.connects()
                + " connection iterations; " + pgbouncerNote
                + (quick ? " (quick mode: it proves that everything runs; the figures mean little)" : "")
                + ". Run took " + Math.round((System.nanoTime() - started) / 1e9) + " s; 1-minute load average "
                + Md.dec(loadBefore, 2) + " before, " + Md.dec(loadAfter, 2) + " after.\n\n" + report.render();
        Files.writeString(out.resolve("report.md"), text);
        System.out.print(text);
        System.out.flush();
        BenchEnv.log("report in %s", out.resolve("report.md"));
        System.exit(report.failed() ? 1 : 0);
    }

    private static String setup(ProxyStack stack, Duration load, ProxySettings s) {
        var c = stack.proxy.config();
        Table t = new Table("what", "value");
        t.row("compute start with initdb (`Compute.start(spec, true)`)", Md.seconds(Duration.ofMillis(stack.computeStart.toMillis() / 100 * 100)));
        t.row("`pgbench -i -s " + s.scale() + "` through the compute's port", Md.seconds(Duration.ofMillis(load.toMillis() / 100 * 100)));
        t.row("proxy start (bind; self-signed certificate made on first start)", Md.ms(stack.proxyStart) + " ms");
        t.row("proxy", c.bindAddress() + ", TLS " + (stack.proxy.tls() ? "offered (self-signed)" : "off") + ", Netty "
                + ProxyStack.transport() + ", I/O threads " + (c.ioThreads() == 0 ? "Netty's default (2 × "
                + Runtime.getRuntime().availableProcessors() + " cores)" : c.ioThreads()) + ", max connections "
                + c.maxConnections());
        t.row("PostgreSQL settings (as the compute benchmark's)", stack.compute.spec().settings().entrySet().stream()
                .map(e -> "`" + e.getKey() + "=" + e.getValue() + "`").sorted().collect(Collectors.joining(", ")));
        t.row("routing", "branch `main` (the default when a connection names none) → 127.0.0.1:" + stack.compute.port());
        if (stack.pgbouncer != null) {
            t.row("PgBouncer (reference)", stack.pgbouncer.version() + ", 127.0.0.1:" + stack.pgbouncer.port() + " (no Unix"
                    + " socket), run as user `postgres`, a child process of the harness (pid " + stack.pgbouncer.pid()
                    + "); `pool_mode=" + PgBouncer.POOL_MODE + "`, `max_client_conn=" + PgBouncer.MAX_CLIENT_CONN
                    + "`, `default_pool_size=" + PgBouncer.DEFAULT_POOL_SIZE + "`, `auth_type=scram-sha-256`"
                    + " (plain-text password in its `auth_file`), `ignore_startup_parameters=extra_float_digits`; database"
                    + " `postgres` → 127.0.0.1:" + stack.compute.port());
        } else {
            t.row("PgBouncer (reference)", "**skipped**: " + stack.pgbouncerSkipped);
        }
        return "#### Set-up\n\n" + t.render();
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

    private static int positive(String v, String flag) {
        return Args.positive("ProxyBench", v, flag);
    }

    private static String value(String[] args, int i, String flag) {
        return Args.value("ProxyBench", args, i, flag);
    }

    private static void usage() {
        System.err.println("usage: ProxyBench [--quick] [--rounds N] [--connects N] [--out DIR] [--base DIR]"
                + " [--pgbouncer PATH | --pgbouncer-missing WHY] [select] [connect]");
    }
}
