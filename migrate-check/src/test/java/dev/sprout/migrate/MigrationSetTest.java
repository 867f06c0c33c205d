package dev.sprout.migrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link MigrationSet}: which layout a directory has, the order of its migrations, down scripts, bad directories. */
class MigrationSetTest {
    @TempDir
    Path dir;

    private void write(Path d, String... names) throws IOException {
        Files.createDirectories(d);
        for (String n : names) {
            Files.writeString(d.resolve(n), "SELECT 1;");
        }
    }

    @Test
    void flywayLayoutOrdersByVersionThenRepeatablesAndPairsUndos() throws IOException {
        write(
                dir,
                "V10__ten.sql",
                "V2__two.sql",
                "V1_1__one_one.sql",
                "R__view.sql",
                "U2__two.sql",
                "notes.sql",
                "README.md");
        MigrationSet s = MigrationSet.read(dir, Optional.empty());
        assertEquals(MigrationSet.Layout.FLYWAY, s.layout());
        assertEquals(
                List.of("V1_1__one_one.sql", "V2__two.sql", "V10__ten.sql", "R__view.sql"),
                s.ups().stream().map(MigrationSet.Migration::file).toList());
        assertEquals("1.1", s.ups().getFirst().version().orElseThrow());
        assertEquals("one one", s.ups().getFirst().description());
        assertEquals("U2__two.sql", s.downOf(s.ups().get(1)).orElseThrow().file());
        assertTrue(s.downOf(s.ups().get(2)).isEmpty());
        assertEquals(1, s.ignored().size());
        assertTrue(s.ignored().getFirst().startsWith("notes.sql"), s.ignored().toString());
    }

    @Test
    void plainLayoutIsNaturalOrderWithDownsOfTheSameName() throws IOException {
        write(dir.resolve("up"), "10_last.sql", "2_second.sql", "1_first.sql");
        write(dir.resolve("down"), "2_second.sql", "99_orphan.sql");
        MigrationSet s = MigrationSet.read(dir.resolve("up"), Optional.of(dir.resolve("down")));
        assertEquals(MigrationSet.Layout.PLAIN, s.layout());
        assertEquals(
                List.of("1_first.sql", "2_second.sql", "10_last.sql"),
                s.ups().stream().map(MigrationSet.Migration::file).toList());
        assertEquals("2_second.sql", s.downOf(s.ups().get(1)).orElseThrow().file());
        assertTrue(s.downOf(s.ups().getFirst()).isEmpty());
        assertTrue(
                s.ignored().getFirst().startsWith("99_orphan.sql"), s.ignored().toString());
    }

    @Test
    void refusesWhatCannotBeChecked() throws IOException {
        IllegalArgumentException missing = assertThrows(
                IllegalArgumentException.class, () -> MigrationSet.read(dir.resolve("nope"), Optional.empty()));
        assertTrue(missing.getMessage().contains("no such directory"), missing.getMessage());
        Files.createDirectories(dir.resolve("empty"));
        assertThrows(IllegalArgumentException.class, () -> MigrationSet.read(dir.resolve("empty"), Optional.empty()));
        write(dir.resolve("dup"), "V1__a.sql", "V1.0__b.sql");
        IllegalArgumentException dup = assertThrows(
                IllegalArgumentException.class, () -> MigrationSet.read(dir.resolve("dup"), Optional.empty()));
        assertTrue(dup.getMessage().contains("two migrations have version"), dup.getMessage());
    }

    @Test
    void sizesParseAndPrint() {
        assertEquals(10L << 20, Sizes.parse("10MB"));
        assertEquals(10L << 20, Sizes.parse("10MiB"));
        assertEquals(512L << 10, Sizes.parse("512kB"));
        assertEquals(4096, Sizes.parse("4096"));
        assertEquals(3L << 29, Sizes.parse("1.5G"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("ten"));
        assertEquals("98.0 MiB", Sizes.format(98L << 20));
    }
}
