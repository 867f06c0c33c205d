package dev.sprout.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.storage.catalog.Catalog;
import dev.sprout.storage.error.InvalidArgumentException;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.storage.timeline.TimelineInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A branch and the catalog records that name it, in one synced write ({@code PageStore.branch} with catalog
 * changes, as the control plane creates branches): both survive a restart together, a refused record leaves no
 * timeline, and a retry writes the records alone.
 */
class BranchWithCatalogTest {
    @TempDir
    Path dir;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theTimelineAndItsRecordAreWrittenTogetherAndSurviveARestart() {
        TimelineId main = TimelineId.random();
        TimelineId child = TimelineId.random();
        AtomicReference<TimelineInfo> planned = new AtomicReference<>();
        TimelineInfo made;
        try (PageStore store = PageStore.open(StoreOptions.defaults(dir))) {
            TimelineInfo root = store.createRoot(main, 0, 0);
            made = store.branch(child, main, root.lastLsn(), t -> {
                planned.set(t);
                return Map.of(
                        "branch/feature",
                        Optional.of(bytes("timeline=" + t.id() + " lsn=" + t.branchLsn())),
                        "branch/gone",
                        Optional.empty());
            });
            assertEquals(child, planned.get().id(), "the records are made of the timeline as it will be");
            assertEquals(made.branchLsn(), planned.get().branchLsn());
            assertEquals(made.createdAt(), planned.get().createdAt());
        }
        try (PageStore store = PageStore.open(StoreOptions.defaults(dir))) {
            assertEquals(Optional.of(main), store.timeline(child).parent());
            assertArrayEquals(
                    bytes("timeline=" + child + " lsn=" + made.branchLsn()),
                    store.catalog().get("branch/feature").orElseThrow());
            assertTrue(store.catalog().get("branch/gone").isEmpty());
        }
    }

    @Test
    void aRefusedRecordLeavesNoTimeline() {
        TimelineId main = TimelineId.random();
        TimelineId child = TimelineId.random();
        try (PageStore store = PageStore.open(StoreOptions.defaults(dir))) {
            TimelineInfo root = store.createRoot(main, 0, 0);
            byte[] tooBig = new byte[Catalog.MAX_VALUE_BYTES + 1];
            InvalidArgumentException e = assertThrows(
                    InvalidArgumentException.class,
                    () -> store.branch(child, main, root.lastLsn(), t -> Map.of("branch/big", Optional.of(tooBig))));
            assertTrue(e.getMessage().contains("branch/big"), e.getMessage());
            assertFalse(
                    store.timelines().stream().anyMatch(t -> t.id().equals(child)), "no timeline without its record");
            assertTrue(store.catalog().get("branch/big").isEmpty());

            // The same id can still be made afterwards: nothing of the refused attempt is in the way.
            store.branch(child, main, root.lastLsn(), t -> Map.of("branch/ok", Optional.of(bytes("ok"))));
            assertTrue(store.catalog().get("branch/ok").isPresent());
        }
        try (PageStore store = PageStore.open(StoreOptions.defaults(dir))) {
            assertTrue(store.timelines().stream().anyMatch(t -> t.id().equals(child)));
            assertTrue(store.catalog().get("branch/big").isEmpty());
        }
    }

    @Test
    void aRetryOfAnExistingBranchWritesTheRecordsAlone() {
        TimelineId main = TimelineId.random();
        TimelineId child = TimelineId.random();
        try (PageStore store = PageStore.open(StoreOptions.defaults(dir))) {
            TimelineInfo root = store.createRoot(main, 0, 0);
            TimelineInfo first = store.branch(child, main, root.lastLsn());
            TimelineInfo again = store.branch(
                    child, main, root.lastLsn(), t -> Map.of("branch/retried", Optional.of(bytes(t.id().toString()))));
            assertEquals(first.createdAt(), again.createdAt(), "the same timeline, not a new one");
            assertArrayEquals(
                    bytes(child.toString()),
                    store.catalog().get("branch/retried").orElseThrow());
        }
    }
}
