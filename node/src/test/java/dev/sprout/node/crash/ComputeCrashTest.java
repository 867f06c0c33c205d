package dev.sprout.node.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sprout.compute.fuse.TimelineMount;
import dev.sprout.http.Secret;
import dev.sprout.node.ComputeMain;
import dev.sprout.node.PageserverMain;
import dev.sprout.pageserver.auth.Credentials;
import dev.sprout.testkit.Ports;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Kills, in the middle of a write load, PostgreSQL (SIGKILL to the postmaster), then the compute agent
 * (SIGKILL to its JVM: PostgreSQL loses its filesystem), then the pageserver (SIGKILL; restarted on the same
 * ports), five rounds each. Two writers insert rows in autocommit and record each acknowledged id in a ledger;
 * after every recovery each acknowledged id must be in the table.
 *
 * <p>The pageserver and the agent run as child JVMs, started with their mains, like in production.
 */
class ComputeCrashTest {
    private static final int ROUNDS = 5;
    private static final String PASSWORD = "crash-test-password";

    private final Path base = Path.of("/tmp", "sprout-crash-test-" + UUID.randomUUID());
    private final int pagePort = Ports.free();
    private final int httpPort = Ports.free();
    private final int pgPort = Ports.free();
    private final String timeline = UUID.randomUUID().toString();
    private Process pageserver;
    private Process agent;
    private int agentStarts;
    private int pageserverStarts;

    private final ConcurrentSkipListSet<Long> acknowledged = new ConcurrentSkipListSet<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong failedWrites = new AtomicLong();

    enum Victim {
        POSTGRES,
        AGENT,
        PAGESERVER
    }

    @AfterEach
    void cleanUp() throws Exception {
        stop.set(true);
        if (agent != null) {
            agent.destroy(); // SIGTERM: the agent stops PostgreSQL and unmounts
            agent.waitFor();
        }
        if (pageserver != null) {
            pageserver.destroyForcibly().waitFor();
        }
        TimelineMount.clearStale(base.resolve("compute/mnt"));
        try (var walk = Files.walk(base)) {
            walk.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void everyAcknowledgedCommitSurvivesKillsOfPostgresTheAgentAndThePageserver() throws Exception {
        Files.createDirectories(base);
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(base.resolve("password"), PASSWORD);
        startPageserver();
        createRootTimeline();
        startAgent();
        try (Connection c = connect()) {
            c.createStatement().execute("CREATE TABLE ledger (id bigint PRIMARY KEY, payload text NOT NULL)");
        }
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            int first = w;
            writers.add(Thread.ofPlatform().name("writer-" + w).start(() -> write(first, 2)));
        }

        for (Victim victim : Victim.values()) {
            for (int round = 1; round <= ROUNDS; round++) {
                String what = victim + " round " + round;
                awaitProgress(what + ": load before the kill", Duration.ofSeconds(90));
                switch (victim) {
                    case POSTGRES -> {
                        long pid = Long.parseLong(Files.readString(base.resolve("compute/postmaster.pid"))
                                .trim());
                        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
                    }
                    case AGENT -> {
                        agent.destroyForcibly().waitFor();
                        startAgent();
                    }
                    case PAGESERVER -> {
                        pageserver.destroyForcibly().waitFor();
                        startPageserver();
                    }
                }
                awaitProgress(what + ": load after recovery", Duration.ofSeconds(120));
                verifyLedger(what);
            }
        }
        stop.set(true);
        for (Thread t : writers) {
            t.join();
        }
        verifyLedger("the end");
        System.out.printf(
                "crash test: %d commits acknowledged, %d writes failed during outages, %d agent starts,"
                        + " %d pageserver starts%n",
                acknowledged.size(), failedWrites.get(), agentStarts, pageserverStarts);
    }

    /** Inserts ids first, first + step, ... in autocommit; records each acknowledged one; reconnects on errors. */
    private void write(long first, long step) {
        long next = first;
        Connection c = null;
        while (!stop.get()) {
            try {
                if (c == null) {
                    c = connect();
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO ledger VALUES (?, ?)")) {
                    ps.setLong(1, next);
                    ps.setString(2, "row " + next);
                    ps.executeUpdate();
                }
                acknowledged.add(next);
                next += step;
            } catch (SQLException e) {
                // Unknown outcome (the row may or may not be there): never reuse the id.
                next += step;
                failedWrites.incrementAndGet();
                closeQuietly(c);
                c = null;
                sleep(100);
            }
        }
        closeQuietly(c);
    }

    private void awaitProgress(String what, Duration timeout) {
        int before = acknowledged.size();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (acknowledged.size() < before + 20) {
            if (System.nanoTime() > deadline) {
                fail(what + ": fewer than 20 commits acknowledged in " + timeout + " (agent log: " + tail("agent.log")
                        + "\npostgres log: " + tail("compute/postgres.log") + ")");
            }
            sleep(20);
        }
    }

    private void verifyLedger(String when) throws Exception {
        Set<Long> expected = new HashSet<>(acknowledged); // each acknowledged before the query starts
        Set<Long> present = new HashSet<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try (Connection c = connect();
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT id FROM ledger")) {
                while (rs.next()) {
                    present.add(rs.getLong(1));
                }
                break;
            } catch (SQLException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                sleep(100);
            }
        }
        expected.removeAll(present);
        assertEquals(Set.of(), expected, when + ": acknowledged commits missing after recovery");
        assertTrue(present.size() >= acknowledged.size() - 100, when + ": the table holds the acknowledged rows");
    }

