package dev.sprout.compute;

import static dev.sprout.compute.Fixture.connect;
import static dev.sprout.testkit.Sql.exec;
import static dev.sprout.testkit.Sql.queryLong;
import static dev.sprout.testkit.Sql.queryString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.storage.timeline.TimelineId;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** initdb a project, load it, branch it while it runs, and check that each side sees only its own changes. */
class BranchIsolationTest {

    @Test
    void aBranchOfARunningComputeIsAFullWritableCopyAndBothSidesStayIsolated() throws Exception {
        try (Fixture fx = new Fixture()) {
            TimelineId main = fx.newRoot();
            Compute parent = fx.start(fx.spec(main, "main"), true);
            try (Connection c = connect(parent.port())) {
                exec(
                        c,
                        "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int NOT NULL CHECK (qty >= 0))");
                exec(c, "INSERT INTO items SELECT g, 'item-' || g, g % 100 FROM generate_series(1, 100000) g");
                exec(c, "CREATE INDEX items_name ON items (name)");
            }
            long lsn = parent.checkpointForBranch();
            TimelineId feature = TimelineId.random();
            fx.pageserver.store().branch(feature, main, lsn);
            Compute child = fx.start(fx.spec(feature, "feature"), false);

            try (Connection p = connect(parent.port());
                    Connection b = connect(child.port())) {
                assertEquals(
                        100_000, queryLong(b, "SELECT count(*) FROM items"), "the branch has all the parent's rows");
                assertEquals(4_950_000, queryLong(b, "SELECT sum(qty) FROM items"));
                // constraints and indexes came along
                assertThrows(SQLException.class, () -> exec(b, "INSERT INTO items VALUES (1, 'dup', 1)"));
                assertThrows(SQLException.class, () -> exec(b, "INSERT INTO items VALUES (100001, 'neg', -1)"));
                assertEquals("item-77", queryString(b, "SELECT name FROM items WHERE name = 'item-77'"));

                // Both sides change data and schema at the same time.
                exec(p, "DELETE FROM items WHERE id <= 1000");
                exec(p, "ALTER TABLE items ADD COLUMN parent_only text DEFAULT 'p'");
                exec(p, "CREATE TABLE parent_table (x int)");
                exec(b, "UPDATE items SET qty = qty + 1 WHERE id <= 50000");
                exec(b, "ALTER TABLE items ADD COLUMN branch_only int DEFAULT 7");
                exec(b, "CREATE TABLE branch_table AS SELECT generate_series(1, 10) AS y");
                exec(b, "INSERT INTO items SELECT g, 'new-' || g, 1 FROM generate_series(100001, 120000) g");

                assertEquals(99_000, queryLong(p, "SELECT count(*) FROM items"));
                assertEquals(120_000, queryLong(b, "SELECT count(*) FROM items"));
                assertEquals(4_950_000 - sumQty(1, 1000), queryLong(p, "SELECT sum(qty) FROM items"));
                assertEquals(4_950_000 + 50_000 + 20_000, queryLong(b, "SELECT sum(qty) FROM items"));
                assertEquals(
                        1,
                        queryLong(
                                p,
                                "SELECT count(*) FROM information_schema.columns"
                                        + " WHERE table_name = 'items' AND column_name = 'parent_only'"));
                assertEquals(
                        0,
                        queryLong(
                                p,
                                "SELECT count(*) FROM information_schema.columns"
                                        + " WHERE table_name = 'items' AND column_name = 'branch_only'"));
                assertEquals(
                        1,
                        queryLong(
                                b,
                                "SELECT count(*) FROM information_schema.columns"
                                        + " WHERE table_name = 'items' AND column_name = 'branch_only'"));
                assertEquals(
                        0,
                        queryLong(
                                b,
                                "SELECT count(*) FROM information_schema.columns"
                                        + " WHERE table_name = 'items' AND column_name = 'parent_only'"));
                assertNull(queryString(p, "SELECT to_regclass('branch_table')::text"));
                assertNull(queryString(b, "SELECT to_regclass('parent_table')::text"));
                assertEquals(55, queryLong(b, "SELECT sum(y) FROM branch_table"));
            }

            // Both survive a restart of their computes (everything acknowledged is in the pageserver).
            parent.suspend();
            child.suspend();
            parent.resume();
            child.resume();
            try (Connection p = connect(parent.port());
                    Connection b = connect(child.port())) {
                assertEquals(99_000, queryLong(p, "SELECT count(*) FROM items"));
                assertEquals(120_000, queryLong(b, "SELECT count(*) FROM items"));
                assertTrue(queryLong(b, "SELECT count(*) FROM items WHERE branch_only = 7") == 120_000);
            }
        }
    }

    private static long sumQty(int from, int to) {
        long s = 0;
        for (int i = from; i <= to; i++) {
            s += i % 100;
        }
        return s;
    }
}
