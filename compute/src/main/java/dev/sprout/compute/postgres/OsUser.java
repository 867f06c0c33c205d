package dev.sprout.compute.postgres;

import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The operating-system user PostgreSQL programs run as. PostgreSQL refuses to run as root, so a JVM running as
 * root runs them as the {@code postgres} user, switching with {@code setpriv}, which execs the program: the
 * process the JVM starts is the program itself, not a wrapper, so its pid is the program's.
 *
 * <p>Concurrency: immutable; any thread may use it.
 */
public record OsUser(String name, int uid, int gid) {
    /** The user a root JVM runs PostgreSQL as. */
    public static final String POSTGRES = "postgres";

    private static final OsUser CURRENT = lookUpCurrent();

    public OsUser {
        Objects.requireNonNull(name, "name");
    }

    /**
     * The user to run PostgreSQL as: the JVM's own user, unless that is root, then the {@code postgres} user.
     *
     * @throws PostgresException when the JVM runs as root and there is no {@code postgres} user
     */
    public static OsUser forPostgres() {
        if (CURRENT.uid != 0) {
            return CURRENT;
        }
        Exec.Result entry = Exec.run(List.of("getent", "passwd", POSTGRES), null);
        if (entry.exitCode() != 0) {
            throw new PostgresException("this JVM runs as root, PostgreSQL refuses to, and there is no OS user '"
                    + POSTGRES + "' to run it as (getent passwd " + POSTGRES + " exited with " + entry.exitCode()
                    + "); create it with: useradd --system " + POSTGRES + " (installing postgresql creates it)");
        }
        String[] fields = entry.output().strip().split(":", -1);
        try {
            return new OsUser(fields[0], Integer.parseInt(fields[2]), Integer.parseInt(fields[3]));
        } catch (RuntimeException e) {
            throw new PostgresException(
                    "unreadable passwd entry for " + POSTGRES + ": "
                            + entry.output().strip(),
                    e);
        }
    }

    /**
     * {@code command} made to run as this user: unchanged when the JVM already runs as it, else prefixed with
     * {@code setpriv --reuid=<uid> --regid=<gid> --init-groups --}.
     *
     * @throws PostgresException when this is another user and the JVM, not being root, cannot switch to it
     */
    public List<String> wrap(List<String> command) {
        if (uid == CURRENT.uid) {
            return List.copyOf(command);
        }
        if (CURRENT.uid != 0) {
            throw new PostgresException("cannot run " + String.join(" ", command) + " as " + this
                    + ": switching users needs root and this JVM runs as " + CURRENT);
        }
        List<String> wrapped =
                new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--init-groups", "--"));
        wrapped.addAll(command);
        return List.copyOf(wrapped);
    }

    /**
     * Gives {@code path} (itself, not what it contains; a symbolic link itself, not its target) to this user and
     * its group, as a root JVM must for directories and files it prepares for PostgreSQL. Does nothing when it
     * already belongs to them.
     *
     * @throws PostgresException when the ownership cannot be changed, as when the JVM is not root
     */
    public void chown(Path path) {
        try {
            int ownerUid = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int ownerGid = (Integer) Files.getAttribute(path, "unix:gid", LinkOption.NOFOLLOW_LINKS);
            if (ownerUid != uid) {
                Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
            }
            if (ownerGid != gid) {
                Files.setAttribute(path, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
            }
        } catch (IOException | UnsupportedOperationException e) {
            throw new PostgresException("could not give " + path + " to " + this + ": " + e, e);
        }
    }

    /** The user this JVM runs as. */
    public static OsUser current() {
        return CURRENT;
    }

    private static OsUser lookUpCurrent() {
        UnixSystem me = new UnixSystem();
        return new OsUser(me.getUsername(), (int) me.getUid(), (int) me.getGid());
    }

    /**
     * A new file in the JVM's temporary directory holding {@code content}, mode 0600 and owned by this user: for a
     * secret a tool run as this user reads (a password, statements holding one). The caller deletes it.
     *
     * @throws PostgresException naming {@code what} when it cannot be written (nothing is left behind)
     */
    public Path privateTempFile(String prefix, String suffix, String content, String what) {
        Path file = null;
        try {
            file = Files.createTempFile(
                    prefix, suffix, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, content, StandardCharsets.UTF_8);
            chown(file);
            return file;
        } catch (IOException | RuntimeException e) {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw new PostgresException("could not write " + what + " " + file + ": " + e, e);
        }
    }
}
