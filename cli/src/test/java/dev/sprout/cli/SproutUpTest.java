package dev.sprout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.storage.PageStore;
import dev.sprout.storage.StoreOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `sprout up` on a real store: the first run loads `main`, later runs reuse it and leave no branch behind. */
class SproutUpTest {
    @TempDir
    Path dir;

    private String run(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Sprout.run(args), "exit code of sprout " + String.join(" ", args));
        } finally {
            System.setOut(original);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void upLoadsOnceBranchesAndCleansUp() {
        String first = run("up", "--data-dir", dir.toString(), "--demo-mib", "2");
        assertTrue(first.contains("loaded 2 MiB into main"), first);
        assertTrue(first.contains("branch reads 42, main still reads 7"), first);

        String second = run("up", "--data-dir", dir.toString(), "--demo-mib", "2");
        assertTrue(!second.contains("loaded"), "the second run reuses main: " + second);
        assertTrue(second.contains("main: timeline " + UpCommand.MAIN + ", 2 MiB"), second);

        try (PageStore store = PageStore.open(StoreOptions.defaults(dir.resolve("pages")))) {
            assertEquals(1, store.timelines().size(), "only main remains");
            assertEquals(2L << 20, store.timeline(UpCommand.MAIN).logicalBytes());
        }
    }

    @Test
    void badInputIsASentenceAndAnExitCode() {
        assertEquals(1, Sprout.run("up", "--data-dir", dir.toString(), "--demo-mib", "0"));
        assertEquals(2, Sprout.run("up", "--no-such-option"));
    }
}
