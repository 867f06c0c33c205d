package dev.sprout.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sprout.storage.error.UnknownTimelineException;
import dev.sprout.storage.timeline.TimelineId;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writer generations only grow, survive a reopen, are per timeline, and go with a deleted timeline. */
class WriterGenerationTest {
    @TempDir
    Path dir;

    @Test
    void generationsAreDurablePerTimelineAndForgottenOnDelete() {
        TimelineId main = TimelineId.random();
        TimelineId child = TimelineId.random();
        StoreOptions options = StoreOptions.defaults(dir).withMemory(8 << 20, 4 << 20);
        try (PageStore store = PageStore.open(options)) {
            store.createRoot(main, 0, 0);
            assertEquals(0, store.writerGeneration(main));
            assertEquals(1, store.claimWriter(main));
            assertEquals(2, store.claimWriter(main));
            store.branch(child, main, store.timeline(main).lastLsn());
            assertEquals(0, store.writerGeneration(child), "a branch starts without a writer");
            assertEquals(1, store.claimWriter(child));
            assertThrows(UnknownTimelineException.class, () -> store.claimWriter(TimelineId.random()));
        }
        try (PageStore store = PageStore.open(options)) {
            assertEquals(2, store.writerGeneration(main), "kept across a reopen");
            assertEquals(3, store.claimWriter(main));
            store.deleteTimeline(child);
            assertThrows(UnknownTimelineException.class, () -> store.writerGeneration(child));
            store.branch(child, main, store.timeline(main).lastLsn());
            assertEquals(0, store.writerGeneration(child), "a timeline made again under a deleted id starts afresh");
        }
    }
}
