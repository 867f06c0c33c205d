package dev.sprout.bench.kit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The machine a report was measured on, as the Markdown table at the top of every report (printed by the
 * {@code scripts/bench-*} launchers before the harness runs): CPUs, memory, the benchmark directory's disk, kernel,
 * JDK, and as asked PostgreSQL, libfuse, further rows, the load average and the command. The values come from the
 * same commands an operator would type ({@code nproc}, {@code free -h}, {@code df -h}, ...).
 */
@Command(
        name = "Machine",
        mixinStandardHelpOptions = true,
        description = "Prints the machine's description as a Markdown table.")
public final class Machine implements Callable<Integer> {
    @Option(names = "--dir", paramLabel = "DIR", description = "the benchmark directory, whose disk is described")
    Path dir = Path.of("/var/tmp");

    @Option(
            names = "--postgres",
            paramLabel = "BIN",
            description = "PostgreSQL's bin directory: its postgres and pgbench versions")
    Path postgres;

    @Option(names = "--fuse", description = "libfuse's version (fusermount3)")
    boolean fuse;

    @Option(names = "--row", paramLabel = "WHAT=VALUE", description = "a further row (repeatable, in order)")
    List<String> rows = new ArrayList<>();

    @Option(names = "--load", description = "the load average now")
    boolean load;

    @Option(names = "--command", paramLabel = "TEXT", description = "the command that ran the benchmark")
    String command;

    public static void main(String[] args) {
        Harness.main(new Machine(), args);
    }

    @Override
    public Integer call() {
        System.out.print(table());
        return 0;
    }

    String table() {
        Table t = new Table("what", "value");
        t.row("CPUs (`nproc`)", run("nproc") + " (" + cpuModel() + ")");
        t.row("memory", field(run("free", "-h"), "Mem:", 1));
        String[] df = last(run("df", "-h", "--output=source,fstype,size,avail", dir.toString()))
                .split("\\s+", -1);
        t.row(
                "disk (`df -h` of the benchmark directory)",
                df.length < 4 ? "" : df[0] + ", " + df[1] + ", " + df[2] + ", " + df[3] + " free");
        t.row("kernel (`uname -r`)", run("uname", "-r"));
        String home = System.getProperty("java.home");
        t.row("JDK", first(run(home + "/bin/java", "-version")) + " (" + home + ")");
        if (postgres != null) {
            String pg = run(postgres + "/postgres", "--version");
            String pgbench = run(postgres + "/pgbench", "--version");
            t.row(
                    "PostgreSQL",
                    (pg.isEmpty() ? "not found at " + postgres : pg) + "; "
                            + (pgbench.isEmpty() ? "no pgbench" : pgbench));
        }
        if (fuse) {
            t.row("libfuse", first(run("fusermount3", "--version")));
        }
        for (String row : rows) {
            int eq = row.indexOf('=');
            t.row(row.substring(0, Math.max(0, eq)), row.substring(eq + 1));
        }
        if (load) {
            t.row("load average before the run (`/proc/loadavg`)", loadAverage());
        }
        if (command != null) {
            t.row("command", "`" + command + "`");
        }
        return t.render() + "\n";
    }

    /** The 1-, 5- and 15-minute load averages, as {@code /proc/loadavg} has them. */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+", -1);
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .orElse("?");
        } catch (IOException e) {
            return "?";
        }
    }

    /** The {@code index}-th field of the line of {@code text} that starts with {@code label}. */
    static String field(String text, String label, int index) {
        return text.lines()
                .filter(l -> l.startsWith(label))
                .findFirst()
                .map(l -> l.trim().split("\\s+"))
                .filter(f -> f.length > index)
                .map(f -> f[index])
                .orElse("");
    }

    private static String first(String text) {
        return text.lines().findFirst().orElse("");
    }

    private static String last(String text) {
        List<String> lines = text.lines().toList();
        return lines.isEmpty() ? "" : lines.getLast();
    }

    /** What {@code command} printed (stdout and stderr), trimmed; empty when it cannot run or fails. */
    static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
