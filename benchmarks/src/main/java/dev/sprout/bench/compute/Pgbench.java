package dev.sprout.bench.compute;

import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.testkit.Sql;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs PostgreSQL's own {@code pgbench} (of the installation the servers run) against a server on 127.0.0.1 as
 * the superuser, over TCP with SCRAM like the JDBC clients, its output kept in a file of the log directory.
 * Without TLS ({@code PGSSLMODE=disable}) unless {@link #withSslMode} says otherwise; database {@code postgres}
 * unless {@link #withDatabase} names another; libpq's {@code PGOPTIONS} only when {@link #withOptions} sets it
 * (through the wire proxy, {@code branch=NAME} picks the branch).
 */
public final class Pgbench {
    /** What one run printed. {@code tps} excludes the initial connection time, as pgbench 15 reports it. */
    public record Result(
            String label, double tps, double latencyMs, long transactions, long failed, Duration wall, Path output) {}

    private static final Pattern TPS =
            Pattern.compile("^tps = ([0-9.]+) \\(without initial connection time\\)", Pattern.MULTILINE);
    private static final Pattern LATENCY = Pattern.compile("^latency average = ([0-9.]+) ms", Pattern.MULTILINE);
    private static final Pattern PROCESSED =
            Pattern.compile("^number of transactions actually processed: (\\d+)", Pattern.MULTILINE);
    private static final Pattern FAILED = Pattern.compile("^number of failed transactions: (\\d+)", Pattern.MULTILINE);

    private final PostgresInstall install;
    private final String user;
    private final String password;
    private final Path logDir;
    private final String sslmode;
    private final String database;
    /** libpq's {@code PGOPTIONS}, or null to leave it unset. */
    private final String options;

    /** As {@link Sql#SUPERUSER} with {@code password}, the output in {@code logDir}. */
    public Pgbench(PostgresInstall install, String password, Path logDir) {
        this(install, Sql.SUPERUSER, password, logDir, "disable", "postgres", null);
    }

    private Pgbench(
            PostgresInstall install,
            String user,
            String password,
            Path logDir,
            String sslmode,
            String database,
            String options) {
        this.install = install;
        this.user = user;
        this.password = password;
        this.logDir = logDir;
        this.sslmode = sslmode;
        this.database = database;
        this.options = options;
    }

    /** The same runner with libpq's {@code PGSSLMODE} set to {@code sslmode} ({@code disable}, {@code require}, ...). */
    public Pgbench withSslMode(String sslmode) {
        return new Pgbench(install, user, password, logDir, sslmode, database, options);
    }

    /** The same runner against database {@code database} instead of {@code postgres}. */
    public Pgbench withDatabase(String database) {
        return new Pgbench(install, user, password, logDir, sslmode, database, options);
    }

    /** The same runner with libpq's {@code PGOPTIONS} set to {@code options} (e.g. {@code branch=NAME} for the proxy). */
    public Pgbench withOptions(String options) {
        return new Pgbench(install, user, password, logDir, sslmode, database, options);
    }

    /** {@code pgbench -i -s scale}: creates and loads the tables (client-side generation, then VACUUM and keys). */
    public Duration init(String label, int port, int scale) {
        long t = System.nanoTime();
        run(label, port, List.of("-i", "-s", Integer.toString(scale)), Duration.ofMinutes(30));
        return Duration.ofNanos(System.nanoTime() - t);
    }

    /** A measured run: {@code pgbench <args>}; fails when pgbench does or reports no throughput. */
    public Result bench(String label, int port, List<String> args, Duration expected) {
        long t = System.nanoTime();
        String out = run(label, port, args, expected.plusMinutes(5));
        Duration wall = Duration.ofNanos(System.nanoTime() - t);
        double tps = parseDouble(TPS, out, label);
        double latency = parseDouble(LATENCY, out, label);
        long processed = (long) parseDouble(PROCESSED, out, label);
        Matcher failed = FAILED.matcher(out);
        long failures = failed.find() ? Long.parseLong(failed.group(1)) : 0;
        return new Result(label, tps, latency, processed, failures, wall, logDir.resolve(label + ".txt"));
    }

    private String run(String label, int port, List<String> args, Duration timeout) {
        List<String> command = new ArrayList<>(List.of(
                install.tool("pgbench").toString(), "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", user));
        command.addAll(args);
        command.add(database);
        Path output = logDir.resolve(label + ".txt");
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(output.toFile());
        pb.environment().put("PGPASSWORD", password);
        pb.environment().put("PGSSLMODE", sslmode);
        if (options != null) {
            pb.environment().put("PGOPTIONS", options);
        }
        try {
            Files.createDirectories(logDir);
            Files.writeString(output, "");
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(
                        label + ": pgbench did not finish within " + timeout + "; see " + output);
            }
            String text = Files.readString(output);
            Files.writeString(output, "$ " + String.join(" ", command) + "\n" + text);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(label + ": pgbench exited with " + p.exitValue()
                        + "; its output ends with:\n" + tail(text, 15));
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException("pgbench " + label + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running pgbench " + label, e);
        }
    }

    private static double parseDouble(Pattern p, String out, String label) {
        Matcher m = p.matcher(out);
        if (!m.find()) {
            throw new IllegalStateException(
                    label + ": pgbench printed no '" + p.pattern() + "'; its output ends with:\n" + tail(out, 15));
        }
        return Double.parseDouble(m.group(1));
    }

    private static String tail(String text, int lines) {
        String[] all = text.split("\n");
        return String.join("\n", List.of(all).subList(Math.max(0, all.length - lines), all.length));
    }
}
