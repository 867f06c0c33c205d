package dev.sprout.cli;

import dev.sprout.node.SproutNode;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.pageserver.config.PageserverTls;
import dev.sprout.protocol.tls.TlsSettings;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.storage.timeline.TimelineInfo;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sprout up}: starts the {@link LocalStack} (the pageserver, {@code main}, PostgreSQL on it and the wire
 * proxy in front), prints a connection string and how to try it, and runs until SIGINT or SIGTERM, which close it
 * cleanly. The control plane joins it in a later issue.
 */
@Command(
        name = "up",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description =
                "Start Sprout on the embedded default and run until Ctrl-C. That is the pageserver (page service and HTTP/JSON management API on 127.0.0.1, store in DIR/pages), the root timeline `main`, and PostgreSQL running on `main` (initdb on the first run) behind the wire proxy, whose port (--pg-port, TLS offered) is the one clients use; it prints a connection string. --listen binds the three elsewhere; an address that is not loopback takes TLS (--tls-self-signed or --tls-cert/--tls-key) on the HTTP API and the page service.")
final class UpCommand implements Callable<Integer> {
    /** The root timeline of the embedded store; a stable id so that every run finds it again. */
    static final int DEFAULT_PG_PORT = 55432;

    static final TimelineId MAIN = SproutNode.MAIN_TIMELINE;

    @Spec
    CommandSpec spec;

    @Mixin
    StoreDirectory dir;

    @Option(
            names = "--page-port",
            paramLabel = "PORT",
            defaultValue = "" + PageserverConfig.DEFAULT_PAGE_PORT,
            description = "Page service port on the --listen address (0 = any free port). Default: ${DEFAULT-VALUE}.")
    int pagePort;

    @Option(
            names = "--http-port",
            paramLabel = "PORT",
            defaultValue = "" + PageserverConfig.DEFAULT_HTTP_PORT,
            description = "HTTP API port on the --listen address (0 = any free port). Default: ${DEFAULT-VALUE}.")
    int httpPort;

    @Option(
            names = "--pg-port",
            paramLabel = "PORT",
            defaultValue = "" + DEFAULT_PG_PORT,
            description =
                    "The proxy's port on the --listen address, where clients connect (0 = any free port). Default: ${DEFAULT-VALUE}.")
    int pgPort;

    @Option(
            names = "--listen",
            paramLabel = "ADDRESS",
            defaultValue = "127.0.0.1",
            description =
                    "Address the HTTP API, the page service and the proxy bind to. Default: ${DEFAULT-VALUE}. One that is not loopback (0.0.0.0 included) is refused unless TLS is on (--tls-self-signed, or --tls-cert and --tls-key): tokens and pages would cross the network in the clear.")
    String listen;

    @Option(
            names = "--tls-cert",
            paramLabel = "FILE",
            description =
                    "TLS on the HTTP API and the page service with this certificate chain (PEM; with --tls-key); they then refuse plaintext. Other `sprout` commands trust it (or $SPROUT_TLS_CA).")
    Path tlsCert;

    @Option(
            names = "--tls-key",
            paramLabel = "FILE",
            description = "The private key of --tls-cert (PEM, PKCS#8, unencrypted).")
    Path tlsKey;

    @Option(
            names = "--tls-self-signed",
            description =
                    "TLS on the HTTP API and the page service with a self-signed certificate, made on the first start and kept in DIR/pages/tls/pageserver.crt (key 0600, directory 0700). `sprout` commands and the computes trust it; give it to remote clients as their trust anchor.")
    boolean tlsSelfSigned;

