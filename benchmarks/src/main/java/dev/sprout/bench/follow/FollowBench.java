package dev.sprout.bench.follow;

import dev.sprout.bench.compute.NativeCluster;
import dev.sprout.bench.kit.Fmt;
import dev.sprout.bench.kit.Harness;
import dev.sprout.bench.kit.Stats;
import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.node.SproutNode;
import dev.sprout.storage.timeline.BranchPoint;
import dev.sprout.testkit.Sql;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * How fresh a follower stays and how fast a branch of it answers, on this machine: a source PostgreSQL on local
 * disk under {@code pgbench -c 4 -j 2} TPC-B for {@code --seconds}, followed by a Sprout node ({@code sprout follow},
 * the real CLI in a child JVM). The lag of each probe is the time from reading the source's {@code
 * pg_current_wal_lsn()} to the follower's {@code pg_last_wal_replay_lsn()} reaching it (probes every 100 ms, the
 * follower polled every 10 ms). Meanwhile, on a thread of its own so that the probes go on, {@code --branches}
 * times: a branch made from the follower and its first query through the proxy ({@code SELECT count(*) FROM pgbench_branches}), from the create request to the answer.
 * Prints a Markdown report on stdout; everything it started is stopped and its directory removed, also on Ctrl-C.
 */
@Command(name = "follow-bench", mixinStandardHelpOptions = true, description = "Follower lag and branch-from-follower.")
public final class FollowBench implements Callable<Integer> {
    @Option(names = "--seconds", defaultValue = "300", description = "How long pgbench runs on the source.")
    int seconds;

    @Option(names = "--scale", defaultValue = "10", description = "pgbench scale of the source.")
    int scale;

    @Option(names = "--branches", defaultValue = "10", description = "Branches made from the follower meanwhile.")
    int branches;

    @Option(names = "--jar", defaultValue = "cli/target/sprout.jar", description = "The sprout CLI's jar.")
    Path jar;

    @Option(names = "--base", defaultValue = "/var/tmp/sprout-bench/follow", description = "Where the data go.")
    Path base;

    public static void main(String[] args) {
        Harness.main(new FollowBench(), args);
    }

    @Option(
            names = "--logs",
            defaultValue = "benchmarks/target/bench-follow/logs",
            description = "Where the servers' log goes.")
    Path logs;

