package dev.sprout.cli;

import dev.sprout.node.SproutNode;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.protocol.PastPoint;
import dev.sprout.protocol.WalLsn;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sprout connect BRANCH}: the connection string of a branch through the proxy (checked to exist first), or
 * with {@code --psql} a psql session on it.
 */
@Command(
        name = "connect",
        mixinStandardHelpOptions = true,
        description = {
            "Print the connection string of a branch (through the proxy), or open psql on it.",
            "The branch's compute starts on the first connection if it is not running."
        })
final class ConnectCommand implements Callable<Integer> {
    @Mixin
    StoreDirectory dir;

    @Parameters(paramLabel = "BRANCH", defaultValue = "main", description = "Default: main.")
    String branch;

    @Option(
            names = "--http-port",
            paramLabel = "PORT",
            defaultValue = "" + PageserverConfig.DEFAULT_HTTP_PORT,
            description = "Sprout's HTTP API port on 127.0.0.1. Default: ${DEFAULT-VALUE}.")
    int httpPort;

    @Option(
            names = "--pg-port",
            paramLabel = "PORT",
            defaultValue = "" + UpCommand.DEFAULT_PG_PORT,
            description = "The proxy's port (sprout up --pg-port). Default: ${DEFAULT-VALUE}.")
    int pgPort;

    @Option(names = "--psql", description = "Open psql on the branch instead of printing the string.")
    boolean psql;

    @Option(
            names = {"--at", "--at-lsn"},
            paramLabel = "TIME|lsn:N|WAL",
            description = {
                "The branch as it was at an RFC 3339 time, a Sprout LSN (lsn:N)",
                "or a PostgreSQL WAL position (0/16B3748, from pg_current_wal_lsn()):",
                "a read-only PostgreSQL at that point, started on the first connection, removed once idle."
            })
    String at;

    @Override
    public Integer call() throws IOException, InterruptedException {
        String target = branch;
        if (at != null) {
            try {
                String point = WalLsn.looksLike(at) && !at.startsWith("lsn:") ? "lsn:" + at : at;
                target = PastPoint.parse(branch + "@" + point).orElseThrow().target();
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.ParameterException(
                        new picocli.CommandLine(this), "--at " + at + ": " + e.getMessage());
            }
        }
        ManagementClient client = new ManagementClient(httpPort, dir.dataDir);
        client.get(BranchCommand.path(branch)); // refused with a sentence when unknown
        String url = url(target, client.host(), pgPort, password(dir.dataDir));
        if (!psql) {
            System.out.println(url);
            return 0;
        }
        Path psqlBin = dev.sprout.compute.postgres.PostgresInstall.locate().tool("psql");
        Process p =
                new ProcessBuilder(List.of(psqlBin.toString(), url)).inheritIO().start();
        return p.waitFor();
    }

    /** {@code postgresql://postgres:PW@127.0.0.1:PORT/postgres}, naming the branch in {@code options} unless main. */
    static String url(String branch, int port, String password) {
        return url(branch, "127.0.0.1", port, password);
    }

    /** The proxy on {@code host} (where `sprout up --listen` put it: the same address as the HTTP API's). */
    static String url(String branch, String host, int port, String password) {
        return "postgresql://postgres:" + URLEncoder.encode(password, StandardCharsets.UTF_8) + "@" + host + ":" + port
                + "/postgres"
                + (branch.equals("main")
                        ? ""
                        : "?options=" + URLEncoder.encode("branch=" + branch, StandardCharsets.UTF_8));
    }

    static String password(Path dataDir) {
        Path file = dataDir.resolve(SproutNode.PASSWORD_FILE);
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new SproutException(
                    "cannot read the password of " + dataDir + " (" + file + "): is this the data directory"
                            + " of the running `sprout up`? (--data-dir)",
                    e);
        }
    }
}