    @Override
    public Integer call() throws InterruptedException {
        requirePort("--page-port", pagePort);
        requirePort("--http-port", httpPort);
        requirePort("--pg-port", pgPort);
        LocalStack.Listen where = listen(spec, dir.dataDir, listen, tlsCert, tlsKey, tlsSelfSigned);
        System.out.println("sprout: starting (the first run creates the database cluster of `main`: a few seconds)");
        LocalStack stack =
                LocalStack.startWithCompute(dir.dataDir, pagePort, httpPort, pgPort, where, Clock.systemUTC());
        CountDownLatch stopped = new CountDownLatch(1);
        // Ctrl-C and SIGTERM start the JVM's shutdown, which runs this hook; the JVM exits when it returns.
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            try {
                                System.out.println();
                                System.out.println("sprout: stopping");
                                stack.close();
                                System.out.println("sprout: stopped (data kept in " + stack.dataDir() + ")");
                            } finally {
                                stopped.countDown();
                            }
                        },
                        "sprout-shutdown"));
        System.out.print(banner(stack));
        System.out.flush();
        stopped.await();
        return 0;
    }

    /**
     * Where to listen and with which TLS, from the flags; a usage error (exit 2, nothing started) when the flags do
     * not go together or the address is not loopback and TLS is off.
     */
    static LocalStack.Listen listen(
            CommandSpec spec, Path dataDir, String address, Path cert, Path key, boolean selfSigned) {
        TlsSettings tls;
        try {
            tls = PageserverTls.settings(
                    cert,
                    key,
                    selfSigned,
                    PageserverConfig.selfSignedDirectory(
                            dataDir.toAbsolutePath().normalize().resolve(SproutNode.PAGES)));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Optional<String> refused = PageserverConfig.listenRefusal(address, tls.enabled());
        if (refused.isPresent()) {
            throw new ParameterException(spec.commandLine(), refused.get());
        }
        return new LocalStack.Listen(address, tls);
    }

    /** What {@code sprout up} prints once the stack runs: where everything is, and commands to try. */
    static String banner(LocalStack stack) {
        TimelineInfo main = stack.main();
        String host = PageserverConfig.localAddress(stack.bindAddress());
        String api = (host.equals("127.0.0.1") ? "localhost" : host) + ":" + stack.httpPort();
        String timelines = "./sprout timelines"
                + (stack.httpPort() == PageserverConfig.DEFAULT_HTTP_PORT ? "" : " --http-port " + stack.httpPort());
        StringBuilder b = new StringBuilder();
        b.append("Sprout is up.\n");
        stack.connectionString()
                .ifPresent(url -> b.append("  postgres (main) ").append(url).append('\n'));
        stack.proxy()
                .ifPresent(p -> b.append("  proxy           ")
                        .append(p.address().getHostString())
                        .append(':')
                        .append(p.port())
                        .append(" (TLS offered, self-signed: ")
                        .append(stack.dataDir().resolve(SproutNode.PROXY))
                        .append("/proxy-tls.crt)\n"));
        stack.compute()
                .ifPresent(
                        c -> b.append("  postgres log    ").append(c.logFile()).append('\n'));
        b.append("  data directory  ").append(stack.dataDir()).append('\n');
        b.append("  page service    ")
                .append(stack.bindAddress())
                .append(':')
                .append(stack.pagePort())
                .append('\n');
        stack.tlsCertificate()
                .ifPresent(c -> b.append("  TLS certificate ")
                        .append(c)
                        .append(" (the HTTP API and the page service take TLS only)\n"));
        b.append("  management API  ")
                .append(stack.tlsCertificate().isPresent() ? "https" : "http")
                .append("://")
                .append(stack.bindAddress())
                .append(':')
                .append(stack.httpPort())
                .append("/\n");
        b.append("  timeline main   ")
                .append(main.id())
                .append(" (last LSN ")
                .append(main.lastLsn())
                .append(", ")
                .append(ByteSizes.format(main.logicalBytes()))
                .append(" logical)\n");
        b.append('\n');
        b.append("Try, from another terminal:\n");
        stack.connectionString()
                .ifPresent(url -> b.append("  psql '").append(url).append("'\n"));
        String http = (stack.httpPort() == PageserverConfig.DEFAULT_HTTP_PORT ? "" : " --http-port " + stack.httpPort())
                + dataDirFlag(stack);
        // The API wants the admin token; the CLI reads it from the data directory, curl is handed it.
        String curl = "curl -s"
                + stack.tlsCertificate().map(c -> " --cacert " + c).orElse("")
                + " -H \"Authorization: Bearer $(cat " + stack.adminTokenFile() + ")\" "
                + (stack.tlsCertificate().isPresent() ? "https://" : "") + api;
        String[][] tries = {
            {"./sprout branch create feature-x" + http, "a full, writable copy of main; copies nothing"},
            {
                "./sprout connect feature-x --psql" + http + pgPortFlag(stack),
                "psql on it (its PostgreSQL starts on first use)"
            },
            {"./sprout branch reset feature-x" + http, "back to main's current state, same connection string"},
            {"./sprout branch list" + http, "the branches as a tree"},
            {curl + "/v1/branches", "the same as JSON (docs/api.md)"},
            {curl + "/metrics | grep ^sprout_", "Sprout's metrics (Prometheus format)"},
            {timelines + dataDirFlag(stack), "the pageserver's timelines"}
        };
        int width = Arrays.stream(tries).mapToInt(t -> t[0].length()).max().orElse(0);
        for (String[] t : tries) {
            b.append("  ")
                    .append(t[0])
                    .append(" ".repeat(width - t[0].length()))
                    .append("   # ")
                    .append(t[1])
                    .append('\n');
        }
        b.append('\n');
        b.append("Ctrl-C stops it.\n");
        return b.toString();
    }

    /** What `sprout connect` needs besides the API port when `up` ran with a non-default proxy port. */
    private static String pgPortFlag(LocalStack stack) {
        return stack.proxy()
                .filter(p -> p.port() != DEFAULT_PG_PORT)
                .map(p -> " --pg-port " + p.port())
                .orElse("");
    }

    /** What every command that asks the API needs when `up` ran on a non-default data directory (its token is there). */
    private static String dataDirFlag(LocalStack stack) {
        return stack.dataDir()
                        .equals(Path.of(System.getenv().getOrDefault("SPROUT_DATA", ".sprout"))
                                .toAbsolutePath()
                                .normalize())
                ? ""
                : " --data-dir " + stack.dataDir();
    }

    private void requirePort(String flag, int port) {
        if (port < 0 || port > 65535) {
            throw new ParameterException(
                    spec.commandLine(),
                    flag + " " + port + " is not a TCP port (expected: 0-65535, 0 = any free port)");
        }
    }
}
