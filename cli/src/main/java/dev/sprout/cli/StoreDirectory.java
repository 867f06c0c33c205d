package dev.sprout.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The --data-dir option that every command which runs on the local data directory shares. */
final class StoreDirectory {
    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            defaultValue = "${env:SPROUT_DATA:-.sprout}",
            description = "Where Sprout keeps its data (default: $SPROUT_DATA, else .sprout in the current directory).")
    Path dataDir;
}
