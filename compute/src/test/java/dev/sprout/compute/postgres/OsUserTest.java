package dev.sprout.compute.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.sun.security.auth.module.UnixSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OsUserTest {
    private static final boolean ROOT = new UnixSystem().getUid() == 0;

    @Test
    void postgresRunsAsPostgresUnderRootElseAsTheCurrentUser() {
        OsUser user = OsUser.forPostgres();
        List<String> command = List.of("initdb", "-D", "/x");
        if (ROOT) {
            assertEquals(OsUser.POSTGRES, user.name());
            assertNotEquals(0, user.uid());
            assertEquals(
                    List.of(
                            "setpriv",
                            "--reuid=" + user.uid(),
                            "--regid=" + user.gid(),
                            "--init-groups",
                            "--",
                            "initdb",
                            "-D",
                            "/x"),
                    user.wrap(command));
        } else {
            assertEquals(new UnixSystem().getUid(), user.uid());
            assertEquals(command, user.wrap(command));
        }
    }

    @Test
    void wrappedCommandRunsAsTheUser() {
        OsUser user = OsUser.forPostgres();
        Exec.Result id = Exec.run(user.wrap(List.of("id", "-u")), null);
        assertEquals(0, id.exitCode(), id.output());
        assertEquals(Integer.toString(user.uid()), id.output().strip());
    }

    @Test
    void chownGivesThePathToTheUser(@TempDir Path dir) throws Exception {
        OsUser user = OsUser.forPostgres();
        Path file = Files.createFile(dir.resolve("f"));
        user.chown(file);
        assertEquals(user.uid(), (int) Files.getAttribute(file, "unix:uid"));
        assertEquals(user.gid(), (int) Files.getAttribute(file, "unix:gid"));
    }
}
