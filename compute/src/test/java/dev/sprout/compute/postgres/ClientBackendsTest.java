package dev.sprout.compute.postgres;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Process titles as PostgreSQL 15 sets them (copied from ps on a running compute). */
class ClientBackendsTest {
    @Test
    void clientBackendsAreTheTitlesWithAPeer() {
        for (String title : List.of(
                "postgres: postgres postgres 127.0.0.1(43210) idle",
                "postgres: alice shop 127.0.0.1(5) SELECT",
                "postgres: postgres postgres [local] idle in transaction",
                "postgres: postgres app ::1(50122) idle",
                "postgres: walsender repl 127.0.0.1(40001) streaming 0/3000148",
                "postgres: bob db 10.0.0.7(1) idle in transaction (aborted)")) {
            assertTrue(ClientBackends.isClientTitle(title), title);
        }
    }

    @Test
    void theServersOwnProcessesAreNot() {
        for (String title : List.of(
                "/usr/lib/postgresql/15/bin/postgres -D /var/lib/x -c config_file=/x/postgresql.conf",
                "postgres: checkpointer",
                "postgres: background writer",
                "postgres: walwriter",
                "postgres: autovacuum launcher",
                "postgres: autovacuum worker shop",
                "postgres: logical replication launcher",
                "postgres: startup recovering 000000010000000000000003",
                "postgres: walreceiver streaming 0/3000148",
                "postgres: parallel worker for PID 4242",
                "postgres: archiver")) {
            assertFalse(ClientBackends.isClientTitle(title), title);
        }
    }

    @Test
    void aProcessThatIsNotThereCannotBeCounted() {
        assertTrue(ClientBackends.of(Long.MAX_VALUE).isEmpty());
    }
}
