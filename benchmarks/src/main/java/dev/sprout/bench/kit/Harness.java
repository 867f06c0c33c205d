package dev.sprout.bench.kit;

import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.postgres.PostgresInstall;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;
import picocli.CommandLine;

/**
 * What the harness mains share around their measurements: the command line (picocli; a usage error exits with 2,
 * as the scripts expect), logging to the run's log directory, directories user postgres can traverse, steps that
 * fail alone, and {@link Run}: one run on PostgreSQL, from its scratch directory to the report.
 */
public final class Harness {
    /** The harnesses' logging configuration, written next to the logs (@LOG@: the log file). */
    private static final String LOGBACK = """
            <configuration>
              <appender name="file" class="ch.qos.logback.core.FileAppender">
                <file>@LOG@</file>
                <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
              </appender>
              <appender name="stderr" class="ch.qos.logback.core.ConsoleAppender">
                <target>System.err</target>
                <filter class="ch.qos.logback.classic.filter.ThresholdFilter"><level>WARN</level></filter>
                <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
              </appender>
              <logger name="dev.sprout" level="INFO"/>
              <root level="WARN">
                <appender-ref ref="file"/>
                <appender-ref ref="stderr"/>
              </root>
            </configuration>
            """;

    private Harness() {}

    /**
     * Parses {@code args} into {@code command} (a picocli {@code Callable<Integer>}), runs it and exits with its
     * status. An option given twice takes the last value, so a script's defaults can be overridden after them.
     */
    public static void main(Object command, String[] args) {
        System.exit(new CommandLine(command).setOverwrittenOptionsAllowed(true).execute(args));
    }

    /**
     * Before any logger exists: the servers' INFO lines go to {@code <logs>/harness.log}, warnings also to stderr.
     * Without a configuration logback would log everything at DEBUG to the console. Does nothing when
     * {@code logback.configurationFile} is set.
     */
    public static void configureLogging(Path logs) throws IOException {
        Files.createDirectories(logs);
        if (System.getProperty("logback.configurationFile") == null) {
            Path config = logs.resolve("logback.xml");
            Files.writeString(
                    config, LOGBACK.replace("@LOG@", logs.resolve("harness.log").toString()));
            System.setProperty("logback.configurationFile", config.toString());
        }
    }

    /**
     * Exits with 2 unless the JVM runs as root: the harnesses on PostgreSQL mount FUSE filesystems with
     * {@code allow_other} for user postgres and run PostgreSQL as that user.
     */
    public static void requireRoot(String program) {
        if (!"root".equals(System.getProperty("user.name"))) {
            System.err.println(program
                    + ": run as root (it mounts FUSE filesystems for user postgres and runs PostgreSQL as that user)");
            System.exit(2);
        }
    }

    /** Creates {@code dir} (and parents) with mode 0755, so that user postgres can traverse it. */
    public static Path traversableDir(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }

    /** A step of a run; it may throw anything. */
    public interface Step {
        void run() throws Exception;
    }

    /** Runs {@code step}; a failure is logged and reported, and the run goes on with its next step. */
    public static void step(Report report, String name, Step step) {
        try {
            step.run();
        } catch (Exception e) {
            BenchEnv.log("%s failed: %s", name, e);
            e.printStackTrace();
            report.failure(name, e);
        }
    }

    /** Writes {@code text} to {@code <out>/report.md} and stdout. */
    public static void publish(Path out, String text) throws IOException {
        Files.writeString(out.resolve("report.md"), text);
        System.out.print(text);
        System.out.flush();
        BenchEnv.log("report in %s", out.resolve("report.md"));
    }

    /**
     * One run of a harness on PostgreSQL: logging set up, root checked, a scratch directory
     * {@code <base>/run-<time>} (deleted by {@link #close}), the PostgreSQL installation, a fresh password, the
     * report, and the run's clock and load average from its start.
     */
    public static final class Run implements AutoCloseable {
        public final Path out;
        public final Path logs;
        public final Path runDir;
        public final PostgresInstall install;
        public final String password = "bench-" + UUID.randomUUID();
        public final Report report = new Report();
        private final long started = System.nanoTime();
        private final double loadBefore = Cpu.load1();

        private Run(Path out, Path runDir, PostgresInstall install) {
            this.out = out;
            this.logs = out.resolve("logs");
            this.runDir = runDir;
            this.install = install;
        }

        /** Sets up a run of {@code program} reporting to {@code out}, its data under {@code base}. */
        public static Run start(String program, Path out, Path base) throws IOException {
            configureLogging(out.resolve("logs"));
            requireRoot(program);
            traversableDir(base);
            Path runDir = traversableDir(base.resolve("run-" + BenchOptions.stamp()));
            return new Run(out, runDir, PostgresInstall.locate());
        }

        public void step(String name, Step step) {
            Harness.step(report, name, step);
        }

        /**
         * Publishes {@code intro}, the run's time and load and the report; answers the exit status (1 when a step
         * failed). Call it after {@link #close}.
         */
        public int finish(String intro) throws IOException {
            publish(
                    out,
                    intro + ". Run took " + Math.round((System.nanoTime() - started) / 1e9)
                            + " s; 1-minute load average " + Fmt.dec(loadBefore, 2) + " before, "
                            + Fmt.dec(Cpu.load1(), 2) + " after.\n\n" + report.render());
            return report.failed() ? 1 : 0;
        }

        @Override
        public void close() {
            BenchEnv.log("deleting %s", runDir);
            BenchEnv.deleteOrLog(runDir);
        }
    }
}
