package dev.sprout.migrate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.flywaydb.core.api.MigrationVersion;

/**
 * A directory of migrations and its layout. Flyway's when any {@code .sql} file is named as Flyway names them:
 * {@code V<version>__<description>.sql} (versioned), {@code R__<description>.sql} (repeatable),
 * {@code U<version>__<description>.sql} (undo: the down script of {@code V<version>}); otherwise plain: every
 * {@code .sql} file, applied once each in natural order of their names ({@code 2_x.sql} before {@code 10_y.sql}),
 * with down scripts of the same names in a separate directory. Files that fit neither are listed as ignored.
 *
 * @param layout  {@link Layout}
 * @param ups     the up migrations: versioned by version then repeatables by description (Flyway), or in name order
 * @param downs   the down scripts: each names the up it undoes ({@link Migration#undoes()})
 * @param ignored sentences about files left out
 */
public record MigrationSet(Layout layout, List<Migration> ups, List<Migration> downs, List<String> ignored) {
    private static final Pattern FLYWAY = Pattern.compile("^([VUR])([0-9][0-9._]*)?__(.+)\\.sql$");

    public MigrationSet {
        ups = List.copyOf(ups);
        downs = List.copyOf(downs);
        ignored = List.copyOf(ignored);
    }

    /** How the directory is laid out. */
    public enum Layout {
        FLYWAY("flyway"),
        PLAIN("plain");

        public final String label;

        Layout(String label) {
            this.label = label;
        }
    }

    /** What a migration file is. */
    public enum Kind {
        VERSIONED("versioned"),
        REPEATABLE("repeatable"),
        PLAIN("plain"),
        UNDO("undo");

        public final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    /**
     * One migration file.
     *
     * @param file        its name
     * @param kind        {@link Kind}
     * @param version     Flyway's version (empty for repeatable and plain)
     * @param description Flyway's description (underscores as spaces), or the plain file's name without .sql
     * @param sql         its text
     * @param undoes      for a down script, the file name (plain) or version (Flyway) of the up it undoes
     */
    public record Migration(
            String file,
            Kind kind,
            Optional<String> version,
            String description,
            String sql,
            Optional<String> undoes) {}

    /**
     * Reads {@code dir} (and {@code downDir}, when given, for down scripts).
     *
     * @throws IllegalArgumentException when a directory is missing or holds no {@code .sql} file, or two Flyway
     *     files claim one version
     */
    public static MigrationSet read(Path dir, Optional<Path> downDir) {
        List<Path> files = sqlFiles(dir, "--migrations");
        List<Path> downFiles = downDir.map(d -> sqlFiles(d, "--down")).orElse(List.of());
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no .sql file in " + dir);
        }
        boolean flyway = files.stream()
                .anyMatch(f -> FLYWAY.matcher(f.getFileName().toString()).matches());
        return flyway ? flyway(files, downFiles) : plain(files, downFiles, downDir);
    }

