package dev.sprout.bench.imports;

import dev.sprout.bench.kit.Cpu;
import dev.sprout.bench.kit.Harness;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.http.Json;
import dev.sprout.node.SproutNode;
import dev.sprout.protocol.v1.ImportSummary;
import dev.sprout.testkit.Sql;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * {@code sprout import} as a user runs it: a Sprout node (pageserver, control plane and computes, what
 * {@code sprout up} runs) started in this JVM on a fresh data directory on the same disk, and the real command
 * ({@code java -jar cli/target/sprout.jar import URL --branch imp-N --json}, as {@code ./sprout} runs it) in a child
 * JVM, timed from its start to its exit: the source's checks, pg_basebackup's archive streamed into a new root
 * timeline, and the first start of a compute on it (backup recovery). The node is started before the clock starts
 * and closed after it stops, its directory deleted: every run imports into an empty store, as pg_basebackup writes
 * into an empty directory. The CPU time of every thread of both JVMs and their child processes is measured
 * ({@link ThreadCpu}); with {@code jfr}, the child JVM and this JVM (the node) each record a JFR profile of the run.
 */
final class SproutImport {
    private final Path sproutJar;
    private final int sourcePort;
    private final String password;
    private final Path logs;

    SproutImport(Path sproutJar, int sourcePort, String password, Path logs) {
        this.sproutJar = sproutJar;
        this.sourcePort = sourcePort;
        this.password = password;
        this.logs = logs;
    }

    /** One import into a node on {@code dir} (created here, deleted afterwards); JFR profiles when {@code jfr}. */
    Sample run(String label, int run, Path dir, Children children, boolean jfr, ThreadCpu threads) {
        SproutNode node = SproutNode.builder(Harness.traversableDir(dir))
                .ports(0, 0)
                .password(password)
                .idleSuspend(Duration.ZERO)
                .start();
        children.add(node);
        String branch = "imp-" + run;
        Path out = logs.resolve("sprout-import-" + label + "-" + run + ".json");
        Path err = logs.resolve("sprout-import-" + label + "-" + run + ".txt");
        try {
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED"));
            if (jfr) {
                command.add("-XX:StartFlightRecording=filename=" + logs.resolve("jfr-" + label + "-cli.jfr")
                        + ",settings=profile");
            }
            command.addAll(List.of(
                    "-jar",
                    sproutJar.toString(),
                    "import",
                    "postgresql://" + Sql.SUPERUSER + "@127.0.0.1:" + sourcePort + "/postgres",
                    "--branch",
                    branch,
                    "--json",
                    "--data-dir",
                    dir.toString(),
                    "--http-port",
                    Integer.toString(node.pageserver().httpPort())));
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            pb.environment().put("PGPASSWORD", password);
            pb.environment().remove("SPROUT_TOKEN");
            pb.environment().remove("SPROUT_TLS_CA");
            Optional<Recording> recording = jfr ? Optional.of(record()) : Optional.empty();
            ThreadCpu.Window perThread = threads.start();
            Optional<Cpu.Sample> before = Cpu.read();
            long t = System.nanoTime();
            Process p = children.start(pb);
            try {
                if (!p.waitFor(2, TimeUnit.HOURS)) {
                    throw new IllegalStateException("sprout import did not finish within 2 hours");
                }
            } finally {
                children.done(p);
            }
            double ms = (System.nanoTime() - t) / 1e6;
            Cpu.Window cpu = Cpu.between(before, Cpu.read());
            perThread.stop();
            recording.ifPresent(r -> stop(r, logs.resolve("jfr-" + label + "-node.jfr")));
            if (p.exitValue() != 0) {
                throw new IllegalStateException(
                        "sprout import exited with " + p.exitValue() + ": " + tail(Files.readString(err)));
            }
            String printed = Files.readString(out);
            int json = printed.indexOf("\n{"); // JFR's start-up lines come first on stdout when it records
            ImportSummary summary = Json.parse(
                            (json < 0 ? printed : printed.substring(json + 1)).getBytes(StandardCharsets.UTF_8),
                            ImportSummary.newBuilder())
                    .build();
            node.control().get(branch); // the branch is there (throws if not)
            return new Sample(
                    Sample.Way.SPROUT,
                    run,
                    ms,
                    summary.getArchiveBytes(),
                    cpu,
                    summary.getImportMs(),
                    summary.getFirstStartMs());
        } catch (IOException e) {
            throw new UncheckedIOException("sprout import: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during sprout import", e);
        } finally {
            try {
                node.close();
            } finally {
                children.remove(node);
                keepComputeLogs(dir.resolve(SproutNode.COMPUTES), label + "-" + run);
                BenchEnv.deleteOrLog(dir);
            }
        }
    }

    private static Recording record() {
        try {
            Recording r = new Recording(Configuration.getConfiguration("profile"));
            r.start();
            return r;
        } catch (IOException | ParseException e) {
            throw new IllegalStateException("cannot start a JFR recording: " + e.getMessage(), e);
        }
    }

    private static void stop(Recording r, Path to) {
        try (r) {
            r.stop();
            r.dump(to);
        } catch (IOException e) {
            BenchEnv.log("could not write the JFR recording %s: %s", to, e.getMessage());
        }
    }

    /** Copies the PostgreSQL logs of the computes (the first start's) into the log directory. */
    private void keepComputeLogs(Path computes, String prefix) {
        if (!Files.isDirectory(computes)) {
            return;
        }
        try (var files = Files.walk(computes, 3)) {
            files.filter(f -> f.getFileName().toString().endsWith(".log") && Files.isRegularFile(f))
                    .forEach(f -> BenchEnv.keepLog(
                            f,
                            logs.resolve("compute-" + prefix + "-"
                                    + computes.relativize(f).toString().replace('/', '_'))));
        } catch (IOException | UncheckedIOException e) {
            BenchEnv.log("could not keep the compute logs of %s: %s", computes, e.getMessage());
        }
    }

    private static String tail(String text) {
        List<String> lines = text.strip().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    }
}