    private void startPageserver() throws Exception {
        Path ready = base.resolve("pageserver.ready");
        Files.deleteIfExists(ready);
        pageserver = child(
                "pageserver",
                List.of(
                        PageserverMain.class.getName(),
                        "--data-dir",
                        base.resolve("pages").toString(),
                        "--page-port",
                        "" + pagePort,
                        "--http-port",
                        "" + httpPort,
                        "--gc-interval",
                        "0s",
                        "--page-cache",
                        "32MiB",
                        "--ready-file",
                        ready.toString()),
                "-Xmx256m");
        awaitFile(ready, pageserver, "pageserver");
        pageserverStarts++;
    }

    private void startAgent() throws Exception {
        Path ready = base.resolve("agent.ready");
        Files.deleteIfExists(ready);
        agent = child(
                "agent",
                List.of(
                        ComputeMain.class.getName(),
                        "--pageserver",
                        "127.0.0.1:" + pagePort,
                        "--timeline",
                        timeline,
                        "--work-dir",
                        base.resolve("compute").toString(),
                        "--port",
                        "" + pgPort,
                        "--password-file",
                        base.resolve("password").toString(),
                        "--page-secret-file",
                        Credentials.pageServiceFile(base.resolve("pages")).toString(),
                        "--initdb",
                        "--cache",
                        "32",
                        "--ready-file",
                        ready.toString()),
                "-Xmx384m");
        awaitFile(ready, agent, "agent");
        agentStarts++;
    }

    private Process child(String name, List<String> mainAndArgs, String heap) throws IOException {
        // The child's temporary directory is the test's: RocksDB unpacks its 15 MB native library there, and a JVM
        // killed with SIGKILL cannot delete it, so it goes with the test's directory instead of piling up in /tmp.
        Path tmp = Files.createDirectories(base.resolve("tmp"));
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                heap,
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Djava.io.tmpdir=" + tmp,
                "-cp",
                System.getProperty("java.class.path")));
        cmd.addAll(mainAndArgs);
        File log = base.resolve(name + ".log").toFile();
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
    }

    private void awaitFile(Path ready, Process p, String name) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!Files.exists(ready)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                fail(name + " did not become ready (exit " + (p.isAlive() ? "none" : p.exitValue()) + "): "
                        + tail(name + ".log"));
            }
            sleep(20);
        }
    }

    private void createRootTimeline() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/v1/timelines"))
                                .header(
                                        "Authorization",
                                        "Bearer " + Secret.read(Credentials.adminTokenFile(base.resolve("pages"))))
                                .POST(HttpRequest.BodyPublishers.ofString("{\"timelineId\":\"" + timeline + "\"}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode(), r.body());
    }

    private Connection connect() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", PASSWORD);
        p.setProperty("sslmode", "disable");
        p.setProperty("connectTimeout", "5");
        p.setProperty("socketTimeout", "30");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres", p);
    }

    private String tail(String file) {
        try {
            List<String> lines = Files.readAllLines(base.resolve(file));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no " + file + ": " + e.getMessage() + ")";
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // the connection is already broken
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