    @Override
    public Integer call() throws Exception {
        Harness.requireRoot("follow-bench");
        Harness.configureLogging(logs.toAbsolutePath());
        PostgresInstall install = PostgresInstall.locate();
        deleteTree(base);
        Files.createDirectories(base);
        Harness.traversableDir(base);
        String pw = "bench-pw";
        try (NativeCluster source = new NativeCluster(install, base.resolve("source"), pw)) {
            source.initAndStart();
            progress("loading pgbench scale " + scale + " into the source");
            run(
                    List.of(
                            install.tool("pgbench").toString(),
                            "-i",
                            "-q",
                            "-s",
                            Integer.toString(scale),
                            "-h",
                            "127.0.0.1",
                            "-p",
                            Integer.toString(source.port()),
                            "-U",
                            Sql.SUPERUSER,
                            "postgres"),
                    pw);
            Path data = base.resolve("sprout");
            try (SproutNode node = SproutNode.builder(data).ports(0, 0).proxy(0).start()) {
                String url = "postgresql://" + Sql.SUPERUSER + "@127.0.0.1:" + source.port() + "/postgres";
                progress("sprout follow " + url);
                long followStart = System.nanoTime();
                run(
                        List.of(
                                Path.of(System.getProperty("java.home"), "bin", "java")
                                        .toString(),
                                "--enable-native-access=ALL-UNNAMED",
                                "--sun-misc-unsafe-memory-access=allow",
                                "-jar",
                                jar.toString(),
                                "follow",
                                url,
                                "--branch",
                                "live",
                                "--http-port",
                                Integer.toString(node.pageserver().httpPort()),
                                "--data-dir",
                                data.toString()),
                        pw);
                Duration followTook = Duration.ofNanos(System.nanoTime() - followStart);
                InetSocketAddress live = node.control().wake("live");
                int proxy = node.proxy().orElseThrow().port();

                progress("pgbench -c 4 -j 2 -T " + seconds + " on the source; probing the follower's lag");
                Process load = start(
                        List.of(
                                install.tool("pgbench").toString(),
                                "-n",
                                "-c",
                                "4",
                                "-j",
                                "2",
                                "-T",
                                Integer.toString(seconds),
                                "-h",
                                "127.0.0.1",
                                "-p",
                                Integer.toString(source.port()),
                                "-U",
                                Sql.SUPERUSER,
                                "postgres"),
                        pw,
                        base.resolve("pgbench.log"));
                List<Double> lags = new ArrayList<>();
                List<Double> firstQuery = Collections.synchronizedList(new ArrayList<>());
                List<Double> createMs = Collections.synchronizedList(new ArrayList<>());
                // branches on a thread of their own: the lag probes go on while a branch starts
                ExecutorService brancher = Executors.newSingleThreadExecutor();
                Future<?> branching = brancher.submit(() -> {
                    long every = TimeUnit.SECONDS.toNanos(seconds) / (branches + 1);
                    for (int made = 1; made <= branches; made++) {
                        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(every));
                        double[] took = branchAndQuery(node, proxy, "from-live-" + made);
                        createMs.add(took[0]);
                        firstQuery.add(took[1]);
                    }
                    return null;
                });
                try (Connection src = DriverManager.getConnection(
                                "jdbc:postgresql://127.0.0.1:" + source.port() + "/postgres", Sql.SUPERUSER, pw);
                        Connection fol = DriverManager.getConnection(
                                "jdbc:postgresql://127.0.0.1:" + live.getPort() + "/postgres", Sql.SUPERUSER, pw)) {
                    record Probe(long at, String lsn) {}
                    Deque<Probe> pending = new ArrayDeque<>();
                    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
                    long nextProbe = 0;
                    while (System.nanoTime() < end) {
                        long now = System.nanoTime();
                        if (now >= nextProbe) {
                            pending.addLast(new Probe(now, one(src, "SELECT pg_current_wal_lsn()::text")));
                            nextProbe = now + 100_000_000L;
                        }
                        String replayed = one(fol, "SELECT pg_last_wal_replay_lsn()::text");
                        while (!pending.isEmpty()
                                && one(
                                                fol,
                                                "SELECT '" + replayed + "'::pg_lsn >= '"
                                                        + pending.peekFirst().lsn() + "'::pg_lsn")
                                        .equals("t")) {
                            lags.add((System.nanoTime() - pending.removeFirst().at()) / 1e6);
                        }
                        Thread.sleep(10);
                    }
                    branching.get(10, TimeUnit.MINUTES);
                } finally {
                    brancher.shutdownNow();
                    load.destroy();
                    load.waitFor(30, TimeUnit.SECONDS);
                }
                // a quiet source that has checkpointed since its last writes (as production does every few minutes):
                // what a branch then costs, its replay no longer the WAL of minutes of load
                List<Double> quietFirstQuery = new ArrayList<>();
                try (Connection src = DriverManager.getConnection(
                        "jdbc:postgresql://127.0.0.1:" + source.port() + "/postgres", Sql.SUPERUSER, pw)) {
                    one(src, "SELECT 1");
                    try (Statement st = src.createStatement()) {
                        st.execute("CHECKPOINT");
                    }
                    Thread.sleep(
                            2000); // the checkpoint record reaches the follower; a branch makes a restartpoint at it
                    for (int i = 1; i <= Math.max(3, branches / 2); i++) {
                        quietFirstQuery.add(branchAndQuery(node, proxy, "quiet-" + i)[1]);
                    }
                }
                report(followTook, lags, createMs, firstQuery, quietFirstQuery);
            }
        } finally {
            deleteTree(base);
        }
        return 0;
    }

    private void report(
            Duration followTook,
            List<Double> lags,
            List<Double> createMs,
            List<Double> firstQuery,
            List<Double> quietFirstQuery) {
        System.out.println("## Follow");
        System.out.println();
        System.out.println("pgbench TPC-B `-c 4 -j 2` for " + seconds + " s on a source of scale " + scale
                + " on local disk; `sprout follow` of it took " + Fmt.ms(followTook) + " ms.");
        System.out.println();
        System.out.println("| measure (ms) | n | p50 | p99 | max | goal |");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        row("follower lag (source LSN read → replayed on the follower)", lags, "p99 ≤ 1 s");
        row("branch create from the follower (server side)", createMs, "");
        row("branch from the follower → first query through the proxy, under the load", firstQuery, "p50 ≤ 1 s");
        row("the same after the load, the source checkpointed", quietFirstQuery, "p50 ≤ 1 s");
    }

    private static void row(String what, List<Double> ms, String goal) {
        if (ms.isEmpty()) {
            System.out.println("| " + what + " | 0 | – | – | – | " + goal + " |");
            return;
        }
        List<Double> sorted = ms.stream().sorted().toList();
        System.out.println("| " + what + " | " + ms.size() + " | " + Fmt.ms(Stats.percentile(sorted, 50)) + " | "
                + Fmt.ms(Stats.percentile(sorted, 99)) + " | " + Fmt.ms(sorted.getLast()) + " | " + goal + " |");
    }

    /**
     * Makes branch {@code name} of the follower, runs its first query through the proxy and deletes it; answers the
     * milliseconds of the create (server side) and from the create request to the query's answer.
     */
    private static double[] branchAndQuery(SproutNode node, int proxy, String name) throws SQLException {
        long t0 = System.nanoTime();
        node.control().create(name, "live", new BranchPoint.Head());
        long t1 = System.nanoTime();
        try (Connection b = DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + proxy + "/postgres?sslmode=disable&options=branch%3D" + name,
                Sql.SUPERUSER,
                node.password())) {
            one(b, "SELECT count(*) FROM pgbench_branches");
        }
        long t2 = System.nanoTime();
        node.control().delete(name, false);
        return new double[] {(t1 - t0) / 1e6, (t2 - t0) / 1e6};
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void run(List<String> command, String password) throws IOException, InterruptedException {
        Path log = Files.createTempFile("follow-bench-", ".log");
        try {
            Process p = start(command, password, log);
            if (p.waitFor() != 0) {
                throw new IllegalStateException(command.getFirst() + " failed:\n" + Files.readString(log));
            }
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static Process start(List<String> command, String password, Path log) throws IOException {
        ProcessBuilder pb =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("PGPASSWORD", password);
        return pb.start();
    }

    private static void progress(String line) {
        System.err.println("follow-bench: " + line);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
