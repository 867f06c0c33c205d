package dev.sprout.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.diff.schema.CatalogReader;
import dev.sprout.diff.schema.Include;
import dev.sprout.diff.schema.Report;
import dev.sprout.diff.schema.SchemaDiff;
import dev.sprout.diff.schema.Snapshot;
import dev.sprout.diff.schema.SqlScript;
import dev.sprout.storage.timeline.BranchPoint;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The schema diff's property, on Sprout itself: for every pair (FROM, TO) of the corpus
 * ({@code schema-diff/src/test/resources/corpus}, at least 40 pairs over every object kind), the script
 * {@code sql(FROM → TO)} applied to a branch of FROM gives a database whose diff against TO is empty. Every pair's
 * two schemas live as databases on {@code main}; one branch of main gets every script, so each script runs on a
 * fresh copy of its FROM. Pairs marked {@code expect-equal} must compare equal (column order, a sequence's current
 * value); {@code expect-equal-unless-comments} only when comments are compared.
 */
class SchemaDiffCorpusTest {
    private static final Path CORPUS = Path.of("..", "schema-diff", "src", "test", "resources", "corpus");

    record Pair(String name, Path dir, String db) {
        boolean marked(String marker) {
            return Files.exists(dir.resolve(marker));
        }
    }

    @Test
    void everyScriptTurnsFromIntoToOnABranch() throws Exception {
        List<Pair> pairs = pairs();
        assertTrue(pairs.size() >= 40, "the corpus holds " + pairs.size() + " pairs, at least 40 expected");
        Path work = Files.createDirectories(Path.of("/tmp", "sprout-schema-corpus-" + UUID.randomUUID()));
        try (LocalStack up = LocalStack.startWithCompute(work.resolve("sprout"), 0, 0, 0)) {
            String pw = LocalStack.password(up.dataDir());
            int proxy = up.proxy().orElseThrow().port();
            try (Connection main = connect(proxy, "main", "postgres", pw)) {
                for (Pair p : pairs) {
                    exec(main, "CREATE DATABASE " + p.db() + "_from");
                    exec(main, "CREATE DATABASE " + p.db() + "_to");
                }
            }
            for (Pair p : pairs) {
                load(proxy, "main", p.db() + "_from", pw, p.dir().resolve("from.sql"));
                load(proxy, "main", p.db() + "_to", pw, p.dir().resolve("to.sql"));
            }
            up.control().create("applied", "main", new BranchPoint.Head());
            List<String> failures = new ArrayList<>();
            for (Pair p : pairs) {
                Set<Include> include = p.marked("expect-equal-unless-comments")
                        ? EnumSet.of(Include.COMMENTS)
                        : EnumSet.noneOf(Include.class);
                Snapshot from = read(proxy, "main", p.db() + "_from", pw, include);
                Snapshot to = read(proxy, "main", p.db() + "_to", pw, include);
                SchemaDiff diff = SchemaDiff.compare(from, to);
                if (p.marked("expect-equal")) {
                    if (!diff.equal()) {
                        failures.add(p.name() + ": expected equal, got\n" + Report.text(diff, "from", "to", false));
                    }
                    continue;
                }
                if (diff.equal()) {
                    failures.add(p.name() + ": expected a difference, got none");
                    continue;
                }
                if (p.marked("expect-equal-unless-comments")
                        && !SchemaDiff.compare(
                                        read(proxy, "main", p.db() + "_from", pw, Set.of()),
                                        read(proxy, "main", p.db() + "_to", pw, Set.of()))
                                .equal()) {
                    failures.add(p.name() + ": differs beyond its comments");
                }
                List<SqlScript.Step> steps = SqlScript.of(diff);
                String script = SqlScript.render(diff, "from", "to");
                try (Connection c = connect(proxy, "applied", p.db() + "_from", pw)) {
                    exec(c, "SET check_function_bodies = false");
                    for (SqlScript.Step s : steps) {
                        if (!s.commentOnly()) {
                            exec(c, s.sql());
                        }
                    }
                } catch (SQLException e) {
                    failures.add(p.name() + ": the script failed: " + e.getMessage() + "\n" + script);
                    continue;
                }
                SchemaDiff after = SchemaDiff.compare(read(proxy, "applied", p.db() + "_from", pw, include), to);
                if (!after.equal()) {
                    failures.add(p.name() + ": after the script, still\n" + Report.text(after, "applied", "to", false)
                            + "the script was\n" + script);
                }
            }
            assertTrue(
                    failures.isEmpty(),
                    failures.size() + " of " + pairs.size() + " pairs failed:\n\n" + String.join("\n\n", failures));
            assertFalse(pairs.isEmpty());
        } finally {
            try (Stream<Path> walk = Files.walk(work)) {
                walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    static List<Pair> pairs() throws IOException, URISyntaxException {
        try (Stream<Path> dirs = Files.list(CORPUS)) {
            return dirs.filter(Files::isDirectory)
                    .sorted()
                    .map(d -> new Pair(
                            d.getFileName().toString(),
                            d,
                            "c_" + d.getFileName().toString().replace('-', '_')))
                    .toList();
        }
    }

    static Snapshot read(int proxy, String branch, String db, String pw, Set<Include> include) throws SQLException {
        try (Connection c = connect(proxy, branch, db, pw)) {
            return new CatalogReader(include).read(c);
        }
    }

    /** With psql, as a user would (pgjdbc cannot send a {@code BEGIN ATOMIC} body among other statements). */
    private static void load(int proxy, String branch, String db, String pw, Path file)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(
                        PostgresInstall.locate().tool("psql").toString(),
                        "-X",
                        "-q",
                        "-v",
                        "ON_ERROR_STOP=1",
                        "-f",
                        file.toString(),
                        "postgresql://postgres@127.0.0.1:" + proxy + "/" + db + "?sslmode=disable&options=branch%3D"
                                + branch)
                .redirectErrorStream(true);
        pb.environment().put("PGPASSWORD", pw);
        Process psql = pb.start();
        String output = new String(psql.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (psql.waitFor() != 0) {
            throw new IllegalStateException("loading " + file + " into " + db + " failed:\n" + output);
        }
    }

    static Connection connect(int proxy, String branch, String db, String pw) throws SQLException {
        return DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + proxy + "/" + db + "?sslmode=disable&options=branch%3D" + branch,
                "postgres",
                pw);
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
