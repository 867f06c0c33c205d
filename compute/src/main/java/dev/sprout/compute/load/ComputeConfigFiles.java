package dev.sprout.compute.load;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The configuration files an imported data directory gets in place of the source's: {@code postgresql.conf} with
 * the source's settings that make sense on a compute, an empty {@code postgresql.auto.conf} (its settings are among
 * the source's and already in the first file), a {@code pg_hba.conf} that asks every connection for its role's
 * password (md5 or SCRAM, as the password is stored: the source's roles keep theirs), and an empty
 * {@code pg_ident.conf}. A Debian-packaged source keeps these files outside its data directory, so its backup has
 * none of them.
 *
 * <p>What is left out: where the source listens and keeps its files (the compute's own port, sockets and paths
 * win), TLS files of the source's machine, archiving and recovery, replication to the source's standbys
 * (synchronous_standby_names would make every commit wait for a standby that never comes), logging to files (a
 * compute logs to its own log), and memory sized for the source's machine (shared_buffers, huge_pages); a
 * shared_preload_libraries entry whose library the compute's PostgreSQL lacks is dropped. {@link #dropped} says
 * which settings were left out and why.
 */
public final class ComputeConfigFiles {
    private static final Set<String> MACHINE = Set.of(
            "data_directory",
            "config_file",
            "hba_file",
            "ident_file",
            "external_pid_file",
            "port",
            "listen_addresses",
            "unix_socket_directories",
            "unix_socket_group",
            "unix_socket_permissions",
            "archive_mode",
            "archive_command",
            "archive_library",
            "archive_timeout",
            "restore_command",
            "archive_cleanup_command",
            "recovery_end_command",
            "primary_conninfo",
            "primary_slot_name",
            "promote_trigger_file",
            "synchronous_standby_names",
            "logging_collector",
            "log_destination",
            "log_directory",
            "log_filename",
            "shared_buffers",
            "huge_pages",
            "huge_page_size",
            "krb_server_keyfile",
            "stats_temp_directory",
            "hot_standby");

    private final Map<String, String> kept = new LinkedHashMap<>();
    private final Map<String, String> dropped = new LinkedHashMap<>();

    /**
     * @param settings   the source's settings ({@link SourceServer#settings()})
     * @param libraryDir the compute's PostgreSQL library directory ({@code pg_config --pkglibdir})
     */
    public ComputeConfigFiles(Map<String, String> settings, Path libraryDir) {
        settings.forEach((name, value) -> {
            String n = name.toLowerCase(Locale.ROOT);
            if (MACHINE.contains(n) || n.startsWith("ssl") || n.startsWith("recovery_target")) {
                dropped.put(name, "belongs to the source's machine or role");
            } else if (n.equals("shared_preload_libraries") && !value.isBlank()) {
                List<String> present = new ArrayList<>();
                List<String> missing = new ArrayList<>();
                for (String lib : value.split(",", -1)) {
                    String l = lib.strip().replace("\"", "");
                    if (l.isEmpty()) {
                        continue;
                    }
                    String file = l.startsWith("$libdir/") ? l.substring(8) : l;
                    if (Files.exists(libraryDir.resolve(file.endsWith(".so") ? file : file + ".so"))) {
                        present.add(l);
                    } else {
                        missing.add(l);
                    }
                }
                if (!missing.isEmpty()) {
                    dropped.put(
                            name + " (" + String.join(", ", missing) + ")",
                            "not installed on the compute's PostgreSQL (" + libraryDir + ")");
                }
                if (!present.isEmpty()) {
                    kept.put(name, String.join(",", present));
                }
            } else {
                kept.put(name, value);
            }
        });
    }

    /** The settings the compute gets. */
    public Map<String, String> kept() {
        return Map.copyOf(kept);
    }

    /** The settings left out, each with why. */
    public Map<String, String> dropped() {
        return Map.copyOf(dropped);
    }

    /** The four files by their path in the data directory. */
    public Map<String, byte[]> files() {
        StringBuilder conf = new StringBuilder();
        conf.append("# Written by sprout import: the source's settings that make sense on a compute.\n");
        conf.append("# The compute sets its own port, sockets and paths on its command line.\n");
        kept.forEach((name, value) -> conf.append(name)
                .append(" = '")
                .append(value.replace("'", "''"))
                .append("'\n"));
        if (!dropped.isEmpty()) {
            conf.append("#\n# Left out:\n");
            dropped.forEach((name, why) ->
                    conf.append("#   ").append(name).append(": ").append(why).append('\n'));
        }
        String hba = """
                # Written by sprout import: every connection gives its role's password (md5 or SCRAM, as stored).
                # TYPE  DATABASE  USER  ADDRESS       METHOD
                local   all       all                 md5
                host    all       all   127.0.0.1/32  md5
                host    all       all   ::1/128       md5
                """;
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("postgresql.conf", conf.toString().getBytes(StandardCharsets.UTF_8));
        files.put(
                "postgresql.auto.conf",
                "# Written by sprout import: the source's ALTER SYSTEM settings are in postgresql.conf.\n"
                        .getBytes(StandardCharsets.UTF_8));
        files.put("pg_hba.conf", hba.getBytes(StandardCharsets.UTF_8));
        files.put("pg_ident.conf", "# Written by sprout import.\n".getBytes(StandardCharsets.UTF_8));
        return files;
    }
}
