package dev.sprout.compute;

import static dev.sprout.compute.Fixture.connect;
import static dev.sprout.testkit.Sql.exec;
import static dev.sprout.testkit.Sql.queryLong;
import static dev.sprout.testkit.Sql.queryString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.compute.fuse.TimelineMount;
import dev.sprout.storage.timeline.TimelineId;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import org.junit.jupiter.api.Test;

/** One writer per timeline: a second compute on a timeline that has one is refused and leaves the first alone. */
class FencingTest {

    @Test
    void aSecondComputeOnATimelineIsRefusedUntilTheFirstIsClosed() throws Exception {
        try (Fixture fx = new Fixture()) {
            TimelineId main = fx.newRoot();
            Compute first = fx.start(fx.spec(main, "first"), true);
            try (Connection c = connect(first.port())) {
                exec(c, "CREATE TABLE t (id int PRIMARY KEY, who text NOT NULL)");
                exec(c, "INSERT INTO t SELECT g, 'before' FROM generate_series(1, 1000) g");
            }
            long pid = first.postgresPid();

            ComputeSpec secondSpec = fx.spec(main, "second");
            ComputeException refused = assertThrows(ComputeException.class, () -> fx.start(secondSpec, false));
            assertTrue(refused.getMessage().contains("already has a running compute"), refused.getMessage());
            assertTrue(
                    refused.getMessage().contains(main.toString()),
                    "the message names the timeline: " + refused.getMessage());
            // The refused start left nothing behind: no mount, nothing on its port.
            assertFalse(
                    TimelineMount.isMounted(secondSpec.mountPoint()),
                    "the refused compute's mount point is not mounted");
            assertRefuses(secondSpec.port());

            // The first compute is untouched: same postmaster, still the timeline's writer. The CHECKPOINT pushes
            // its writes through FUSE to the pageserver, which would fence it had the refused attach displaced it.
            try (Connection c = connect(first.port())) {
                exec(c, "INSERT INTO t SELECT g, 'after' FROM generate_series(1001, 1500) g");
                exec(c, "CHECKPOINT");
                assertEquals(1500, queryLong(c, "SELECT count(*) FROM t"));
                assertEquals(500, queryLong(c, "SELECT count(*) FROM t WHERE who = 'after'"));
            }
            assertEquals(Compute.State.RUNNING, first.state());
            assertEquals(pid, first.postgresPid(), "the first compute's PostgreSQL was not restarted");
            assertEquals(0, first.crashRestarts());
            assertTrue(TimelineMount.isMounted(first.spec().mountPoint()));

            // Once the first is gone, the timeline takes a new compute, which sees everything the first committed.
            first.close();
            assertEquals(Compute.State.CLOSED, first.state());
            assertFalse(TimelineMount.isMounted(first.spec().mountPoint()));
            Compute second = fx.start(secondSpec, false);
            assertEquals(Compute.State.RUNNING, second.state());
            try (Connection c = connect(second.port())) {
                assertEquals(1500, queryLong(c, "SELECT count(*) FROM t"));
                assertEquals(500, queryLong(c, "SELECT count(*) FROM t WHERE who = 'after'"));
                assertEquals("after", queryString(c, "SELECT who FROM t WHERE id = 1500"));
                exec(c, "INSERT INTO t VALUES (1501, 'second')");
                assertEquals(1501, queryLong(c, "SELECT count(*) FROM t"));
            }
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
