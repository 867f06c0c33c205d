package dev.sprout.compute.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerSpecTest {
    private static final PostgresInstall INSTALL = PostgresInstall.locate();
    private static final OsUser USER = new OsUser("someone", 1234, 1234);

    @Test
    void commandFixesAddressPortAndSocketThenAddsSettingsInOrder() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("shared_buffers", "16MB");
        settings.put("fsync", "off");
        ServerSpec spec = spec(Path.of("/srv/pg"), 5499, settings);

        assertEquals(
                List.of(
                        INSTALL.tool("postgres").toString(),
                        "-D",
                        "/srv/pg/data",
                        "-c",
                        "listen_addresses=127.0.0.1",
                        "-c",
                        "port=5499",
                        "-c",
                        "unix_socket_directories=/srv/pg",
                        "-c",
                        "unix_socket_permissions=0700",
                        "-c",
                        "shared_buffers=16MB",
                        "-c",
                        "fsync=off"),
                spec.command());
        assertEquals(Path.of("/srv/pg/.s.PGSQL.5499"), spec.socketFile());
        assertEquals(Path.of("/srv/pg/.s.PGSQL.5499.lock"), spec.socketLockFile());
    }

    @Test
    void fixedSettingsCannotBeOverridden() {
        IllegalArgumentException failure = assertThrows(
                IllegalArgumentException.class, () -> spec(Path.of("/srv/pg"), 5499, Map.of("Port", "6000")));
        assertTrue(failure.getMessage().contains("Port"), failure.getMessage());
        IllegalArgumentException opened = assertThrows(
                IllegalArgumentException.class,
                () -> spec(Path.of("/srv/pg"), 5499, Map.of("unix_socket_permissions", "0777")));
        assertTrue(opened.getMessage().contains("unix_socket_permissions"), opened.getMessage());
    }

    @Test
    void socketPathTooLongForTheKernelIsRefused() {
        Path deep = Path.of("/tmp", "d".repeat(100));
        IllegalArgumentException failure =
                assertThrows(IllegalArgumentException.class, () -> spec(deep, 5499, Map.of()));
        assertTrue(failure.getMessage().contains(deep.resolve(".s.PGSQL.5499").toString()), failure.getMessage());
    }

    @Test
    void toStringHidesThePassword() {
        String shown = spec(Path.of("/srv/pg"), 5499, Map.of()).toString();
        assertFalse(shown.contains("hunter2"), shown);
        assertTrue(shown.contains("port=5499"), shown);
    }

    private static ServerSpec spec(Path dir, int port, Map<String, String> settings) {
        return new ServerSpec(
                INSTALL, USER, dir.resolve("data"), port, dir, dir.resolve("log"), settings, "sprout", "hunter2");
    }
}
