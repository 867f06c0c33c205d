package dev.sprout.compute.postgres;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PostgreSQL installation: the directory holding its programs ({@code postgres}, {@code initdb}, {@code psql},
 * ...) and its major version, one of {@value #MIN_MAJOR} to {@value #MAX_MAJOR}.
 *
 * <p>{@link #locate()} finds the one Sprout should use; {@link #of(Path)} probes a given directory.
 *
 * <p>Concurrency: immutable; any thread may use it.
 */
public record PostgresInstall(Path binDir, int majorVersion) {
    /** The oldest major version Sprout supports. */
    public static final int MIN_MAJOR = 13;
    /** The newest major version Sprout supports. */
    public static final int MAX_MAJOR = 17;
    /** The environment variable naming the bin directory to use, overriding the search. */
    public static final String BIN_ENV = "SPROUT_PG_BIN";

    private static final Path DEBIAN_INSTALLS = Path.of("/usr/lib/postgresql");
    /** Searched in this order: the version Sprout is tested with first, then the others newest first. */
    private static final List<Integer> SEARCH_ORDER = List.of(15, 17, 16, 14, 13);

    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)");

    public PostgresInstall {
        Objects.requireNonNull(binDir, "binDir");
        if (majorVersion < MIN_MAJOR || majorVersion > MAX_MAJOR) {
            throw new IllegalArgumentException("PostgreSQL " + majorVersion + " at " + binDir
                    + " is not supported; Sprout supports " + MIN_MAJOR + " to " + MAX_MAJOR);
        }
    }

    /**
     * The installation named by {@code $SPROUT_PG_BIN} when that is set, else Debian's
     * {@code /usr/lib/postgresql/15/bin} when present, else the newest of {@code /usr/lib/postgresql/{17,16,14,13}/bin}.
     *
     * @throws PostgresException when {@code $SPROUT_PG_BIN} is unusable or no installation is found; the message
     *     says where it looked and how to install one
     */
    public static PostgresInstall locate() {
        return locate(System.getenv(BIN_ENV), DEBIAN_INSTALLS);
    }

    /** {@link #locate()} with the environment variable's value and the directory of per-version installs given. */
    static PostgresInstall locate(String binEnv, Path installs) {
        if (binEnv != null && !binEnv.isBlank()) {
            try {
                return of(Path.of(binEnv));
            } catch (PostgresException e) {
                throw new PostgresException(
                        BIN_ENV + "=" + binEnv + " is not a usable PostgreSQL bin directory: "
                                + e.getMessage() + "; point it at the bin directory of PostgreSQL " + MIN_MAJOR + " to "
                                + MAX_MAJOR + ", or unset it",
                        e);
            }
        }
        List<Path> searched = new ArrayList<>();
        for (int major : SEARCH_ORDER) {
            Path binDir = installs.resolve(Integer.toString(major)).resolve("bin");
            if (Files.isExecutable(binDir.resolve("postgres"))) {
                return of(binDir);
            }
            searched.add(binDir);
        }
        throw new PostgresException("no PostgreSQL installation found: " + BIN_ENV + " is not set and none of "
                + searched + " holds an executable postgres; install one (apt-get install postgresql-15) or set "
                + BIN_ENV + " to the bin directory of PostgreSQL " + MIN_MAJOR + " to " + MAX_MAJOR);
    }

    /**
     * The installation whose programs are in {@code binDir}, its version read from {@code postgres --version}.
     *
     * @throws PostgresException when {@code binDir} has no executable {@code postgres}, its version cannot be
     *     read, or it is not one Sprout supports
     */
    public static PostgresInstall of(Path binDir) {
        Path postgres = binDir.toAbsolutePath().normalize().resolve("postgres");
        if (!Files.isExecutable(postgres)) {
            throw new PostgresException("no executable " + postgres);
        }
        Exec.Result result = Exec.run(List.of(postgres.toString(), "--version"), null);
        Matcher version = VERSION.matcher(result.output());
        if (result.exitCode() != 0 || !version.find()) {
            throw new PostgresException(postgres + " --version exited with " + result.exitCode()
                    + " and printed no PostgreSQL version: " + result.output().strip());
        }
        int major = Integer.parseInt(version.group(1));
        if (major < MIN_MAJOR || major > MAX_MAJOR) {
            throw new PostgresException(
                    postgres + " is PostgreSQL " + major + "; Sprout supports " + MIN_MAJOR + " to " + MAX_MAJOR);
        }
        return new PostgresInstall(postgres.getParent(), major);
    }

    /**
     * The program {@code name} of this installation, such as {@code "initdb"} or {@code "pgbench"}.
     *
     * @throws PostgresException when there is no such executable in {@link #binDir()}
     */
    public Path tool(String name) {
        if (name.isEmpty() || name.contains("/")) {
            throw new IllegalArgumentException("not a program name: '" + name + "'");
        }
        Path tool = binDir.resolve(name);
        if (!Files.isExecutable(tool)) {
            throw new PostgresException("no executable " + tool + " in PostgreSQL " + majorVersion + " at " + binDir);
        }
        return tool;
    }
}
