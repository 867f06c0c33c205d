package dev.sprout.cli;

import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The owner of the root directory of the {@code main} timeline: the user PostgreSQL will run as, because a
 * compute's postmaster refuses a data directory it does not own.
 *
 * <p>That is the invoking user, except for root: PostgreSQL refuses to run as root, so a root {@code sprout up}
 * gives {@code main} to the {@code postgres} user of {@code /etc/passwd} when there is one (Debian's and the
 * official images' packages create it), else to root itself (0/0) and leaves the choice to whoever starts
 * the compute.
 */
record Owner(int uid, int gid) {
    static final String POSTGRES = "postgres";
    private static final Path PASSWD = Path.of("/etc/passwd");

    static Owner forComputes() {
        UnixSystem me = new UnixSystem();
        if (me.getUid() != 0) {
            return new Owner((int) me.getUid(), (int) me.getGid());
        }
        List<String> passwd;
        try {
            passwd = Files.readAllLines(PASSWD);
        } catch (IOException unreadable) {
            passwd = List.of();
        }
        return fromPasswd(passwd, POSTGRES).orElse(new Owner(0, 0));
    }

    /** The uid and gid of {@code user} in passwd(5) lines ({@code name:password:uid:gid:gecos:home:shell}). */
    static Optional<Owner> fromPasswd(List<String> lines, String user) {
        for (String line : lines) {
            String[] f = line.split(":", -1);
            if (f.length >= 4 && f[0].equals(user)) {
                try {
                    return Optional.of(new Owner(Integer.parseInt(f[2]), Integer.parseInt(f[3])));
                } catch (NumberFormatException malformed) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }
}
