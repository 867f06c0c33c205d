package dev.sprout.bench.proxy;

import dev.sprout.bench.compute.Pgbench;
import dev.sprout.bench.kit.BenchOptions;
import dev.sprout.bench.kit.Fmt;
import dev.sprout.bench.kit.Harness;
import dev.sprout.bench.kit.Report;
import dev.sprout.bench.kit.Table;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.postgres.PostgresInstall;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The wire-proxy benchmark: a compute reached directly, through {@link dev.sprout.proxy.WireProxy} (without and
 * with TLS) and, as the reference, through a private PgBouncer (when its binary is given), measured side by side in
 * one run, and a Markdown report with the ratios and the verdict on each goal.
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
@Command(
        name = "ProxyBench",
        mixinStandardHelpOptions = true,
        description =
                "A compute reached directly, through the wire proxy (without and with TLS) and through PgBouncer.")
public final class ProxyBench implements Callable<Integer> {
    static final List<String> STEPS = List.of("select", "connect");

    @Mixin
    BenchOptions options;

    @Mixin
    BenchOptions.Rounds rounds;

    @Option(
            names = "--connects",
            paramLabel = "N",
            converter = BenchOptions.Positive.class,
            description = "measured connection iterations (default 300; 50 with --quick)")
    Integer connects;

    @Option(names = "--pgbouncer", paramLabel = "PATH", description = "PgBouncer's binary, for the reference path")
    Path pgbouncer;

    @Option(
            names = "--pgbouncer-missing",
            paramLabel = "WHY",
            description = "why there is no PgBouncer (said in the report)")
    String pgbouncerMissing = "no PgBouncer binary given (`--pgbouncer PATH`)";

    public static void main(String[] args) {
        Harness.main(new ProxyBench(), args);
    }

    @Override
    public Integer call() throws Exception {
        Set<String> groups = options.steps(STEPS);
        boolean quick = options.quick;
        ProxySettings s = ProxySettings.of(
                quick,
                rounds.rounds(quick, 1, 3),
                connects != null ? connects : quick ? 50 : 300,
                options.out("proxy"),
                options.base("proxy"));
        Harness.Run run = Harness.Run.start("ProxyBench", s.out(), s.base());
        PostgresInstall install = run.install;
        BenchEnv.log(
                "wire-proxy benchmark: %s; PostgreSQL %d at %s; pgbench scale %d, %d clients, -j %d, %s runs after %s"
                        + " warm-ups, %d round(s); %d connection iterations after %d; steps %s; data under %s",
                quick ? "quick" : "full",
                install.majorVersion(),
                install.binDir(),
                s.scale(),
                s.clients(),
                s.threads(),
                Fmt.seconds(s.run()),
                Fmt.seconds(s.warmup()),
                s.rounds(),
                s.connects(),
                s.connectWarmup(),
                groups,
                run.runDir);
        Report report = run.report;
        String pgbouncerNote = "PgBouncer reference path skipped: " + pgbouncerMissing;
        Pgbench pgbench = new Pgbench(install, run.password, s.logs().resolve("pgbench"));
        try (run) {
            ProxyStack stack =
                    ProxyStack.start(run.runDir, install, run.password, pgbouncer, pgbouncerMissing, s.logs());
            try {
                pgbouncerNote = stack.pgbouncer != null
                        ? stack.pgbouncer.version() + " (session pooling) as the reference path"
                        : "PgBouncer reference path skipped: " + stack.pgbouncerSkipped;
                if (stack.pgbouncerFailed) {
                    report.failure(
                            "PgBouncer start (its path is skipped)", new IllegalStateException(stack.pgbouncerSkipped));
                }
                BenchEnv.log("pgbench -i -s %d on the compute (direct)", s.scale());
                Duration load = pgbench.init("init", stack.compute.port(), s.scale());
                BenchEnv.log("loaded in %s", Fmt.tenths(load));
                report.section(setup(stack, load, s));
                if (groups.contains("select")) {
                    run.step("select-only", () -> new SelectOnlyBench(s, stack, pgbench).run(report));
                }
                if (groups.contains("connect")) {
                    run.step("connection set-up", () -> new ConnectBench(s, stack, run.password).run(report));
                }
            } finally {
                BenchEnv.keepLog(stack.compute.logFile(), s.logs().resolve("postgres-compute-main.log"));
                stack.close();
            }
        } catch (RuntimeException e) {
            BenchEnv.log("set-up failed: %s", e);
            e.printStackTrace();
            report.failure("set-up", e);
        }
        return run.finish(
                "Steps " + String.join(", ", groups) + "; pageserver, compute's FUSE filesystem and proxy in the"
                        + " harness's JVM; pgbench scale " + s.scale() + ", " + s.clients() + " clients, -j "
                        + s.threads() + ", "
                        + Fmt.seconds(s.run()) + " per measured run, " + s.rounds() + " round(s); " + s.connects()
                        + " connection iterations; " + pgbouncerNote
                        + (quick ? " (quick mode: it proves that everything runs; the figures mean little)" : ""));
    }

    private static String setup(ProxyStack stack, Duration load, ProxySettings s) {
        var c = stack.proxy.config();
        Table t = new Table("what", "value");
        t.row("compute start with initdb (`Compute.start(spec, true)`)", Fmt.tenths(stack.computeStart));
        t.row("`pgbench -i -s " + s.scale() + "` through the compute's port", Fmt.tenths(load));
        t.row("proxy start (bind; self-signed certificate made on first start)", Fmt.ms(stack.proxyStart) + " ms");
        t.row(
                "proxy",
                c.bindAddress() + ", TLS " + (stack.proxy.tls() ? "offered (self-signed)" : "off") + ", Netty "
                        + ProxyStack.transport() + ", I/O threads "
                        + (c.ioThreads() == 0
                                ? "Netty's default (2 × " + Runtime.getRuntime().availableProcessors() + " cores)"
                                : c.ioThreads())
                        + ", max connections "
                        + c.maxConnections());
        t.row(
                "PostgreSQL settings (as the compute benchmark's)",
                stack.compute.spec().settings().entrySet().stream()
                        .map(e -> "`" + e.getKey() + "=" + e.getValue() + "`")
                        .sorted()
                        .collect(Collectors.joining(", ")));
        t.row(
                "routing",
                "branch `main` (the default when a connection names none) → 127.0.0.1:" + stack.compute.port());
        if (stack.pgbouncer != null) {
            t.row(
                    "PgBouncer (reference)",
                    stack.pgbouncer.version() + ", 127.0.0.1:" + stack.pgbouncer.port() + " (no Unix"
                            + " socket), run as user `postgres`, a child process of the harness (pid "
                            + stack.pgbouncer.pid()
                            + "); `pool_mode=" + PgBouncer.POOL_MODE + "`, `max_client_conn="
                            + PgBouncer.MAX_CLIENT_CONN
                            + "`, `default_pool_size=" + PgBouncer.DEFAULT_POOL_SIZE + "`, `auth_type=scram-sha-256`"
                            + " (plain-text password in its `auth_file`), `ignore_startup_parameters=extra_float_digits`; database"
                            + " `postgres` → 127.0.0.1:" + stack.compute.port());
        } else {
            t.row("PgBouncer (reference)", "**skipped**: " + stack.pgbouncerSkipped);
        }
        return "#### Set-up\n\n" + t.render();
    }
}
