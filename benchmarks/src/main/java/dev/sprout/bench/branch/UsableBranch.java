package dev.sprout.bench.branch;

import dev.sprout.bench.support.BenchEnv;
import dev.sprout.control.ControlPlane;
import dev.sprout.control.endpoint.Endpoint;
import dev.sprout.http.client.ApiClient;
import dev.sprout.protocol.v1.CreateBranchRequest;
import dev.sprout.testkit.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.Properties;

/**
 * One branch made usable, as a user sees it: {@code POST /v1/branches} over HTTP (what {@code sprout branch create}
 * sends), then pgjdbc through the proxy naming the new branch ({@code options=branch=NAME}), which wakes its compute,
 * and {@code SELECT 1}. Afterwards, untimed: a check that the branch holds main's data, whether its compute runs,
 * and the compute stopped (so that the computes of a run do not pile up on the machine).
 */
public final class UsableBranch {
    /**
     * What one branch took.
     *
     * @param createMs       the HTTP request, from send to the 201 answer
     * @param firstQueryMs   from that answer to the end of {@code SELECT 1} through the proxy (connect, wake-up with
     *                       the compute's start, SCRAM, the query)
     * @param wakeMs         of {@code firstQueryMs}, the proxy's wake-up through the control plane (the compute's
     *                       start: FUSE mount, PostgreSQL's start on the branch, waiting for it to accept connections)
     * @param addedBytes     the new timeline's own bytes in the store right after the create ({@code physicalBytes})
     * @param addedBytesAfter the same after the compute started, answered and stopped
     * @param running        whether the control plane saw the branch's compute running after the query
     */
    public record Sample(
            String name,
            double createMs,
            double firstQueryMs,
            double wakeMs,
            long addedBytes,
            long addedBytesAfter,
            boolean running) {
        public double totalMs() {
            return createMs + firstQueryMs;
        }
    }

    private final BranchStack stack;
    private final String password;
    private final int scale;

    public UsableBranch(BranchStack stack, String password, int scale) {
        this.stack = stack;
        this.password = password;
        this.scale = scale;
    }

    /**
     * The API as the {@code sprout} CLI calls it, one client per call: each CLI command is a new process with a new
     * client, so the TCP connection is made inside the timed request, as the CLI makes it (not the CLI's JVM start).
     */
    static ApiClient api(BranchStack stack) {
        return new ApiClient(
                "127.0.0.1",
                stack.pageserver.httpPort(),
                Optional.of(stack.pageserver.credentials().admin().value()));
    }

    public Sample measure(String name) throws SQLException {
        String request =
                ApiClient.json(CreateBranchRequest.newBuilder().setName(name).build());
        try (ApiClient api =
                api(stack)) { // made before the clock starts, like the CLI's, which exists before its request
            long t0 = System.nanoTime();
            ApiClient.Answer answer = api.send("POST", "/v1/branches", request); // a refusal throws, with its sentence
            long t1 = System.nanoTime();
            if (answer.status() != 201) {
                throw new IllegalStateException("POST /v1/branches {\"name\":\"" + name + "\"} answered "
                        + answer.status() + " (expected: 201, a new branch): " + answer.body());
            }
            long added = stack.control.get(name).timeline().physicalBytes();
            long t2;
            try (Connection c = connect(name)) {
                String one = Sql.queryString(c, "SELECT 1");
                t2 = System.nanoTime();
                if (!"1".equals(one)) {
                    throw new IllegalStateException("SELECT 1 on branch " + name + " answered '" + one + "'");
                }
                String branches = Sql.queryString(c, "SELECT count(*) FROM pgbench_branches");
                if (!Integer.toString(scale).equals(branches)) {
                    throw new IllegalStateException("branch " + name + " has " + branches + " rows in pgbench_branches"
                            + " (expected: " + scale + ", main's)");
                }
            }
            ControlPlane.BranchView view = stack.control.get(name);
            boolean running = view.endpoint().state() == Endpoint.State.RUNNING;
            stack.control.stop(name);
            long addedAfter = stack.control.get(name).timeline().physicalBytes();
            double wake = stack.lastWakeMs(name)
                    .orElseThrow(() ->
                            new IllegalStateException("the proxy did not ask the control plane for branch " + name));
            Sample s = new Sample(name, (t1 - t0) / 1e6, (t2 - t1) / 1e6, wake, added, addedAfter, running);
            BenchEnv.log(
                    "%s: create %.1f ms, first query %.1f ms (wake-up %.1f ms), total %.1f ms; compute %s; %d bytes"
                            + " added at create, %d after",
                    name,
                    s.createMs(),
                    s.firstQueryMs(),
                    wake,
                    s.totalMs(),
                    running ? "ran" : "did NOT run",
                    added,
                    addedAfter);
            return s;
        }
    }

    /** pgjdbc through the proxy to {@code branch}, without TLS, as user postgres with the computes' password. */
    public Connection connect(String branch) throws SQLException {
        Properties p = new Properties();
        p.setProperty("options", "branch=" + branch);
        return Sql.connect(stack.proxy.port(), "postgres", password, p);
    }
}
