package dev.sprout.migrate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;

/**
 * A database's Flyway migration history against a directory, read with flyway-core itself (its resolver, its
 * checksums, its states): what is pending, and the drift between what the database recorded and what the directory
 * holds. Also records a migration the check applied, in the row Flyway would have written.
 */
public final class History {
    /** Flyway's default history table, in the connection's first schema. */
    public static final String TABLE = "flyway_schema_history";

    private History() {}

    /** What kind of drift. */
    public enum DriftKind {
        /** An applied migration's file changed since. */
        CHECKSUM("drift-checksum"),
        /** An applied migration has no file, below the directory's latest version. */
        MISSING("drift-missing"),
        /** Applied but unknown: the history has a version newer than every file. */
        UNKNOWN("drift-unknown"),
        /** A pending version below the latest applied one: Flyway refuses it; the check does not apply it. */
        OUT_OF_ORDER("drift-out-of-order"),
        /** The history records a failed migration. */
        FAILED("drift-failed");

        public final String rule;

        DriftKind(String rule) {
            this.rule = rule;
        }
    }

    /**
     * One disagreement between the history and the directory.
     *
     * @param kind    {@link DriftKind}
     * @param script  the file (or, for one the directory lacks, the script the history names)
     * @param version its version, if versioned
     * @param message a sentence
     */
    public record Drift(DriftKind kind, String script, Optional<String> version, String message) {}

    /**
     * The history against the directory.
     *
     * @param pending   the migrations to apply, in Flyway's order (versioned, then repeatable ones new or changed)
     * @param drift     the disagreements
     * @param checksums Flyway's checksum of each file in the directory, by file name
     * @param applied   how many successful migrations the history holds
     */
    public record State(
            List<MigrationSet.Migration> pending, List<Drift> drift, Map<String, Integer> checksums, int applied) {
        public State {
            pending = List.copyOf(pending);
            drift = List.copyOf(drift);
            checksums = Map.copyOf(checksums);
        }
    }

    /** Reads the history of {@code source} (a missing table is an empty history) against {@code set}'s files. */
    public static State read(DataSource source, MigrationSet set) {
        Path dir = copyOfUps(set);
        try {
            Flyway flyway = Flyway.configure()
                    .dataSource(source)
                    .locations("filesystem:" + dir)
                    .table(TABLE)
                    .load();
            List<MigrationSet.Migration> pending = new ArrayList<>();
            List<Drift> drift = new ArrayList<>();
            Map<String, Integer> checksums = new HashMap<>();
            int applied = 0;
            for (MigrationInfo mi : flyway.info().all()) {
                String script = mi.getScript();
                Optional<MigrationSet.Migration> file =
                        set.ups().stream().filter(m -> m.file().equals(script)).findFirst();
                if (file.isPresent() && mi.getResolvedChecksum() != null) {
                    checksums.put(script, mi.getResolvedChecksum());
                }
                Optional<String> version = Optional.ofNullable(mi.getVersion()).map(Object::toString);
                MigrationState state = mi.getState();
                if (state.isApplied() && !state.isFailed()) {
                    applied++;
                }
                switch (state) {
                    case PENDING, OUTDATED -> file.ifPresent(pending::add);
                    case IGNORED ->
                        drift.add(new Drift(
                                DriftKind.OUT_OF_ORDER,
                                script,
                                version,
                                "version " + version.orElse("?") + " is below the latest applied version and is not"
                                        + " applied (Flyway refuses it unless outOfOrder is set; renumber it)"));
                    case MISSING_SUCCESS, MISSING_FAILED ->
                        drift.add(new Drift(
                                DriftKind.MISSING,
                                script,
                                version,
                                "applied on the base (" + script + ") but its file is missing from the directory"));
                    case FUTURE_SUCCESS, FUTURE_FAILED ->
                        drift.add(new Drift(
                                DriftKind.UNKNOWN,
                                script,
                                version,
                                "the base has version " + version.orElse("?") + " (" + script
                                        + ") applied, newer than every migration in the directory"));
                    case FAILED ->
                        drift.add(new Drift(
                                DriftKind.FAILED,
                                script,
                                version,
                                "the base's history records " + script + " as failed"));
                    case SUCCESS -> {
                        if (mi.isVersioned() && file.isPresent() && !mi.isChecksumMatching()) {
                            drift.add(new Drift(
                                    DriftKind.CHECKSUM,
                                    script,
                                    version,
                                    script + " changed since it was applied on the base (checksum "
                                            + mi.getAppliedChecksum() + " applied, " + mi.getResolvedChecksum()
                                            + " now)"));
                        }
                    }
                    default -> {
                        // superseded repeatables, baselines, undone: nothing to report
                    }
                }
            }
            drift.sort(Comparator.comparing(Drift::script));
            return new State(pending, drift, checksums, applied);
        } finally {
            delete(dir);
        }
    }

    /**
     * Records {@code m} as applied, as Flyway would (creating the history table when the database has none), on
     * {@code c} inside the migration's transaction.
     */
    public static void record(Connection c, MigrationSet.Migration m, int checksum, long millis) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (installed_rank integer NOT NULL, version"
                    + " varchar(50), description varchar(200) NOT NULL, type varchar(20) NOT NULL, script"
                    + " varchar(1000) NOT NULL, checksum integer, installed_by varchar(100) NOT NULL, installed_on"
                    + " timestamp NOT NULL DEFAULT now(), execution_time integer NOT NULL, success boolean NOT NULL,"
                    + " CONSTRAINT " + TABLE + "_pk PRIMARY KEY (installed_rank))");
            st.execute("CREATE INDEX IF NOT EXISTS " + TABLE + "_s_idx ON " + TABLE + " (success)");
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE + " (installed_rank, version,"
                + " description, type, script, checksum, installed_by, execution_time, success) SELECT"
                + " coalesce(max(installed_rank), 0) + 1, ?, ?, 'SQL', ?, ?, current_user, ?, true FROM " + TABLE)) {
            ps.setString(1, m.version().orElse(null));
            ps.setString(2, m.description());
            ps.setString(3, m.file());
            ps.setInt(4, checksum);
            ps.setInt(5, (int) Math.min(Integer.MAX_VALUE, millis));
            ps.executeUpdate();
        }
    }

    /** Whether the connected database has a history table. */
    public static boolean exists(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT to_regclass('" + TABLE + "') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** Versioned and repeatable files only, for Flyway's resolver (undo scripts are not community Flyway's). */
    private static Path copyOfUps(MigrationSet set) {
        try {
            Path dir = Files.createTempDirectory("sprout-migrate-");
            for (MigrationSet.Migration m : set.ups()) {
                Files.writeString(dir.resolve(m.file()), m.sql(), StandardCharsets.UTF_8);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("copying the migrations for Flyway", e);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary copy: nothing depends on it
        }
    }
}
