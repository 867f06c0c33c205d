package dev.sprout.compute.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostgresInstallTest {

    @Test
    void locateFindsPostgres15() {
        PostgresInstall install = PostgresInstall.locate();
        assertEquals(15, install.majorVersion());
        if (System.getenv(PostgresInstall.BIN_ENV) == null) {
            assertEquals(Path.of("/usr/lib/postgresql/15/bin"), install.binDir());
        }
        assertTrue(Files.isExecutable(install.tool("initdb")));
        assertEquals(install.binDir().resolve("pg_isready"), install.tool("pg_isready"));
    }

    @Test
    void locateWithNothingInstalledSaysWhereItLookedAndHowToFix(@TempDir Path empty) {
        PostgresException failure = assertThrows(PostgresException.class, () -> PostgresInstall.locate(null, empty));
        String message = failure.getMessage();
        assertTrue(message.contains(empty.resolve("15/bin").toString()), message);
        assertTrue(message.contains(empty.resolve("13/bin").toString()), message);
        assertTrue(message.contains("apt-get install postgresql-15"), message);
        assertTrue(message.contains("SPROUT_PG_BIN"), message);
    }

    @Test
    void unusableSproutPgBinIsNamed(@TempDir Path notABinDir) {
        PostgresException failure = assertThrows(
                PostgresException.class,
                () -> PostgresInstall.locate(notABinDir.toString(), Path.of("/usr/lib/postgresql")));
        assertTrue(failure.getMessage().contains("SPROUT_PG_BIN=" + notABinDir), failure.getMessage());
        assertTrue(failure.getMessage().contains(notABinDir.resolve("postgres").toString()), failure.getMessage());
    }

    @Test
    void missingToolIsNamed() {
        PostgresInstall install = PostgresInstall.locate();
        PostgresException failure = assertThrows(PostgresException.class, () -> install.tool("no-such-tool"));
        assertTrue(failure.getMessage()
                .contains(install.binDir().resolve("no-such-tool").toString()));
    }
}
