package dev.sprout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * {@code sprout migrate check} against the corpus in {@code src/test/resources/migrate-corpus} (its README says how
 * it is laid out): a realistic schema with a million-row table or two loaded by real Flyway on {@code main}, then
 * for each case the check on the case's migrations, whose verdict, applied count, failed migration and exact set of
 * findings must equal those its {@code expect} file wrote down before the tool existed. Every case runs; the test
 * fails with every mismatch listed. The check's short-lived branches must be gone after each case.
 */
class MigrateCheckCorpusTest {
    static final Path CORPUS = Path.of("src/test/resources/migrate-corpus");

    /** What a case's expect file says. */
    record Expect(String layout, String verdict, int applied, Optional<String> failed, Set<String> findings) {
        static Expect read(Path file) throws IOException {
            String layout = "";
            String verdict = "";
            int applied = -1;
            Optional<String> failed = Optional.empty();
            Set<String> findings = new TreeSet<>();
            for (String line : Files.readAllLines(file)) {
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                String value = l.substring(l.indexOf(':') + 1).strip();
                switch (l.substring(0, l.indexOf(':'))) {
                    case "layout" -> layout = value;
                    case "verdict" -> verdict = value;
                    case "applied" -> applied = Integer.parseInt(value);
                    case "failed" -> failed = Optional.of(value);
                    case "finding" -> findings.add(value.replaceAll("\\s+", " "));
                    default -> throw new IllegalArgumentException(file + ": unknown line " + l);
                }
            }
            return new Expect(layout, verdict, applied, failed, findings);
        }
    }

