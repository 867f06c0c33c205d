package dev.sprout.bench.imports;

import dev.sprout.bench.kit.Cpu;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.testkit.Sql;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The baseline: the real {@code pg_basebackup} of the source to a directory on local disk, with the flags
 * {@code sprout import} gives it ({@code -X fetch -c fast --no-manifest}), in tar format ({@code -Ft}) or plain
 * ({@code -Fp}). pg_basebackup fsyncs what it wrote before it exits (its default; no {@code --no-sync}), so the
 * timed run ends with the copy on disk. The directory is removed after each run, untimed. Also, for reference, the
 * same tar stream written to {@code /dev/null}: what the source and pg_basebackup give without any disk.
 */
final class PgBasebackup {
    private final PostgresInstall install;
    private final int port;
    private final String password;
    private final Path logs;

    PgBasebackup(PostgresInstall install, int port, String password, Path logs) {
        this.install = install;
        this.port = port;
        this.password = password;
        this.logs = logs;
    }

    /** One timed copy into {@code dir} (which must not exist), or to {@code /dev/null} for {@link Sample.Way#DEVNULL}. */
    Sample run(Sample.Way way, int run, Path dir, Children children) {
        List<String> command = new ArrayList<>(List.of(
                install.tool("pg_basebackup").toString(),
                "-h",
                "127.0.0.1",
                "-p",
                Integer.toString(port),
                "-U",
                Sql.SUPERUSER,
                "-D",
                way == Sample.Way.DEVNULL ? "-" : dir.toString(),
                "-F",
                way == Sample.Way.PLAIN ? "p" : "t",
                "-X",
                "fetch",
                "-c",
                "fast",
                "--no-manifest"));
        Path log = logs.resolve("pg_basebackup-" + way.name().toLowerCase(java.util.Locale.ROOT) + "-" + run + ".txt");
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(log.toFile())
                .redirectOutput(
                        way == Sample.Way.DEVNULL
                                ? ProcessBuilder.Redirect.DISCARD
                                : ProcessBuilder.Redirect.to(log.toFile()));
        pb.environment().put("PGPASSWORD", password);
        pb.environment().put("PGSSLMODE", "disable");
        try {
            Optional<Cpu.Sample> before = Cpu.read();
            long t = System.nanoTime();
            Process p = children.start(pb);
            try {
                if (!p.waitFor(2, TimeUnit.HOURS)) {
                    throw new IllegalStateException("pg_basebackup did not finish within 2 hours");
                }
            } finally {
                children.done(p);
            }
            double ms = (System.nanoTime() - t) / 1e6;
            Cpu.Window cpu = Cpu.between(before, Cpu.read());
            if (p.exitValue() != 0) {
                throw new IllegalStateException("pg_basebackup exited with " + p.exitValue() + ": "
                        + Files.readString(log).strip());
            }
            long bytes = way == Sample.Way.DEVNULL ? -1 : BenchEnv.treeBytes(dir);
            return new Sample(way, run, ms, bytes, cpu, Double.NaN, Double.NaN);
        } catch (IOException e) {
            throw new UncheckedIOException("pg_basebackup: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during pg_basebackup", e);
        } finally {
            if (way != Sample.Way.DEVNULL) {
                BenchEnv.deleteOrLog(dir);
            }
        }
    }

    /** {@code "$ pg_basebackup ..."} for the report. */
    static String commandLine(Sample.Way way) {
        return switch (way) {
            case TAR -> "pg_basebackup -D DIR -Ft -X fetch -c fast --no-manifest";
            case PLAIN -> "pg_basebackup -D DIR -Fp -X fetch -c fast --no-manifest";
            case DEVNULL -> "pg_basebackup -D - -Ft -X fetch -c fast --no-manifest > /dev/null";
            case SPROUT -> "sprout import postgresql://postgres@127.0.0.1:PORT/postgres --branch imp-N --json";
        };
    }
}
