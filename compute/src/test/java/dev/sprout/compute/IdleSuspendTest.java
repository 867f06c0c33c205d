package dev.sprout.compute;

import static dev.sprout.compute.Fixture.connect;
import static dev.sprout.testkit.Sql.exec;
import static dev.sprout.testkit.Sql.queryLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.compute.fuse.TimelineMount;
import dev.sprout.compute.postgres.ClientBackends;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.testkit.ManualClock;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Idle suspension, driven by a clock the test moves: a compute with a client connection never counts as idle, one
 * without is suspended once {@link ComputeSpec#idleSuspend()} has passed, and resumes with its data.
 *
 * <p>The watchdog also calls {@link Compute#suspendIfIdle()} every second with the same clock. Each step that
 * moves the clock runs while holding the compute's monitor (its lifecycle lock), so the watchdog's check cannot
 * slip in between. Each such step first waits until PostgreSQL has no client backend left: a closed connection's
 * backend exits a moment after the client lets go, and while it lingers
 * {@code suspendIfIdle} counts it as a client and restarts the idle period. The watchdog's check opens no
 * connection itself: it counts client backends from their process titles.
 */
class IdleSuspendTest {
    private static final Duration IDLE = Duration.ofMinutes(5);

    @Test
    void aComputeWithoutClientsIsSuspendedAfterTheIdlePeriodAndResumesWithItsData() throws Exception {
        try (Fixture fx = new Fixture()) {
            TimelineId root = fx.newRoot();
            ManualClock clock = new ManualClock(Instant.parse("2025-01-01T00:00:00Z"));
            ComputeSpec spec = fx.spec(root, "idle").withIdleSuspend(IDLE);
            try (Compute c = Compute.start(spec, true, clock)) {
                long pid = c.postgresPid();
                try (Connection conn = connect(c.port())) {
                    exec(conn, "CREATE TABLE kept (id int PRIMARY KEY, v text NOT NULL)");
                    exec(conn, "INSERT INTO kept SELECT g, md5(g::text) FROM generate_series(1, 10000) g");

                    // An open connection, even an idle one, keeps the compute up however long it sits.
                    synchronized (c) {
                        assertTrue(clientBackends(c) >= 1, "the test's connection shows as a client backend");
                        clock.advance(Duration.ofMinutes(10));
                        assertFalse(c.suspendIfIdle(), "a compute with a client connection is not idle");
                        assertEquals(Compute.State.RUNNING, c.state());
                    }
                    assertEquals(10000, queryLong(conn, "SELECT count(*) FROM kept"), "the connection still works");
                }

                // No connection: 4 minutes is not yet idle enough...
                synchronized (c) {
                    awaitNoClientBackends(c);
                    clock.advance(Duration.ofMinutes(4));
                    assertFalse(c.suspendIfIdle(), "4 of 5 idle minutes do not suspend");
                    assertEquals(Compute.State.RUNNING, c.state());
                }
                assertEquals(pid, c.postgresPid());
                assertTrue(TimelineMount.isMounted(spec.mountPoint()));

                // ... past 5 minutes is.
                synchronized (c) {
                    awaitNoClientBackends(c);
                    clock.advance(Duration.ofMinutes(1).plusSeconds(30));
                    assertTrue(c.suspendIfIdle(), "5.5 idle minutes suspend the compute");
                    assertEquals(Compute.State.SUSPENDED, c.state());
                }
                assertFalse(TimelineMount.isMounted(spec.mountPoint()), "a suspended compute is unmounted");
                assertRefuses(c.port());
                assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the postmaster is gone");
                assertThrows(ComputeException.class, c::connect);
                assertFalse(c.suspendIfIdle(), "a suspended compute is not suspended again");

                c.resume();
                assertEquals(Compute.State.RUNNING, c.state());
                assertTrue(TimelineMount.isMounted(spec.mountPoint()));
                assertNotEquals(pid, c.postgresPid(), "resume started a new postmaster");
                try (Connection conn = connect(c.port())) {
                    assertEquals(10000, queryLong(conn, "SELECT count(*) FROM kept"));
                    assertEquals(10000L * 10001 / 2, queryLong(conn, "SELECT sum(id) FROM kept"));
                    assertEquals(1, queryLong(conn, "SELECT count(*) FROM kept WHERE id = 4242 AND v = md5('4242')"));
                }

                // touch() (the proxy routing a connection) restarts the idle period.
                synchronized (c) {
                    awaitNoClientBackends(c);
                    clock.advance(Duration.ofMinutes(4));
                    c.touch();
                    clock.advance(Duration.ofMinutes(4));
                    assertFalse(c.suspendIfIdle(), "4 minutes since the last touch are not idle enough");
                    assertEquals(Compute.State.RUNNING, c.state());
                }

                // Watching an idle compute opens no session: the watchdog counts clients from process titles.
                long before = sessions(c);
                Thread.sleep(3500); // the watchdog's idle check runs every second, on real time
                assertEquals(
                        before + 1,
                        sessions(c),
                        "3.5 s of idle checks started no session (the one counted is the previous reading's)");
            }
        }
    }

    /** PostgreSQL's client backends, counted from the postmaster's children's process titles. */
    private static long clientBackends(Compute c) {
        return ClientBackends.of(c.postgresPid()).orElseThrow();
    }

    /** Sessions PostgreSQL has seen end, over every database (PostgreSQL 14's pg_stat_database.sessions). */
    private static long sessions(Compute c) throws Exception {
        try (Connection conn = connect(c.port())) {
            return queryLong(conn, "SELECT sum(sessions)::bigint FROM pg_stat_database");
        }
    }

    private static void awaitNoClientBackends(Compute c) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (clientBackends(c) > 0) {
            assertTrue(System.nanoTime() < deadline, "client backends still running after 30 s");
            Thread.sleep(20);
        }
    }

    private static void assertRefuses(int port) {
        assertThrows(
                ConnectException.class,
                () -> {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                    }
                },
                "nothing listens on port " + port);
    }
}