    private static MigrationSet flyway(List<Path> files, List<Path> downFiles) {
        List<Migration> ups = new ArrayList<>();
        List<Migration> downs = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        for (Path f : Stream.concat(files.stream(), downFiles.stream()).toList()) {
            String name = f.getFileName().toString();
            Matcher m = FLYWAY.matcher(name);
            if (!m.matches()) {
                ignored.add(name + ": not a Flyway migration name (V<version>__<description>.sql, R__..., U...)");
                continue;
            }
            String prefix = m.group(1);
            Optional<String> version = Optional.ofNullable(m.group(2)).map(v -> v.replace('_', '.'));
            String description = m.group(3).replace('_', ' ');
            if (prefix.equals("R") != version.isEmpty()) {
                ignored.add(name + ": "
                        + (prefix.equals("R")
                                ? "a repeatable migration has no version"
                                : "a versioned or undo migration needs a version"));
                continue;
            }
            if (downFiles.contains(f) && !prefix.equals("U")) {
                ignored.add(name + ": only undo (U) migrations are read from --down");
                continue;
            }
            Kind kind = switch (prefix) {
                case "V" -> Kind.VERSIONED;
                case "U" -> Kind.UNDO;
                default -> Kind.REPEATABLE;
            };
            Migration mig = new Migration(
                    name, kind, version, description, text(f), kind == Kind.UNDO ? version : Optional.empty());
            (kind == Kind.UNDO ? downs : ups).add(mig);
        }
        Comparator<Migration> order = Comparator.comparing((Migration x) -> x.kind() == Kind.REPEATABLE)
                .thenComparing(
                        x -> x.version().map(MigrationVersion::fromVersion).orElse(MigrationVersion.EMPTY))
                .thenComparing(Migration::description);
        ups.sort(order);
        downs.sort(order);
        for (int i = 1; i < ups.size(); i++) {
            Migration a = ups.get(i - 1);
            Migration b = ups.get(i);
            if (a.kind() == Kind.VERSIONED
                    && b.kind() == Kind.VERSIONED
                    && MigrationVersion.fromVersion(a.version().orElseThrow())
                            .equals(MigrationVersion.fromVersion(b.version().orElseThrow()))) {
                throw new IllegalArgumentException("two migrations have version "
                        + b.version().orElseThrow() + ": " + a.file() + " and " + b.file());
            }
        }
        return new MigrationSet(Layout.FLYWAY, ups, downs, ignored);
    }

    private static MigrationSet plain(List<Path> files, List<Path> downFiles, Optional<Path> downDir) {
        List<Migration> ups = new ArrayList<>();
        for (Path f : files) {
            String name = f.getFileName().toString();
            ups.add(new Migration(
                    name,
                    Kind.PLAIN,
                    Optional.empty(),
                    name.substring(0, name.length() - 4),
                    text(f),
                    Optional.empty()));
        }
        List<Migration> downs = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        for (Path f : downFiles) {
            String name = f.getFileName().toString();
            if (ups.stream().noneMatch(u -> u.file().equals(name))) {
                ignored.add(name + " in " + downDir.orElseThrow()
                        + ": no up migration of that name (a down script has its up's file name)");
                continue;
            }
            downs.add(new Migration(
                    name,
                    Kind.UNDO,
                    Optional.empty(),
                    name.substring(0, name.length() - 4),
                    text(f),
                    Optional.of(name)));
        }
        return new MigrationSet(Layout.PLAIN, ups, downs, ignored);
    }

    /** The down script of {@code up}, if any. */
    public Optional<Migration> downOf(Migration up) {
        Optional<String> key = layout == Layout.FLYWAY ? up.version() : Optional.of(up.file());
        return key.isEmpty()
                ? Optional.empty()
                : downs.stream().filter(d -> d.undoes().equals(key)).findFirst();
    }

    private static List<Path> sqlFiles(Path dir, String flag) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(flag + " " + dir + ": no such directory");
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p ->
                            p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".sql"))
                    .filter(Files::isRegularFile)
                    .sorted(Comparator.comparing(p -> p.getFileName().toString(), MigrationSet::natural))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + dir, e);
        }
    }

    private static String text(Path f) {
        try {
            return Files.readString(f, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + f, e);
        }
    }

    /** Natural order: runs of digits compare as numbers. */
    static int natural(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            char x = a.charAt(i);
            char y = b.charAt(j);
            if (Character.isDigit(x) && Character.isDigit(y)) {
                int ei = i;
                while (ei < a.length() && Character.isDigit(a.charAt(ei))) {
                    ei++;
                }
                int ej = j;
                while (ej < b.length() && Character.isDigit(b.charAt(ej))) {
                    ej++;
                }
                int c = new java.math.BigInteger(a.substring(i, ei))
                        .compareTo(new java.math.BigInteger(b.substring(j, ej)));
                if (c != 0) {
                    return c;
                }
                i = ei;
                j = ej;
            } else {
                if (x != y) {
                    return Character.compare(x, y);
                }
                i++;
                j++;
            }
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
