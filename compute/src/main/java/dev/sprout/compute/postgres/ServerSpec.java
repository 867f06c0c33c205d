package dev.sprout.compute.postgres;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How to run one PostgreSQL server: the installation, the OS user it runs as, its data directory, the TCP port
 * it listens on (on 127.0.0.1 only), the directory of its Unix socket, the file its output is appended to, extra
 * settings passed as {@code -c name=value}, and the superuser and password clients connect with over TCP.
 *
 * <p>{@code listen_addresses}, {@code port}, {@code unix_socket_directories} and {@code unix_socket_permissions}
 * (always {@value #SOCKET_PERMISSIONS}: the socket is the OS user's alone) are set on the command line from this
 * spec, so {@code settings} may not hold them. Paths are made absolute. The data and socket
 * directories must belong to {@code osUser}; the log file's directory must exist.
 *
 * <p>Concurrency: immutable; any thread may use it.
 */
public record ServerSpec(
        PostgresInstall install,
        OsUser osUser,
        Path dataDir,
        int port,
        Path socketDir,
        Path logFile,
        Map<String, String> settings,
        String superuser,
        String password) {
    /** The address the server listens on. */
    public static final String LISTEN_ADDRESS = "127.0.0.1";

    /**
     * The mode of the Unix socket: only {@link #osUser} may connect through it. A cluster made before local
     * connections required a password still trusts them in its {@code pg_hba.conf}; this keeps every other user
     * of the machine off that socket.
     */
    public static final String SOCKET_PERMISSIONS = "0700";

    private static final Set<String> FIXED_SETTINGS =
            Set.of("listen_addresses", "port", "unix_socket_directories", "unix_socket_permissions");
    /** A Unix socket path must fit {@code sockaddr_un.sun_path} (108 bytes) with its terminating NUL. */
    private static final int MAX_SOCKET_PATH_BYTES = 107;

    public ServerSpec {
        Objects.requireNonNull(install, "install");
        Objects.requireNonNull(osUser, "osUser");
        dataDir = dataDir.toAbsolutePath().normalize();
        socketDir = socketDir.toAbsolutePath().normalize();
        logFile = logFile.toAbsolutePath().normalize();
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range 1..65535: " + port);
        }
        if (socketDir.toString().contains(",") || socketDir.toString().contains("\"")) {
            throw new IllegalArgumentException("socketDir may not contain ',' or '\"': " + socketDir);
        }
        int socketPathBytes = socketFile(socketDir, port).toString().getBytes(StandardCharsets.UTF_8).length;
        if (socketPathBytes > MAX_SOCKET_PATH_BYTES) {
            throw new IllegalArgumentException("Unix socket path " + socketFile(socketDir, port) + " is "
                    + socketPathBytes + " bytes, longer than the " + MAX_SOCKET_PATH_BYTES
                    + " the kernel allows; use a shorter socketDir");
        }
        Map<String, String> copy = new LinkedHashMap<>();
        settings.forEach((name, value) -> {
            if (name.isBlank() || name.contains("=")) {
                throw new IllegalArgumentException("not a setting name: '" + name + "'");
            }
            if (FIXED_SETTINGS.contains(name.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("setting " + name + " is fixed by the spec, not settable: " + value);
            }
            copy.put(name, Objects.requireNonNull(value, name));
        });
        settings = Collections.unmodifiableMap(copy);
        if (superuser == null || superuser.isBlank()) {
            throw new IllegalArgumentException("superuser must not be blank: '" + superuser + "'");
        }
        if (password == null || password.isEmpty()) {
            throw new IllegalArgumentException("password must not be empty");
        }
    }

    /** Everything but the password. */
    @Override
    public String toString() {
        return "ServerSpec[dataDir=" + dataDir + ", port=" + port + ", socketDir=" + socketDir + ", logFile="
                + logFile + ", settings=" + settings + ", superuser=" + superuser + ", osUser=" + osUser.name()
                + ", install=" + install + "]";
    }

    /** The server's Unix socket. */
    Path socketFile() {
        return socketFile(socketDir, port);
    }

    /** The lock file PostgreSQL keeps beside its Unix socket. */
    Path socketLockFile() {
        return socketDir.resolve(socketFile().getFileName() + ".lock");
    }

    /** The postgres command line, before any switch of user. */
    List<String> command() {
        List<String> command = new ArrayList<>(List.of(
                install.tool("postgres").toString(),
                "-D",
                dataDir.toString(),
                "-c",
                "listen_addresses=" + LISTEN_ADDRESS,
                "-c",
                "port=" + port,
                "-c",
                "unix_socket_directories=" + socketDir,
                "-c",
                "unix_socket_permissions=" + SOCKET_PERMISSIONS));
        settings.forEach((name, value) -> {
            command.add("-c");
            command.add(name + "=" + value);
        });
        return command;
    }

    private static Path socketFile(Path socketDir, int port) {
        return socketDir.resolve(".s.PGSQL." + port);
    }
}
