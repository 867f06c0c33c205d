package dev.sprout.cli;

import dev.sprout.pageserver.config.PageserverConfig;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What {@code sprout import} and {@code sprout follow} share (a picocli mixin): where the source's password may
 * come from besides the URL, how long to wait for the source, where Sprout's API is, and {@code --json}.
 */
final class SourceOptions {
    @Option(
            names = "--password-file",
            paramLabel = "FILE",
            description = "Read the source's password from FILE's first line (else the URL, PGPASSWORD, ~/.pgpass).")
    Path passwordFile;

    @Option(
            names = "--connect-timeout",
            paramLabel = "SECONDS",
            defaultValue = "10",
            description = "How long to wait for the source to answer. Default: ${DEFAULT-VALUE}.")
    int connectTimeout;

    @Option(
            names = "--http-port",
            paramLabel = "PORT",
            defaultValue = "" + PageserverConfig.DEFAULT_HTTP_PORT,
            description = "Sprout's HTTP API port. Default: ${DEFAULT-VALUE}.")
    int httpPort;

    @Option(names = "--json", description = "Print the answer as JSON (ImportSummary, docs/api.md).")
    boolean json;

    @Mixin
    StoreDirectory dir;
}