    @Test
    void everyCaseGivesTheVerdictAndFindingsWrittenDown() throws Exception {
        Path work = Files.createDirectories(Path.of("/tmp", "sprout-migrate-corpus-" + UUID.randomUUID()));
        try (LocalStack up = LocalStack.startWithCompute(work.resolve("sprout"), 0, 0, 0)) {
            String pw = LocalStack.password(up.dataDir());
            int proxy = up.proxy().orElseThrow().port();
            long t0 = System.nanoTime();
            Flyway.configure()
                    .dataSource("jdbc:postgresql://127.0.0.1:" + proxy + "/postgres?sslmode=disable", "postgres", pw)
                    .locations("filesystem:" + CORPUS.resolve("base").toAbsolutePath())
                    .load()
                    .migrate();
            System.out.println("base loaded by Flyway in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            // the cases branch off a branch of main that no client wakes, as CI would keep a quiet copy of
            // production: a branch of a quiet branch starts without replaying the load's WAL
            try (java.sql.Connection c = SchemaDiffCorpusTest.connect(proxy, "main", "postgres", pw);
                    java.sql.Statement st = c.createStatement()) {
                st.execute("CHECKPOINT");
            }
            Cli.Result base = Cli.sprout(
                    "branch",
                    "create",
                    "corpus",
                    "--http-port",
                    Integer.toString(up.httpPort()),
                    "--data-dir",
                    up.dataDir().toString());
            assertEquals(0, base.exit(), base.toString());
            List<String> mismatches = new ArrayList<>();
            List<Path> cases;
            try (Stream<Path> s = Files.list(CORPUS.resolve("cases"))) {
                // -Dmigrate.corpus.only=07,12 runs only the cases whose names start with those prefixes
                List<String> only =
                        List.of(System.getProperty("migrate.corpus.only", "").split(","));
                cases = s.filter(Files::isDirectory)
                        .filter(p -> only.equals(List.of(""))
                                || only.stream()
                                        .anyMatch(
                                                o -> p.getFileName().toString().startsWith(o)))
                        .sorted()
                        .toList();
            }
            if (System.getProperty("migrate.corpus.only", "").isEmpty()) {
                assertTrue(cases.size() >= 25, "the corpus has at least 25 cases");
            }
            for (Path c : cases) {
                long started = System.nanoTime();
                String name = c.getFileName().toString();
                Expect expect = Expect.read(c.resolve("expect"));
                Path dir = layout(c, work.resolve("cases").resolve(name));
                List<String> args = new ArrayList<>(List.of(
                        "migrate",
                        "check",
                        "--base",
                        "corpus",
                        "--migrations",
                        dir.toString(),
                        "--format",
                        "json",
                        "--big-table",
                        "10MB",
                        "--fail-on",
                        "error"));
                if (Files.isDirectory(c.resolve("down"))) {
                    args.addAll(
                            List.of("--down", c.resolve("down").toAbsolutePath().toString()));
                }
                args.addAll(List.of(
                        "--http-port",
                        Integer.toString(up.httpPort()),
                        "--pg-port",
                        Integer.toString(proxy),
                        "--data-dir",
                        up.dataDir().toString()));
                Cli.Result r = Cli.sprout(args.toArray(String[]::new));
                String said = name + " (" + (System.nanoTime() - started) / 1_000_000 + " ms)";
                if (r.exit() != 0 && r.exit() != 1) {
                    mismatches.add(said + ": exit " + r.exit() + "\n" + r.err());
                    continue;
                }
                JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
                List<String> wrong = new ArrayList<>();
                check(wrong, "layout", expect.layout(), o.get("layout").getAsString());
                check(wrong, "verdict", expect.verdict(), o.get("verdict").getAsString());
                check(wrong, "exit", expect.verdict().equals("fail") ? "1" : "0", Integer.toString(r.exit()));
                List<JsonObject> runs = o.getAsJsonArray("migrations").asList().stream()
                        .map(JsonElement::getAsJsonObject)
                        .toList();
                if (expect.applied() >= 0) {
                    check(
                            wrong,
                            "applied",
                            Integer.toString(expect.applied()),
                            Long.toString(runs.stream()
                                    .filter(m -> m.get("status").getAsString().equals("applied"))
                                    .count()));
                }
                Optional<String> failed = runs.stream()
                        .filter(m -> m.get("status").getAsString().equals("failed"))
                        .map(m -> m.get("file").getAsString())
                        .findFirst();
                if (expect.failed().isPresent()) {
                    check(wrong, "failed", expect.failed().get(), failed.orElse("none"));
                }
                Set<String> found = new TreeSet<>();
                for (JsonElement e : o.getAsJsonArray("findings")) {
                    JsonObject f = e.getAsJsonObject();
                    found.add(f.get("rule").getAsString() + " "
                            + f.get("migration").getAsString() + " "
                            + f.get("relation").getAsString());
                }
                Set<String> missing = new TreeSet<>(expect.findings());
                missing.removeAll(found);
                Set<String> extra = new TreeSet<>(found);
                extra.removeAll(expect.findings());
                if (!missing.isEmpty()) {
                    wrong.add("missing findings " + missing);
                }
                if (!extra.isEmpty()) {
                    wrong.add("unexpected findings " + extra);
                }
                if (!wrong.isEmpty()) {
                    mismatches.add(said + ": " + String.join("; ", wrong) + "\n" + r.out());
                }
                System.out.println("migrate corpus " + said + (wrong.isEmpty() ? " ok" : " MISMATCH") + "\n" + r.err());
            }
            String[] where = {
                "--http-port",
                Integer.toString(up.httpPort()),
                "--pg-port",
                Integer.toString(proxy),
                "--data-dir",
                up.dataDir().toString()
            };
            Path one = layout(CORPUS.resolve("cases/02-create-index-orders"), work.resolve("one"));
            // the other formats, and --keep
            Cli.Result md = Cli.sprout(concat(
                    where,
                    "migrate",
                    "check",
                    "--base",
                    "corpus",
                    "--migrations",
                    one.toString(),
                    "--format",
                    "markdown",
                    "--keep"));
            assertEquals(0, md.exit(), md.toString());
            assertTrue(md.out().startsWith("### ⚠️ Migration check passed: 1 warning"), md.toString());
            assertTrue(md.out().contains("| `V4__orders_created_at_index.sql` | ✅ applied |"), md.toString());
            assertTrue(md.out().contains("`index-not-concurrent`"), md.toString());
            java.util.regex.Matcher kept = java.util.regex.Pattern.compile("kept branch (corpus-check-[0-9a-f]{8})")
                    .matcher(md.err());
            assertTrue(kept.find(), md.toString());
            Cli.Result keptIndex = Cli.sprout(concat(where, "diff", "schema", "corpus", kept.group(1)));
            assertEquals(1, keptIndex.exit(), "the kept branch has the migration: " + keptIndex);
            assertTrue(keptIndex.out().contains("orders_created_at_idx"), keptIndex.toString());
            Cli.Result gone = Cli.sprout(
                    "branch",
                    "delete",
                    kept.group(1),
                    "--http-port",
                    Integer.toString(up.httpPort()),
                    "--data-dir",
                    up.dataDir().toString());
            assertEquals(0, gone.exit(), gone.toString());
            Cli.Result text = Cli.sprout(concat(
                    where,
                    "migrate",
                    "check",
                    "--base",
                    "corpus",
                    "--migrations",
                    one.toString(),
                    "--fail-on",
                    "warning"));
            assertEquals(1, text.exit(), "a warning fails with --fail-on warning: " + text);
            assertTrue(text.out().startsWith("migration check failed: 1 warning"), text.toString());
            // bad input: exit 2 and a sentence, nothing made
            Cli.Result unknown =
                    Cli.sprout(concat(where, "migrate", "check", "--base", "nope", "--migrations", one.toString()));
            assertEquals(2, unknown.exit(), unknown.toString());
            assertTrue(unknown.err().contains("base branch nope"), unknown.toString());
            Cli.Result noDir = Cli.sprout(concat(
                    where,
                    "migrate",
                    "check",
                    "--base",
                    "corpus",
                    "--migrations",
                    work.resolve("none").toString()));
            assertEquals(2, noDir.exit(), noDir.toString());
            assertTrue(noDir.err().contains("no such directory"), noDir.toString());
            Cli.Result format = Cli.sprout(concat(
                    where, "migrate", "check", "--base", "corpus", "--migrations", one.toString(), "--format", "xml"));
            assertEquals(2, format.exit(), format.toString());
            Cli.Result level = Cli.sprout(concat(
                    where, "migrate", "check", "--base", "corpus", "--migrations", one.toString(), "--fail-on", "x"));
            assertEquals(2, level.exit(), level.toString());
            // Sprout out of reach: exit 3
            Cli.Result away = Cli.sprout(
                    "migrate",
                    "check",
                    "--base",
                    "corpus",
                    "--migrations",
                    one.toString(),
                    "--http-port",
                    Integer.toString(dev.sprout.testkit.Ports.free()),
                    "--data-dir",
                    up.dataDir().toString());
            assertEquals(3, away.exit(), away.toString());
            Cli.Result list = Cli.sprout(
                    "branch",
                    "list",
                    "--http-port",
                    Integer.toString(up.httpPort()),
                    "--data-dir",
                    up.dataDir().toString());
            assertEquals(0, list.exit(), list.toString());
            assertFalse(list.out().contains("check-"), "the check's branches are deleted: " + list.out());
            assertTrue(
                    mismatches.isEmpty(),
                    mismatches.size() + " of " + cases.size() + " cases differ:\n" + String.join("\n\n", mismatches));
        } finally {
            delete(work);
        }
    }

    private static String[] concat(String[] where, String... args) {
        return Stream.concat(Stream.of(args), Stream.of(where)).toArray(String[]::new);
    }

    private static void check(List<String> wrong, String what, String expected, String actual) {
        if (!expected.equals(actual)) {
            wrong.add(what + " " + actual + ", expected " + expected);
        }
    }

    /** The directory the check sees: the case's migrations (plain), or base/ + migrations/ − remove (Flyway). */
    static Path layout(Path c, Path dir) throws IOException {
        Files.createDirectories(dir);
        if (!Files.exists(c.resolve("plain"))) {
            Set<String> removed = Files.exists(c.resolve("remove"))
                    ? Set.copyOf(Files.readAllLines(c.resolve("remove")).stream()
                            .map(String::strip)
                            .filter(l -> !l.isEmpty())
                            .toList())
                    : Set.of();
            try (Stream<Path> s = Files.list(CORPUS.resolve("base"))) {
                for (Path f : s.toList()) {
                    if (!removed.contains(f.getFileName().toString())) {
                        Files.copy(f, dir.resolve(f.getFileName()));
                    }
                }
            }
        }
        if (Files.isDirectory(c.resolve("migrations"))) {
            try (Stream<Path> s = Files.list(c.resolve("migrations"))) {
                for (Path f : s.toList()) {
                    Files.copy(f, dir.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return dir;
    }

    private static void delete(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
