package dev.sprout.node;

import dev.sprout.compute.Compute;
import dev.sprout.compute.ComputeSpec;
import dev.sprout.compute.postgres.PostgresInstall;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A compute agent as its own process: {@code sprout-compute --timeline ID --work-dir DIR --port N ...}. It runs
 * until SIGTERM or SIGINT, then stops PostgreSQL, commits and unmounts. Exit codes: 0 after a clean stop,
 * 1 when the compute could not start (the message says why), 2 for bad arguments.
 */
@Command(
        name = "sprout-compute",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Runs PostgreSQL on a timeline of a Sprout pageserver, mounted through FUSE.")
public final class ComputeMain implements Callable<Integer> {
    @Spec
    CommandSpec command;

    @Option(
            names = "--pageserver",
            paramLabel = "HOST:PORT",
            defaultValue = "127.0.0.1:6400",
            description = "The pageserver's page service. Default: ${DEFAULT-VALUE}.")
    String pageserver;

    @Option(names = "--timeline", paramLabel = "ID", required = true, description = "The timeline to run on (a UUID).")
    String timeline;

    @Option(
            names = "--work-dir",
            paramLabel = "DIR",
            required = true,
            description = "The compute's local directory: mount point, socket directory, PostgreSQL's log.")
    Path workDir;

    @Option(
            names = "--port",
            paramLabel = "PORT",
            defaultValue = "55432",
            description = "PostgreSQL's port on 127.0.0.1. Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(
            names = "--password-file",
            paramLabel = "FILE",
            description = "File holding the superuser's password (else $SPROUT_PASSWORD).")
    Path passwordFile;

    @Option(
            names = "--page-secret-file",
            paramLabel = "FILE",
            description =
                    "File holding the pageserver's page-service secret, its data directory's secrets/page-service.secret"
                            + " (else $SPROUT_PAGE_SECRET).")
    Path pageSecretFile;

    @Option(
            names = "--pageserver-tls-ca",
            paramLabel = "FILE",
            description =
                    "Speak TLS to the page service, trusting the certificate(s) in FILE (PEM): the pageserver's own DATA/tls/pageserver.crt with --tls-self-signed, or the CA of its --tls-cert. The certificate must name the host of --pageserver. Default: plaintext (a loopback pageserver).")
    Path pageserverTlsCa;

    @Option(names = "--initdb", description = "Create a database cluster first if the timeline is empty.")
    boolean initdb;

    @Option(
            names = "--idle-suspend",
            paramLabel = "DURATION",
            defaultValue = "0s",
            description =
                    "Suspend after this long without client connections (e.g. 5m; 0s never). Default: ${DEFAULT-VALUE}.")
    String idleSuspend;

    @Option(
            names = "--cache",
            paramLabel = "MIB",
            defaultValue = "128",
            description = "Clean pages kept in memory, MiB. Default: ${DEFAULT-VALUE}.")
    long cacheMib;

    @Option(
            names = "--postgres-bin",
            paramLabel = "DIR",
            description =
                    "PostgreSQL's bin directory (13-17). Default: $SPROUT_PG_BIN, else /usr/lib/postgresql/15/bin, else the newest found.")
    Path postgresBin;

    @Option(
            names = "--no-writeback-cache",
            description =
                    "Send every write through at once instead of letting the kernel gather them (bulk loads get slower).")
    boolean noWritebackCache;

    @Option(names = "-c", paramLabel = "NAME=VALUE", description = "A PostgreSQL setting (repeatable).")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(
            names = "--ready-file",
            paramLabel = "FILE",
            description = "Write 'port postmasterPid' to FILE once PostgreSQL accepts connections.")
    Path readyFile;

    @Override
    public Integer call() throws Exception {
        int colon = pageserver.lastIndexOf(':');
        if (colon <= 0) {
            throw new CommandLine.ParameterException(
                    command.commandLine(), "--pageserver: expected HOST:PORT, got \"" + pageserver + "\"");
        }
        String password =
                passwordFile != null ? Files.readString(passwordFile).strip() : System.getenv("SPROUT_PASSWORD");
        if (password == null || password.isEmpty()) {
            throw new CommandLine.ParameterException(
                    command.commandLine(), "no password: give --password-file or set SPROUT_PASSWORD");
        }
        String secret =
                pageSecretFile != null ? Files.readString(pageSecretFile).strip() : System.getenv("SPROUT_PAGE_SECRET");
        if (secret == null || secret.isEmpty()) {
            throw new CommandLine.ParameterException(
                    command.commandLine(),
                    "no page-service secret: give --page-secret-file"
                            + " (the pageserver's DATA/secrets/page-service.secret) or set SPROUT_PAGE_SECRET");
        }
        ComputeSpec spec = ComputeSpec.of(
                        pageserver.substring(0, colon),
                        Integer.parseInt(pageserver.substring(colon + 1)),
                        timeline,
                        workDir,
                        port,
                        password)
                .withPageserverCredential(secret)
                .withSettings(settings)
                .withCacheBytes(cacheMib << 20)
                .withIdleSuspend(parseDuration(idleSuspend))
                .withWritebackCache(!noWritebackCache);
        if (pageserverTlsCa != null) {
            if (!Files.isReadable(pageserverTlsCa)) {
                throw new CommandLine.ParameterException(
                        command.commandLine(),
                        "--pageserver-tls-ca " + pageserverTlsCa + " does not exist or cannot be read");
            }
            spec = spec.withPageserverTls(pageserverTlsCa);
        }
        if (postgresBin != null) {
            spec = spec.withInstall(PostgresInstall.of(postgresBin));
        }
        Compute compute;
        try {
            compute = Compute.start(spec, initdb);
        } catch (RuntimeException e) {
            System.err.println("sprout-compute: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            compute.close();
                            stopped.countDown();
                        },
                        "compute-shutdown"));
        System.out.println("sprout-compute: PostgreSQL on timeline " + timeline + " at " + compute.jdbcUrl() + " (log: "
                + compute.logFile() + ")");
        if (readyFile != null) {
            Path tmp = readyFile.resolveSibling(readyFile.getFileName() + ".tmp");
            Files.writeString(tmp, port + " " + compute.postgresPid());
            Files.move(tmp, readyFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        stopped.await();
        return 0;
    }

    /** "90s", "5m", "1h", "0s", or ISO-8601 ("PT5M"). */
    static Duration parseDuration(String text) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        try {
            if (t.startsWith("pt")) {
                return Duration.parse(t.toUpperCase(java.util.Locale.ROOT));
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> throw new IllegalArgumentException();
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a duration: \"" + text + "\" (expected e.g. 90s, 5m, 1h)");
        }
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new ComputeMain());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("sprout-compute: " + e.getMessage());
            return e instanceof IllegalArgumentException ? 2 : 1;
        });
        return cl;
    }
}
