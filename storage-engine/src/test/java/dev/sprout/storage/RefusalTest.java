package dev.sprout.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.storage.error.ErrorCode;
import dev.sprout.storage.error.InvalidNameException;
import dev.sprout.storage.error.InvalidPageException;
import dev.sprout.storage.error.LsnOutOfRangeException;
import dev.sprout.storage.error.StorageException;
import dev.sprout.storage.error.TimelineExistsException;
import dev.sprout.storage.error.TimelineHasChildrenException;
import dev.sprout.storage.error.UnknownTimelineException;
import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.page.Pages;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.testkit.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of wrong input gets its typed exception, a sentence naming the value, and writes nothing. */
class RefusalTest {
    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock(Instant.parse("2026-03-01T10:00:00Z"));
    private PageStore store;
    private TimelineId main;
    private long file;

    @BeforeEach
    void open() {
        store = PageStore.open(StoreOptions.defaults(dir)
                .withSyncCommits(false)
                .withMemory(8 << 20, 4 << 20)
                .withClock(clock)
                .withPitrWindow(Duration.ofMinutes(10)));
        main = TimelineId.random();
        store.createRoot(main, 0, 0);
        store.mkdir(main, "/base", 0700, 0, 0);
        file = store.create(main, "/base/16384", 0600, 0, 0).fileId();
        store.commit(new PageBatch(main).resize(file, Pages.PAGE_SIZE).write(file, 0, new byte[Pages.PAGE_SIZE]));
    }

    @AfterEach
    void close() {
        store.close();
    }

    private <T extends StorageException> T refused(Class<T> type, String mustMention, Executable call) {
        long before = store.lastLsn();
        int timelines = store.timelines().size();
        T e = assertThrows(type, call);
        assertTrue(
                e.getMessage().contains(mustMention), "message \"" + e.getMessage() + "\" should name " + mustMention);
        assertEquals(before, store.lastLsn(), "a refused call must not commit");
        assertEquals(timelines, store.timelines().size(), "a refused call must not create a timeline");
        return e;
    }

    @Test
    void unknownTimeline() {
        TimelineId ghost = TimelineId.random();
        refused(UnknownTimelineException.class, ghost.toString(), () -> store.readPage(ghost, 1, file, 0));
        refused(UnknownTimelineException.class, ghost.toString(), () -> store.branch(TimelineId.random(), ghost, 1));
        refused(
                UnknownTimelineException.class,
                ghost.toString(),
                () -> store.commit(new PageBatch(ghost).resize(file, Pages.PAGE_SIZE)));
        refused(UnknownTimelineException.class, ghost.toString(), () -> store.deleteTimeline(ghost));
        StorageException bad = assertThrows(StorageException.class, () -> TimelineId.parse("not-a-uuid"));
        assertEquals(ErrorCode.INVALID_ARGUMENT, bad.code());
        assertTrue(bad.getMessage().contains("not-a-uuid"));
    }

    @Test
    void lsnBeyondTheParentsHead() {
        long head = store.timeline(main).lastLsn();
        refused(
                LsnOutOfRangeException.class,
                String.valueOf(head + 1),
                () -> store.branch(TimelineId.random(), main, head + 1));
        refused(LsnOutOfRangeException.class, String.valueOf(head + 5), () -> store.readPage(main, head + 5, file, 0));
        refused(
                LsnOutOfRangeException.class,
                "future",
                () -> store.branchAt(TimelineId.random(), main, clock.instant().plusSeconds(60)));
        refused(
                LsnOutOfRangeException.class,
                "before timeline",
                () -> store.branchAt(TimelineId.random(), main, clock.instant().minusSeconds(3600)));
    }

    @Test
    void lsnBelowTheGcHorizon() {
        long early = store.timeline(main).lastLsn();
        clock.advance(Duration.ofMinutes(30));
        store.commit(new PageBatch(main).write(file, 0, new byte[Pages.PAGE_SIZE]));
        clock.advance(Duration.ofMinutes(30));
        store.commit(new PageBatch(main).write(file, 0, new byte[Pages.PAGE_SIZE]));
        store.gc();
        long horizon = store.timeline(main).gcHorizon();
        assertTrue(horizon > early, "GC horizon " + horizon + " should pass LSN " + early);
        LsnOutOfRangeException e = refused(
                LsnOutOfRangeException.class,
                String.valueOf(horizon),
                () -> store.branch(TimelineId.random(), main, early));
        assertTrue(e.getMessage().contains("GC horizon"), e.getMessage());
        refused(LsnOutOfRangeException.class, "GC horizon", () -> store.readPage(main, early, file, 0));
        refused(LsnOutOfRangeException.class, "GC horizon", () -> store.lease(main, early, Duration.ofMinutes(1)));
    }

    @Test
    void pageThatIsNot8KiB() {
        for (int size : new int[] {0, 1, 4096, 8191, 8193, 16384}) {
            refused(
                    InvalidPageException.class,
                    String.valueOf(size),
                    () -> new PageBatch(main).write(file, 0, new byte[size]));
        }
        refused(
                InvalidPageException.class,
                "beyond the file's size",
                () -> store.commit(new PageBatch(main).write(file, 3, new byte[Pages.PAGE_SIZE])));
        refused(InvalidPageException.class, "-2", () -> new PageBatch(main).write(file, -2, new byte[Pages.PAGE_SIZE]));
    }

    @Test
    void pathsThatEscapeOrNamesThatCannotBeStored() {
        for (String path :
                List.of("/base/../../etc/passwd", "/base/..", "/./base", "base/16384", "", "/base//x", "/base/x/")) {
            refused(
                    InvalidNameException.class,
                    path.isEmpty() ? "empty" : path,
                    () -> store.create(main, path, 0600, 0, 0));
        }
        refused(InvalidNameException.class, "\\0", () -> store.create(main, "/base/a\0b", 0600, 0, 0));
        refused(
                InvalidNameException.class,
                "/base/../16384",
                () -> store.rename(main, "/base/16384", "/base/../16384"));
        refused(InvalidNameException.class, "PATH_MAX", () -> store.create(main, "/" + "x".repeat(5000), 0600, 0, 0));
        refused(InvalidNameException.class, "255", () -> store.create(main, "/" + "x".repeat(256), 0600, 0, 0));
    }

    @Test
    void deleteWhileChildrenReadThrough() {
        TimelineId child = TimelineId.random();
        store.branch(child, main, store.timeline(main).lastLsn());
        refused(TimelineHasChildrenException.class, child.toString(), () -> store.deleteTimeline(main));
        store.deleteTimeline(child);
        store.deleteTimeline(main);
        assertEquals(List.of(), store.timelines());
    }

    @Test
    void branchIsIdempotentOnIdParentAndLsn() {
        long head = store.timeline(main).lastLsn();
        TimelineId child = TimelineId.random();
        var first = store.branch(child, main, head);
        var again = store.branch(child, main, head);
        assertEquals(first.branchLsn(), again.branchLsn());
        assertEquals(2, store.timelines().size());
        refused(TimelineExistsException.class, child.toString(), () -> store.branch(child, main, head - 1));
    }
}
