package dev.sprout.compute.load;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * An ordinary SQL session on the source database, for what an import needs before it starts. For a logical import
 * ({@link #checkLogical}): the version (no newer than the computes'), the databases to dump, the roles. For a
 * physical one, whether the source
 * can give one (version, the role's REPLICATION, {@code wal_level}, a free WAL sender and slot, no tablespace outside
 * the data directory), each refusal a sentence that names the fix; the settings the source runs with; and a
 * temporary physical replication slot, which keeps the source from removing WAL the backup still needs and goes
 * away with this session, even when the importer is killed (the source ends the session, and the slot with it).
 *
 * <p>Not thread-safe; {@link #close()} ends the session.
 */
public final class SourceServer implements AutoCloseable {
    private final SourceUrl url;
    private final Connection connection;

    /** What the source is. */
    public record Facts(int majorVersion, String version, String role, long databaseBytes) {}

    /**
     * What a logical import reads from the source: its version, the role and whether it is a superuser (else role
     * passwords cannot be read), the databases to import with their sizes, and those left out because the role may
     * not connect to them.
     */
    public record LogicalFacts(
            int majorVersion,
            String version,
            String role,
            boolean superuser,
            List<Database> databases,
            List<String> notAllowed) {
        public long databaseBytes() {
            return databases.stream().mapToLong(Database::bytes).sum();
        }
    }

    /** A database of the source and its size ({@code pg_database_size}). */
    public record Database(String name, long bytes) {}

    /** The oldest major version the computes' pg_dump still dumps (PostgreSQL 15's pg_dump: 9.2). */
    static final int OLDEST_DUMPABLE = 90200;

    private SourceServer(SourceUrl url, Connection connection) {
        this.url = url;
        this.connection = connection;
    }

    /**
     * Connects to {@code url}'s database.
     *
     * @throws LoadException with a sentence for an unreachable source, a refused password or role, or a database
     *     that does not exist
     */
    public static SourceServer connect(SourceUrl url, Duration connectTimeout) {
        Properties p = new Properties();
        p.setProperty("user", url.user());
        url.password().ifPresent(pw -> p.setProperty("password", pw));
        p.setProperty("connectTimeout", Long.toString(Math.max(1, connectTimeout.toSeconds())));
        p.setProperty("socketTimeout", "0");
        p.setProperty("ApplicationName", "sprout-import");
        for (String k : List.of("sslmode", "sslrootcert", "sslcert", "sslkey")) {
            if (url.params().containsKey(k)) {
                p.setProperty(k, url.params().get(k));
            }
        }
        String jdbc = "jdbc:postgresql://" + url.address() + "/" + url.database();
        try {
            return new SourceServer(url, DriverManager.getConnection(jdbc, p));
        } catch (SQLException e) {
            throw new LoadException(explain(url, e), e);
        }
    }

    /** The sentence for a failed connection: what happened, in the user's terms. */
    static String explain(SourceUrl url, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        return switch (state) {
            case "28P01" ->
                "the source " + url.redacted() + " refused the password of role " + url.user()
                        + " (give it in the URL, PGPASSWORD, ~/.pgpass or --password-file)";
            case "28000" -> "the source " + url.redacted() + " refused role " + url.user() + ": " + e.getMessage();
            case "3D000" -> "database \"" + url.database() + "\" does not exist on the source " + url.address();
            case "08001", "08004", "08006" ->
                "cannot reach the source PostgreSQL at " + url.address() + ": " + e.getMessage();
            default ->
                "cannot connect to the source " + url.redacted() + ": " + e.getMessage() + " (SQLSTATE " + state + ")";
        };
    }

    /**
     * Checks that the source can give a physical base backup to a compute of PostgreSQL {@code computeMajor}.
     *
     * @throws LoadException naming the first thing that stands in the way and how to change it
     */
    public Facts checkPhysical(int computeMajor) {
        try {
            int num = Integer.parseInt(one("SHOW server_version_num"));
            int major = num / 10000;
            String version = one("SHOW server_version");
            if (major != computeMajor) {
                throw new LoadException("the source runs PostgreSQL " + major + " (" + version + "), the computes "
                        + computeMajor + ": a physical import needs the same major version; use sprout import"
                        + " --logical, which dumps and restores across versions");
            }
            String role = one("SELECT current_user");
            boolean allowed = Boolean.parseBoolean(
                    one("SELECT (rolsuper OR rolreplication)::text FROM pg_roles WHERE rolname = current_user"));
            if (!allowed) {
                throw new LoadException("role " + role + " may not take base backups: it has neither REPLICATION nor"
                        + " SUPERUSER. On the source, as a superuser: ALTER ROLE " + quoteIdent(role)
                        + " REPLICATION;");
            }
            String walLevel = one("SHOW wal_level");
            if (walLevel.equals("minimal")) {
                throw new LoadException("the source's wal_level is minimal; a base backup needs replica (or logical):"
                        + " ALTER SYSTEM SET wal_level = replica; then restart the source");
            }
            int senders = Integer.parseInt(one("SHOW max_wal_senders"));
            int busy = Integer.parseInt(one("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender'"));
            if (senders - busy < 1) {
                throw new LoadException("the source has no free WAL sender (max_wal_senders = " + senders + ", " + busy
                        + " in use): raise max_wal_senders (ALTER SYSTEM SET max_wal_senders = " + (busy + 2)
                        + "; then restart the source)");
            }
            int slots = Integer.parseInt(one("SHOW max_replication_slots"));
            int used = Integer.parseInt(one("SELECT count(*) FROM pg_replication_slots"));
            if (slots - used < 1) {
                throw new LoadException("the source has no free replication slot (max_replication_slots = " + slots
                        + ", " + used + " in use): drop an unused slot or raise max_replication_slots");
            }
            List<String> spaces = list("SELECT spcname || ' (' || pg_tablespace_location(oid) || ')' FROM pg_tablespace"
                    + " WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY 1");
            if (!spaces.isEmpty()) {
                throw new LoadException("the source has tablespaces outside its data directory ("
                        + String.join(", ", spaces) + "); a physical import takes clusters whose data lives in"
                        + " pg_default only: use sprout import --logical");
            }
            long size = Long.parseLong(
                    one("SELECT coalesce(sum(pg_database_size(oid)), 0) FROM pg_database" + " WHERE datallowconn"));
            return new Facts(major, version, role, size);
        } catch (SQLException e) {
            throw new LoadException("checking the source " + url.redacted() + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Checks that the source can be dumped by the pg_dump of PostgreSQL {@code computeMajor} and restored into a
     * compute of it, and lists the databases to import: with {@code allDatabases} every database that allows
     * connections and is no template (the role's CONNECT privilege needed; the others are named in
     * {@link LogicalFacts#notAllowed()}), else the database of this session's URL.
     *
     * @throws LoadException naming what stands in the way
     */
    public LogicalFacts checkLogical(int computeMajor, boolean allDatabases) {
        try {
            int num = Integer.parseInt(one("SHOW server_version_num"));
            int major = num >= 100000 ? num / 10000 : num / 100;
            String version = one("SHOW server_version");
            if (major > computeMajor) {
                throw new LoadException("the source runs PostgreSQL " + major + " (" + version + "), newer than the"
                        + " computes' " + computeMajor + ": pg_dump " + computeMajor + " cannot dump it, and a dump"
                        + " restores into the same or a newer major version only");
            }
            if (num < OLDEST_DUMPABLE) {
                throw new LoadException("the source runs PostgreSQL " + version + ", older than 9.2, which pg_dump "
                        + computeMajor + " no longer dumps");
            }
            String role = one("SELECT current_user");
            boolean superuser =
                    Boolean.parseBoolean(one("SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user"));
            List<Database> databases = new ArrayList<>();
            List<String> notAllowed = new ArrayList<>();
            String which = allDatabases ? "datallowconn AND NOT datistemplate" : "datname = current_database()";
            try (Statement st = connection.createStatement();
                    ResultSet rs = st.executeQuery("SELECT datname, has_database_privilege(oid, 'CONNECT'),"
                            + " CASE WHEN has_database_privilege(oid, 'CONNECT') THEN pg_database_size(oid) END"
                            + " FROM pg_database WHERE " + which + " ORDER BY datname <> 'postgres', datname")) {
                while (rs.next()) {
                    if (rs.getBoolean(2)) {
                        databases.add(new Database(rs.getString(1), rs.getLong(3)));
                    } else {
                        notAllowed.add(rs.getString(1));
                    }
                }
            }
            if (databases.isEmpty()) {
                throw new LoadException("role " + role + " may connect to no database of the source "
                        + url.address()
                        + (notAllowed.isEmpty() ? "" : " (not to " + String.join(", ", notAllowed) + ")")
                        + ": GRANT CONNECT ON DATABASE ... TO " + quoteIdent(role));
            }
            return new LogicalFacts(major, version, role, superuser, databases, notAllowed);
        } catch (SQLException e) {
            throw new LoadException("checking the source " + url.redacted() + " failed: " + e.getMessage(), e);
        }
    }

    /** The roles of the source, but the predefined ones ({@code pg_*}), by name. */
    public List<String> roles() {
        try {
            return list("SELECT rolname FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY 1");
        } catch (SQLException e) {
            throw new LoadException("reading the roles of the source failed: " + e.getMessage(), e);
        }
    }

    /** The settings the source was given (configuration files and command line), with their values as SHOW gives. */
    public Map<String, String> settings() {
        Map<String, String> out = new LinkedHashMap<>();
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT name, current_setting(name) FROM pg_settings"
                        + " WHERE source IN ('configuration file', 'command line') ORDER BY name")) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getString(2));
            }
        } catch (SQLException e) {
            throw new LoadException("reading the source's settings failed: " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * Creates a temporary physical replication slot named {@code name} that reserves WAL from now on, for as long as
     * this session lasts.
     */
    public void holdWal(String name) {
        try (PreparedStatement st =
                connection.prepareStatement("SELECT pg_create_physical_replication_slot(?, true, true)")) {
            st.setString(1, name);
            st.execute();
        } catch (SQLException e) {
            throw new LoadException("cannot create a temporary replication slot on the source: " + e.getMessage(), e);
        }
    }

    /**
     * Makes a permanent physical slot {@code to} that reserves WAL from where slot {@code from} (say, a temporary one
     * of the importer's session) does: a follower made from a base backup misses nothing.
     */
    public void copySlot(String from, String to) {
        try (PreparedStatement st =
                connection.prepareStatement("SELECT pg_copy_physical_replication_slot(?, ?, false)")) {
            st.setString(1, from);
            st.setString(2, to);
            st.execute();
        } catch (SQLException e) {
            throw new LoadException("cannot create replication slot " + to + " on the source: " + e.getMessage(), e);
        }
    }

    /** Drops replication slot {@code name}; one that does not exist is gone already. */
    public void dropSlot(String name) {
        try (PreparedStatement st = connection.prepareStatement(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
            st.setString(1, name);
            st.execute();
        } catch (SQLException e) {
            throw new LoadException(
                    "cannot drop replication slot " + name + " on the source " + url.redacted() + ": " + e.getMessage(),
                    e);
        }
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            // the session ends with the connection either way
        }
    }

    private String one(String sql) throws SQLException {
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private List<String> list(String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    static String quoteIdent(String s) {
        return s.matches("[a-z_][a-z0-9_]*") ? s : "\"" + s.replace("\"", "\"\"") + "\"";
    }
}
