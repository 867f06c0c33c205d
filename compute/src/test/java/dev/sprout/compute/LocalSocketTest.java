package dev.sprout.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sprout.compute.postgres.OsUser;
import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.storage.timeline.TimelineId;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A compute's Unix socket is its OS user's alone: another user of the machine (tried as {@code nobody}, as the
 * hole was found) cannot connect through it, and even PostgreSQL's own OS user needs the password there. Only
 * TCP through the password, or the proxy, reaches a branch.
 */
class LocalSocketTest {
    private static final String NOBODY = "nobody";

    @Test
    void theShortSocketDirectoryADeepWorkDirectoryNeedsIsRemovedWhenTheComputeStops() throws Exception {
        try (Fixture fx = new Fixture()) {
            TimelineId main = fx.newRoot();
            ComputeSpec spec = fx.spec(main, "w".repeat(90));
            assertTrue(
                    spec.socketDir().toString().startsWith("/tmp/sprout-sock-"),
                    spec.socketDir().toString());
            Compute compute = fx.start(spec, true);
            assertTrue(Files.isDirectory(spec.socketDir()), "the server's socket is there while it runs");
            compute.close();
            assertFalse(Files.exists(spec.socketDir()), spec.socketDir() + " is left behind");
        }
    }

    @Test
    void anotherUserOfTheMachineIsRefusedAtTheSocketAndTheServiceUserNeedsThePassword() throws Exception {
        try (Fixture fx = new Fixture()) {
            TimelineId main = fx.newRoot();
            ComputeSpec spec = fx.spec(main, "main");
            fx.start(spec, true);

            Path socket = spec.socketDir().resolve(".s.PGSQL." + spec.port());
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(spec.socketDir())));
            assertEquals(
                    "rwx------",
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(socket, LinkOption.NOFOLLOW_LINKS)));
            assertEquals(spec.osUser().uid(), (Integer) Files.getAttribute(spec.socketDir(), "unix:uid"));

            // The service user reaches the server through the socket with the password: the socket works, so
            // the refusals below are refusals, not a dead socket.
            Result withPassword = psql(spec, spec.osUser(), Fixture.PASSWORD);
            assertEquals(0, withPassword.exitCode(), withPassword.output());
            assertTrue(withPassword.output().contains("super=t"), withPassword.output());

            // Without it, a new cluster trusts no socket connection, not even its own OS user's.
            Result noPassword = psql(spec, spec.osUser(), null);
            assertNotEquals(0, noPassword.exitCode(), noPassword.output());
            assertTrue(noPassword.output().contains("password"), noPassword.output());

            assumeTrue(OsUser.current().uid() == 0, "switching to another OS user needs root; CI runs as root");
            OsUser nobody = lookUp(NOBODY);
            // Knowing the password does not help another user: the socket's directory and mode keep it out.
            Result other = psql(spec, nobody, Fixture.PASSWORD);
            assertNotEquals(0, other.exitCode(), other.output());
            assertTrue(other.output().contains("Permission denied"), other.output());
            assertFalse(other.output().contains("super="), other.output());
        }
    }

    @Test
    void aSocketDirectoryTakenByAnotherUserIsRefusedNotUsed() throws Exception {
        assumeTrue(OsUser.current().uid() == 0, "giving a directory to another OS user needs root; CI runs as root");
        try (Fixture fx = new Fixture()) {
            TimelineId main = fx.newRoot();
            ComputeSpec spec = fx.spec(main, "squatted");
            Files.createDirectories(spec.socketDir());
            Files.setPosixFilePermissions(spec.socketDir(), PosixFilePermissions.fromString("rwxrwxrwx"));
            lookUp(NOBODY).chown(spec.socketDir());

            ComputeException refused = assertThrows(ComputeException.class, () -> fx.start(spec, true));
            assertTrue(
                    refused.getMessage().contains(spec.socketDir().toString())
                            && refused.getMessage().contains("belongs to uid"),
                    refused.getMessage());
            assertEquals(
                    "rwxrwxrwx",
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(spec.socketDir())),
                    "a refused directory is left as found");
        }
    }

    private record Result(int exitCode, String output) {}

    /** psql as {@code user} through the compute's socket directory; never prompts for a password. */
    private static Result psql(ComputeSpec spec, OsUser user, String password)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                PostgresInstall.locate().tool("psql").toString(),
                "-h",
                spec.socketDir().toString(),
                "-p",
                Integer.toString(spec.port()),
                "-U",
                spec.superuser(),
                "-d",
                "postgres",
                "-w",
                "-At",
                "-c",
                "SELECT 'super=' || rolsuper FROM pg_roles WHERE rolname = current_user"));
        ProcessBuilder builder = new ProcessBuilder(user.wrap(command))
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .directory(new File("/"));
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(name -> name.startsWith("PG"));
        if (password != null) {
            env.put("PGPASSWORD", password);
        }
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("psql did not finish in 30 s: " + output);
        }
        return new Result(process.exitValue(), output);
    }

    private static OsUser lookUp(String name) throws IOException, InterruptedException {
        Process getent = new ProcessBuilder("getent", "passwd", name)
                .redirectErrorStream(true)
                .start();
        String line = new String(getent.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, getent.waitFor(), "no OS user " + name + ": " + line);
        String[] fields = line.split(":", -1);
        return new OsUser(fields[0], Integer.parseInt(fields[2]), Integer.parseInt(fields[3]));
    }
}
