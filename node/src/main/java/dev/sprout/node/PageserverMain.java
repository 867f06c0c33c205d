package dev.sprout.node;

import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.auth.Credentials;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.pageserver.config.PageserverTls;
import dev.sprout.pageserver.config.Sizes;
import dev.sprout.protocol.tls.TlsSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sprout-pageserver}: runs a pageserver until SIGTERM/SIGINT. Settings come from flags, then from the
 * properties file named by {@code --config} (keys are the long option names without dashes, e.g.
 * {@code page-port=6400}), then from the defaults.
 */
@Command(
        name = "sprout-pageserver",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Serves the pages of Sprout's storage engine to computes (page service, Protobuf over TCP),",
            "timelines to operators (management API, HTTP/JSON) and metrics (GET /metrics, Prometheus format).",
            "",
            "Options may also come from a properties file (--config), one 'name=value' per line using the",
            "long option names without dashes; flags on the command line win over the file.",
            ""
        },
        footer = {
            "",
            "Sizes take KiB/MiB/GiB suffixes (binary); durations take ms/s/m/h/d suffixes.",
            "Example: sprout-pageserver --data-dir /var/lib/sprout --page-cache 1GiB --pitr-window 7d"
        })
public final class PageserverMain implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with more settings.")
    Path configFile;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            description = "Where the storage engine keeps its files (created if missing). Required.")
    Path dataDir;

    @Option(
            names = "--listen",
            paramLabel = "ADDRESS",
            defaultValue = "127.0.0.1",
            description =
                    "Address both ports bind to. Default: ${DEFAULT-VALUE}. An address that is not loopback (0.0.0.0 included) is refused unless TLS is on (--tls-self-signed, or --tls-cert and --tls-key).")
    String listen;

    @Option(
            names = "--tls-cert",
            paramLabel = "FILE",
            description = "TLS on both ports with this certificate chain (PEM; with --tls-key). Plaintext is refused.")
    Path tlsCert;

    @Option(
            names = "--tls-key",
            paramLabel = "FILE",
            description = "The private key of --tls-cert (PEM, PKCS#8, unencrypted).")
    Path tlsKey;

    @Option(
            names = "--tls-self-signed",
            description =
                    "TLS on both ports with a self-signed certificate made on the first start and kept in DIR/tls (pageserver.crt: give it to clients as their trust anchor; the key 0600 in a 0700 directory).")
    boolean tlsSelfSigned;

    @Option(
            names = "--page-port",
            paramLabel = "PORT",
            defaultValue = "" + PageserverConfig.DEFAULT_PAGE_PORT,
            description = "Page service port (0 = any free port). Default: ${DEFAULT-VALUE}.")
    int pagePort;

    @Option(
            names = "--http-port",
            paramLabel = "PORT",
            defaultValue = "" + PageserverConfig.DEFAULT_HTTP_PORT,
            description = "Management API and /metrics port (0 = any free port). Default: ${DEFAULT-VALUE}.")
    int httpPort;

    @Option(
            names = "--page-cache",
            paramLabel = "SIZE",
            defaultValue = "256MiB",
            description = "Bound of the page cache (0 turns it off). Default: ${DEFAULT-VALUE}.")
    String pageCache;

    @Option(
            names = "--pitr-window",
            paramLabel = "DURATION",
            defaultValue = "1d",
            description = "How far back every timeline stays readable and branchable. Default: ${DEFAULT-VALUE}.")
    String pitrWindow;

    @Option(
            names = "--gc-interval",
            paramLabel = "DURATION",
            defaultValue = "10m",
            description = "How often GC runs in the background (0s = never). Default: ${DEFAULT-VALUE}.")
    String gcInterval;

    @Option(
            names = "--max-message-size",
            paramLabel = "SIZE",
            defaultValue = "64MiB",
            description =
                    "Largest request frame or HTTP body; longer ones are refused before they are read. Default: ${DEFAULT-VALUE}.")
    String maxMessage;

    @Option(
            names = "--max-staged",
            paramLabel = "SIZE",
            defaultValue = "256MiB",
            description = "Page images one session may stage before it commits. Default: ${DEFAULT-VALUE}.")
    String maxStaged;

    @Option(
            names = "--storage-threads",
            paramLabel = "N",
            defaultValue = "0",
            description = "Threads for storage calls (0 = max(16, 4 x cores)).")
    int storageThreads;

    @Option(
            names = "--no-sync",
            description =
                    "Acknowledge commits before the disk has them (benchmarks only: a crash loses acknowledged commits).")
    boolean noSync;

    @Option(
            names = "--ready-file",
            paramLabel = "FILE",
            description = "Write 'pagePort httpPort' to FILE once both ports accept connections.")
    Path readyFile;

    PageserverConfig config() {
        if (dataDir == null) {
            throw new IllegalArgumentException(
                    "no data directory: pass --data-dir DIR (or data-dir=DIR in the --config file)");
        }
        // Bad input, said before anything starts (exit 2): TLS flags that do not go together, or an address that is
        // not loopback without TLS.
        TlsSettings tls;
        try {
            tls = PageserverTls.settings(tlsCert, tlsKey, tlsSelfSigned, PageserverConfig.selfSignedDirectory(dataDir));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        Optional<String> refused = PageserverConfig.listenRefusal(listen, tls.enabled());
        if (refused.isPresent()) {
            throw new CommandLine.ParameterException(spec.commandLine(), refused.get());
        }
        PageserverConfig d = PageserverConfig.defaults(dataDir);
        long maxMessageBytes = Sizes.bytes(maxMessage);
        if (maxMessageBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("max message size " + maxMessage + " is above 2 GiB");
        }
        Duration gc = Sizes.duration(gcInterval);
        return new PageserverConfig(
                dataDir,
                listen,
                pagePort,
                httpPort,
                Sizes.bytes(pageCache),
                Sizes.duration(pitrWindow),
                gc,
                (int) maxMessageBytes,
                Sizes.bytes(maxStaged),
                d.maxInFlight(),
                storageThreads == 0 ? d.storageThreads() : storageThreads,
                !noSync,
                PageserverTls.settings(tlsCert, tlsKey, tlsSelfSigned, PageserverConfig.selfSignedDirectory(dataDir)));
    }

    @Override
    public Integer call() throws Exception {
        PageserverConfig config = config();
        Files.createDirectories(config.dataDirectory());
        Pageserver server = Pageserver.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            server.close();
                            stopped.countDown();
                        },
                        "sprout-shutdown"));
        if (readyFile != null) {
            Path tmp = readyFile.resolveSibling(readyFile.getFileName() + ".tmp");
            Files.writeString(tmp, server.pagePort() + " " + server.httpPort() + "\n");
            Files.move(
                    tmp,
                    readyFile,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        System.out.println("sprout-pageserver: page service on " + config.bindAddress() + ":" + server.pagePort()
                + server.tlsCertificate()
                        .map(c -> " (TLS, certificate " + c + ")")
                        .orElse("")
                + ", management API on " + (server.tlsCertificate().isPresent() ? "https" : "http") + "://"
                + config.bindAddress() + ":" + server.httpPort() + "/ (data in "
                + config.dataDirectory().toAbsolutePath() + "; computes present " + Credentials.PAGE_SERVICE_FILE
                + " and API clients the bearer token " + Credentials.ADMIN_TOKEN_FILE + ", both in "
                + Credentials.directory(config.dataDirectory()) + ")");
        stopped.await();
        return 0;
    }

    public static void main(String[] args) {
        CommandLine cmd;
        try {
            cmd = commandLine(args);
        } catch (CommandLine.ParameterException e) {
            System.err.println("sprout-pageserver: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.exit(cmd.execute(args));
    }

    /** The command line; defaults come from the file named by --config when the arguments name one. */
    public static CommandLine commandLine(String[] args) {
        CommandLine cmd = new CommandLine(new PageserverMain());
        configFile(args).ifPresent(file -> {
            if (!Files.isReadable(file)) {
                throw new CommandLine.ParameterException(
                        cmd, "config file " + file.toAbsolutePath() + " cannot be read");
            }
            cmd.setDefaultValueProvider(new CommandLine.PropertiesDefaultProvider(file.toFile()));
        });
        cmd.setExecutionExceptionHandler((e, c, parsed) -> {
            c.getErr().println("sprout-pageserver: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 2;
        });
        return cmd;
    }

    private static java.util.Optional<Path> configFile(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                return java.util.Optional.of(Path.of(args[i + 1]));
            }
            if (args[i].startsWith("--config=")) {
                return java.util.Optional.of(Path.of(args[i].substring("--config=".length())));
            }
        }
        return java.util.Optional.empty();
    }
}
