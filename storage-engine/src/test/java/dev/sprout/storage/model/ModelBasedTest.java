package dev.sprout.storage.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.storage.PageStore;
import dev.sprout.storage.StoreOptions;
import dev.sprout.storage.error.ErrorCode;
import dev.sprout.storage.error.StorageException;
import dev.sprout.storage.gc.Lease;
import dev.sprout.storage.model.ReferenceModel.Node;
import dev.sprout.storage.model.ReferenceModel.Page;
import dev.sprout.storage.model.ReferenceModel.Timeline;
import dev.sprout.storage.model.ReferenceModel.Tree;
import dev.sprout.storage.namespace.AttrChange;
import dev.sprout.storage.namespace.Created;
import dev.sprout.storage.namespace.DirEntry;
import dev.sprout.storage.namespace.FileAttr;
import dev.sprout.storage.namespace.FileType;
import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.page.PageRead;
import dev.sprout.storage.page.PageRef;
import dev.sprout.storage.page.Pages;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.storage.timeline.TimelineInfo;
import dev.sprout.testkit.ManualClock;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model-based randomized test: random operations over a tree of timelines, each applied to the engine and to
 * {@link ReferenceModel}, compared after every step. Replay a failure with {@code -Dsprout.seed=N}; change the
 * length with {@code -Dsprout.modelOps=N}.
 */
class ModelBasedTest {
    private static final int OPS = Integer.getInteger("sprout.modelOps", 100_000);
    private static final int MIN_TIMELINES = 8;
    private static final int MAX_TIMELINES = 16;
    private static final int REOPEN_EVERY = 10_000;
    private static final Duration PITR = Duration.ofSeconds(2);
    private static final String[] NAMES = {"a", "b", "c", "d", "e", "f"};
    private static final int UID = 26;

    @TempDir
    Path dir;

    private Random rnd;
    private ManualClock clock;
    private ReferenceModel m;
    private PageStore store;
    private StoreOptions options;
    private final Set<Long> fileIds = new HashSet<>();
    private final Map<String, Integer> opCounts = new TreeMap<>();
    private final Map<ErrorCode, Integer> refusals = new EnumMap<>(ErrorCode.class);
    private long tokens;
    private int step;
    private int timelinesEverCreated;

    @Test
    void randomOperationsMatchTheReferenceModel() {
        long seed = Long.getLong("sprout.seed", new SecureRandom().nextLong());
        try {
            run(seed);
        } catch (Throwable e) {
            throw new AssertionError(
                    "model test failed at step " + step + " with seed " + seed
                            + " (replay: mvn -pl storage-engine test -Dtest=ModelBasedTest -Dsprout.seed=" + seed
                            + "): " + e,
                    e);
        } finally {
            if (store != null) {
                store.close();
            }
        }
        System.out.printf(
                "model test: seed %d, %d operations, %d timelines created, 0 mismatches%n  operations: %s%n  refusals checked: %s%n",
                seed, OPS, timelinesEverCreated, opCounts, refusals);
        assertTrue(timelinesEverCreated >= MIN_TIMELINES, "the tree must reach " + MIN_TIMELINES + " timelines");
        assertEquals(OPS / REOPEN_EVERY, opCounts.getOrDefault("reopen", 0), "close-and-reopen rounds");
    }

    private void run(long seed) {
        rnd = new Random(seed);
        clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        m = new ReferenceModel();
        options = StoreOptions.defaults(dir.resolve("store"))
                .withSyncCommits(false)
                .withMemory(16L << 20, 4L << 20)
                .withClock(clock)
                .withPitrWindow(PITR);
        store = PageStore.open(options);
        createRoot();
        for (step = 1; step <= OPS; step++) {
            clock.advance(Duration.ofNanos(1000L * rnd.nextInt(2000)));
            oneStep();
            assertEquals(m.lastLsn, store.lastLsn(), "store's last LSN");
        }
    }

    private void oneStep() {
        if (step % REOPEN_EVERY == 0) {
            count("reopen");
            reopen();
            return;
        }
        Timeline t = pickTimeline();
        int r = rnd.nextInt(1000);
        if (r < 300) {
            writeBatch(t);
        } else if (r < 340) {
            truncate(t);
        } else if (r < 460) {
            create(t, FileType.REGULAR);
        } else if (r < 510) {
            create(t, FileType.DIRECTORY);
        } else if (r < 560) {
            remove(t, FileType.REGULAR);
        } else if (r < 590) {
            remove(t, FileType.DIRECTORY);
        } else if (r < 660) {
            rename(t);
        } else if (r < 700) {
            setAttr(t);
        } else if ((r < 755 && m.timelines.size() < MAX_TIMELINES) || m.timelines.size() < MIN_TIMELINES) {
            if (r < 740) {
                branch(t);
            } else {
                branchAtTime(t);
            }
        } else if (r < 775) {
            deleteTimeline(t);
        } else if (r < 780) {
            gc();
        } else if (r < 790) {
            lease(t);
        } else if (r < 960) {
            readPast(t);
        } else {
            badInput(t);
        }
    }

    // ---- operations --------------------------------------------------------------------------------------------

    private void createRoot() {
        TimelineId id = TimelineId.random();
        TimelineInfo info = store.createRoot(id, UID, UID);
        m.recordCommit(info.lastLsn(), clock.micros());
        Timeline root = new Timeline(id, null, info.lastLsn(), clock.micros());
        Node rootDir = new Node(1, FileType.DIRECTORY, 0, 0700, UID, UID, clock.micros(), info.lastLsn(), Map.of());
        root.snapshots.put(info.lastLsn(), new Tree(Map.of("/", rootDir)));
        m.timelines.put(id, root);
        TimelineInfo again = store.createRoot(id, UID, UID);
        assertEquals(
                List.of(info.id(), info.branchLsn(), info.lastLsn()),
                List.of(again.id(), again.branchLsn(), again.lastLsn()),
                "createRoot is idempotent");
        timelinesEverCreated++;
    }

    private void writeBatch(Timeline t) {
        count("write");
        Tree tree = t.head();
        List<String> files = paths(tree, FileType.REGULAR);
        if (files.isEmpty()) {
            create(t, FileType.REGULAR);
            return;
        }
        String path = files.get(rnd.nextInt(files.size()));
        Node node = tree.nodes().get(path);
        PageBatch batch = new PageBatch(t.id);
        Map<Integer, Page> blocks = new HashMap<>(node.blocks());
        long size = node.size();
        int ops = 1 + rnd.nextInt(4);
        boolean allowBeyond = rnd.nextInt(20) == 0;
        for (int i = 0; i < ops; i++) {
            if (rnd.nextInt(100) < 65) {
                int block = rnd.nextInt((int) Pages.pagesFor(size) + 2);
                Page old = blocks.get(block);
                // half the rewrites of a stored block change a few bytes of it (stored as a delta), the others all
                Page page = old != null && rnd.nextBoolean() ? old.edited() : new Page(++tokens, Pages.PAGE_SIZE);
                batch.write(node.id(), block, page.bytes());
                blocks.put(block, page);
                if (!allowBeyond && (long) block * Pages.PAGE_SIZE >= size) {
                    size = (long) block * Pages.PAGE_SIZE + 1 + rnd.nextInt(Pages.PAGE_SIZE);
                    batch.resize(node.id(), size);
                }
            } else {
                long newSize = rnd.nextInt(7 * Pages.PAGE_SIZE);
                size = applyResize(blocks, size, newSize);
                batch.resize(node.id(), newSize);
            }
        }
        commitBatch(t, path, node, batch, blocks, size);
    }

    private void truncate(Timeline t) {
        count("truncate");
        Tree tree = t.head();
        String path = randomPath(tree);
        long newSize = rnd.nextInt(7 * Pages.PAGE_SIZE);
        ErrorCode expected = ReferenceModel.resolveError(tree, path);
        if (expected == null && tree.nodes().get(path).type() == FileType.DIRECTORY) {
            expected = ErrorCode.IS_A_DIRECTORY;
        }
        if (expected != null) {
            refuse(expected, () -> store.truncate(t.id, path, newSize));
            return;
        }
        Node node = tree.nodes().get(path);
        Map<Integer, Page> blocks = new HashMap<>(node.blocks());
        long size = applyResize(blocks, node.size(), newSize);
        zeroTail(blocks, size);
        long lsn = store.truncate(t.id, path, newSize);
        commitFile(t, path, node, blocks, size, lsn);
    }

    private static long applyResize(Map<Integer, Page> blocks, long size, long newSize) {
        if (newSize < size) {
            blocks.keySet().removeIf(b -> b >= Pages.pagesFor(newSize));
            zeroTail(blocks, newSize);
        }
        return newSize;
    }

    private static void zeroTail(Map<Integer, Page> blocks, long size) {
        int off = (int) (size % Pages.PAGE_SIZE);
        int block = (int) (size / Pages.PAGE_SIZE);
        Page p = blocks.get(block);
        if (off != 0 && p != null && p.zeroFrom() > off) {
            blocks.put(block, new Page(p.token(), off, p.edits()));
        }
    }

    private void commitBatch(
            Timeline t, String path, Node node, PageBatch batch, Map<Integer, Page> blocks, long size) {
        boolean beyond = blocks.keySet().stream().anyMatch(b -> b >= Pages.pagesFor(size));
        if (beyond) {
            refuse(ErrorCode.INVALID_PAGE, () -> store.commit(batch));
            return;
        }
        zeroTail(blocks, size);
        long lsn = store.commit(batch);
        commitFile(t, path, node, blocks, size, lsn);
    }

    private void commitFile(Timeline t, String path, Node node, Map<Integer, Page> blocks, long size, long lsn) {
        long attrLsn = size != node.size() ? lsn : node.attrLsn();
        Map<String, Node> next = new HashMap<>(t.head().nodes());
        next.put(path, node.withAttrs(size, node.mode(), node.uid(), node.gid(), node.mtime(), attrLsn, blocks));
        commit(t, lsn, next);
        checkPaths(t, List.of(path));
    }

    private void create(Timeline t, FileType type) {
        count(type == FileType.REGULAR ? "create" : "mkdir");
        Tree tree = t.head();
        String dir = randomDirOrAny(tree);
        String path = ReferenceModel.child(dir, NAMES[rnd.nextInt(NAMES.length)]);
        int mode = type == FileType.REGULAR ? 0600 : 0700;
        ErrorCode expected = ReferenceModel.directoryError(tree, dir);
        if (expected == null && tree.nodes().containsKey(path)) {
            expected = ErrorCode.FILE_EXISTS;
        }
        Supplier<Created> call = () -> type == FileType.REGULAR
                ? store.create(t.id, path, mode, UID, UID)
                : store.mkdir(t.id, path, mode, UID, UID);
        if (expected != null) {
            refuse(expected, call);
            return;
        }
        Created c = call.get();
        assertTrue(fileIds.add(c.fileId()) && c.fileId() > 1, "file id " + c.fileId() + " was handed out before");
        Map<String, Node> next = new HashMap<>(tree.nodes());
        next.put(path, new Node(c.fileId(), type, 0, mode, UID, UID, clock.micros(), c.lsn(), Map.of()));
        commit(t, c.lsn(), next);
        checkPaths(t, List.of(path, dir));
    }

    private void remove(Timeline t, FileType type) {
        count(type == FileType.REGULAR ? "unlink" : "rmdir");
        Tree tree = t.head();
        String path = randomPath(tree);
        ErrorCode expected = null;
        if (path.equals("/")) {
            expected = ErrorCode.INVALID_ARGUMENT;
        } else {
            expected = ReferenceModel.directoryError(tree, ReferenceModel.parentOf(path));
            Node node = tree.nodes().get(path);
            if (expected == null && node == null) {
                expected = ErrorCode.NO_SUCH_FILE;
            } else if (expected == null && type == FileType.REGULAR && node.type() == FileType.DIRECTORY) {
                expected = ErrorCode.IS_A_DIRECTORY;
            } else if (expected == null && type == FileType.DIRECTORY && node.type() != FileType.DIRECTORY) {
                expected = ErrorCode.NOT_A_DIRECTORY;
            } else if (expected == null
                    && node.type() == FileType.DIRECTORY
                    && ReferenceModel.hasChildren(tree, path)) {
                expected = ErrorCode.DIRECTORY_NOT_EMPTY;
            }
        }
        Supplier<Long> call = () -> type == FileType.REGULAR ? store.unlink(t.id, path) : store.rmdir(t.id, path);
        if (expected != null) {
            refuse(expected, call);
            return;
        }
        long lsn = call.get();
        Map<String, Node> next = new HashMap<>(tree.nodes());
        next.remove(path);
        commit(t, lsn, next);
        checkPaths(t, List.of(path, ReferenceModel.parentOf(path)));
    }

    private void rename(Timeline t) {
        count("rename");
        Tree tree = t.head();
        String from = randomPath(tree);
        String to = rnd.nextInt(4) == 0
                ? randomPath(tree)
                : ReferenceModel.child(randomDirOrAny(tree), NAMES[rnd.nextInt(NAMES.length)]);
        ErrorCode expected = renameError(tree, from, to);
        if (expected != null) {
            refuse(expected, () -> store.rename(t.id, from, to));
            return;
        }
        long lsn = store.rename(t.id, from, to);
        Node old = tree.nodes().get(to);
        Map<String, Node> next =
                old != null && old.id() == tree.nodes().get(from).id()
                        ? tree.nodes()
                        : ReferenceModel.renamed(tree, from, to);
        commit(t, lsn, next);
        checkPaths(t, List.of(from, to, ReferenceModel.parentOf(from), ReferenceModel.parentOf(to)));
    }

    private static ErrorCode renameError(Tree tree, String from, String to) {
        if (from.equals("/") || to.equals("/")) {
            return ErrorCode.INVALID_ARGUMENT;
        }
        ErrorCode e = ReferenceModel.directoryError(tree, ReferenceModel.parentOf(from));
        if (e != null) {
            return e;
        }
        Node source = tree.nodes().get(from);
        if (source == null) {
            return ErrorCode.NO_SUCH_FILE;
        }
        if (source.type() == FileType.DIRECTORY && to.startsWith(from + "/")) {
            return ErrorCode.INVALID_ARGUMENT;
        }
        e = ReferenceModel.directoryError(tree, ReferenceModel.parentOf(to));
        if (e != null) {
            return e;
        }
        Node old = tree.nodes().get(to);
        if (old == null || old.id() == source.id()) {
            return null;
        }
        if (source.type() != FileType.DIRECTORY && old.type() == FileType.DIRECTORY) {
            return ErrorCode.IS_A_DIRECTORY;
        }
        if (source.type() == FileType.DIRECTORY && old.type() != FileType.DIRECTORY) {
            return ErrorCode.NOT_A_DIRECTORY;
        }
        if (old.type() == FileType.DIRECTORY && ReferenceModel.hasChildren(tree, to)) {
            return ErrorCode.DIRECTORY_NOT_EMPTY;
        }
        return null;
    }

    private void setAttr(Timeline t) {
        count("setattr");
        Tree tree = t.head();
        String path = randomPath(tree);
        int mode = rnd.nextInt(50) == 0 ? 010644 : rnd.nextInt(01000);
        AttrChange change = AttrChange.none();
        if (rnd.nextBoolean()) {
            change = change.withMode(mode);
        }
        if (rnd.nextBoolean()) {
            change = change.withOwner(rnd.nextInt(3), rnd.nextInt(3));
        }
        if (rnd.nextBoolean()) {
            change = change.withMtime(clock.micros() - rnd.nextInt(1_000_000));
        }
        AttrChange c = change;
        ErrorCode expected = (c.mode().isPresent() && (c.mode().getAsInt() & ~07777) != 0)
                ? ErrorCode.INVALID_ARGUMENT
                : ReferenceModel.resolveError(tree, path);
        if (expected != null) {
            refuse(expected, () -> store.setAttr(t.id, path, c));
            return;
        }
        long lsn = store.setAttr(t.id, path, c);
        Node n = tree.nodes().get(path);
        Map<String, Node> next = new HashMap<>(tree.nodes());
        next.put(
                path,
                n.withAttrs(
                        n.size(),
                        c.mode().orElse(n.mode()),
                        c.uid().orElse(n.uid()),
                        c.gid().orElse(n.gid()),
                        c.mtimeMicros().orElse(n.mtime()),
                        lsn,
                        n.blocks()));
        commit(t, lsn, next);
        checkPaths(t, List.of(path));
    }

    private void branch(Timeline parent) {
        count("branch");
        long lsn;
        int r = rnd.nextInt(20);
        if (r == 0) {
            lsn = parent.lastLsn + 1 + rnd.nextInt(3);
        } else if (r == 1 && parent.minReadable() > 1) {
            lsn = parent.minReadable() - 1 - rnd.nextInt((int) Math.min(parent.minReadable() - 1, 5));
        } else {
            lsn = parent.minReadable() + (long) (rnd.nextDouble() * (parent.lastLsn - parent.minReadable() + 1));
        }
        doBranch(parent, lsn, () -> {
            TimelineId id = TimelineId.random();
            return new Object[] {id, store.branch(id, parent.id, lsn)};
        });
    }

    private void branchAtTime(Timeline parent) {
        count("branchAtTime");
        long now = clock.micros();
        long micros = parent.createdMicros + (long) (rnd.nextDouble() * (now - parent.createdMicros + 1));
        Instant at = Instant.EPOCH.plusNanos(micros * 1000);
        long lsn = Math.max(parent.branchLsn, Math.min(parent.lastLsn, m.lsnAt(micros)));
        if (lsn >= parent.horizon) {
            assertEquals(lsn, store.lsnAt(parent.id, at), "lsnAt " + at);
        }
        doBranch(parent, lsn, () -> {
            TimelineId id = TimelineId.random();
            return new Object[] {id, store.branchAt(id, parent.id, at)};
        });
    }

    private void doBranch(Timeline parent, long lsn, Supplier<Object[]> call) {
        ErrorCode expected = lsn > parent.lastLsn || lsn < parent.minReadable() ? ErrorCode.LSN_OUT_OF_RANGE : null;
        if (expected != null) {
            refuse(expected, call);
            return;
        }
        Object[] result = call.get();
        TimelineId id = (TimelineId) result[0];
        TimelineInfo info = (TimelineInfo) result[1];
        assertEquals(lsn, info.branchLsn(), "branch LSN");
        Timeline child = new Timeline(id, parent, lsn, clock.micros());
        child.snapshots.put(lsn, parent.at(lsn));
        m.timelines.put(id, child);
        timelinesEverCreated++;
        // Idempotent on (id, parent, LSN); the same id elsewhere is refused.
        assertEquals(info.branchLsn(), store.branch(id, parent.id, lsn).branchLsn(), "branch retry");
        if (lsn > parent.minReadable()) {
            refuse(ErrorCode.TIMELINE_EXISTS, () -> store.branch(id, parent.id, lsn - 1));
        }
        checkInfo(child);
        checkTree(child, lsn);
    }

    private void deleteTimeline(Timeline t) {
        count("deleteTimeline");
        if (t.parent == null) {
            return; // the root stays
        }
        if (!m.children(t).isEmpty()) {
            refuse(ErrorCode.TIMELINE_HAS_CHILDREN, () -> {
                store.deleteTimeline(t.id);
                return null;
            });
            return;
        }
        store.deleteTimeline(t.id);
        m.timelines.remove(t.id);
        m.leases.values().removeIf(l -> l.timeline().equals(t.id));
        refuse(ErrorCode.UNKNOWN_TIMELINE, () -> store.timeline(t.id));
        refuse(ErrorCode.UNKNOWN_TIMELINE, () -> store.readPage(t.id, t.lastLsn, 2, 0));
    }

    private void gc() {
        count("gc");
        if (rnd.nextBoolean()) {
            clock.advance(Duration.ofMillis(rnd.nextInt(3000)));
        }
        store.gc();
        m.gc(clock.micros(), PITR.toNanos() / 1000);
        for (Timeline t : m.timelines.values()) {
            checkInfo(t);
            if (t.horizon > t.branchLsn) {
                long below = t.horizon - 1;
                refuse(ErrorCode.LSN_OUT_OF_RANGE, () -> store.getAttr(t.id, below, "/"));
            }
        }
        Timeline t = pickTimeline();
        checkTree(t, t.minReadable());
    }

    private void lease(Timeline t) {
        count("lease");
        long lsn = t.minReadable() + (long) (rnd.nextDouble() * (t.lastLsn - t.minReadable() + 1));
        Duration ttl = Duration.ofMillis(500 + rnd.nextInt(3000));
        Lease lease = store.lease(t.id, lsn, ttl);
        m.leases.put(
                lease.id(),
                new ReferenceModel.ModelLease(lease.id(), t.id, lsn, clock.micros() + ttl.toNanos() / 1000));
    }

    private void readPast(Timeline t) {
        count("read");
        long lsn = t.minReadable() + (long) (rnd.nextDouble() * (t.lastLsn - t.minReadable() + 1));
        if (rnd.nextInt(10) == 0) {
            checkTree(t, lsn);
        } else {
            Tree tree = t.at(lsn);
            List<String> paths = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                paths.add(randomPath(tree));
            }
            checkPathsAt(t, lsn, paths);
        }
    }

    private void badInput(Timeline t) {
        count("badInput");
        switch (rnd.nextInt(9)) {
            case 0 -> refuse(ErrorCode.INVALID_NAME, () -> store.create(t.id, "/a\0b", 0600, UID, UID));
            case 1 -> refuse(ErrorCode.INVALID_NAME, () -> store.create(t.id, "/a/../../etc", 0600, UID, UID));
            case 2 -> refuse(ErrorCode.INVALID_NAME, () -> store.mkdir(t.id, "relative", 0700, UID, UID));
            case 3 -> refuse(ErrorCode.INVALID_NAME, () -> store.rename(t.id, "/a", "/b//c"));
            case 4 -> refuse(ErrorCode.INVALID_PAGE, () -> new PageBatch(t.id).write(2, 0, new byte[100]));
            case 5 -> refuse(ErrorCode.UNKNOWN_TIMELINE, () -> store.create(TimelineId.random(), "/x", 0600, UID, UID));
            case 6 -> refuse(ErrorCode.LSN_OUT_OF_RANGE, () -> store.readPage(t.id, m.lastLsn + 1, 2, 0));
            case 7 ->
                refuse(ErrorCode.UNKNOWN_TIMELINE, () -> store.branch(TimelineId.random(), TimelineId.random(), 1));
            default ->
                refuse(ErrorCode.INVALID_PAGE, () -> new PageBatch(t.id).write(2, -1, new byte[Pages.PAGE_SIZE]));
        }
    }

    private void reopen() {
        store.close();
        assertEquals(ErrorCode.CLOSED, codeOf(() -> store.lastLsn()), "calls after close");
        store.close(); // idempotent
        store = PageStore.open(options);
        m.leases.clear(); // leases live in memory: readers lease again after a restart
        for (Timeline t : m.timelines.values()) {
            checkInfo(t);
            checkTree(t, t.lastLsn);
        }
    }

    // ---- model bookkeeping ---------------------------------------------------------------------------------

    private void commit(Timeline t, long lsn, Map<String, Node> nodes) {
        m.recordCommit(lsn, clock.micros());
        t.snapshots.put(lsn, new Tree(Map.copyOf(nodes)));
        t.lastLsn = lsn;
    }

    private Timeline pickTimeline() {
        List<Timeline> all = new ArrayList<>(m.timelines.values());
        all.sort((a, b) -> a.id.compareTo(b.id));
        return all.get(rnd.nextInt(all.size()));
    }

    private List<String> paths(Tree tree, FileType type) {
        List<String> out = new ArrayList<>();
        for (var e : tree.nodes().entrySet()) {
            if (e.getValue().type() == type) {
                out.add(e.getKey());
            }
        }
        out.sort(null);
        return out;
    }

    /** An existing path most of the time, else a plausible missing one. */
    private String randomPath(Tree tree) {
        List<String> all = new ArrayList<>(tree.nodes().keySet());
        all.sort(null);
        if (rnd.nextInt(8) == 0) {
            String base = all.get(rnd.nextInt(all.size()));
            return ReferenceModel.child(base, NAMES[rnd.nextInt(NAMES.length)]);
        }
        return all.get(rnd.nextInt(all.size()));
    }

    private String randomDirOrAny(Tree tree) {
        if (rnd.nextInt(10) == 0) {
            return randomPath(tree);
        }
        List<String> dirs = paths(tree, FileType.DIRECTORY);
        dirs.removeIf(d -> d.chars().filter(ch -> ch == '/').count() >= 3);
        return dirs.isEmpty() ? "/" : dirs.get(rnd.nextInt(dirs.size()));
    }

    private void count(String op) {
        opCounts.merge(op, 1, Integer::sum);
    }

    // ---- comparisons ---------------------------------------------------------------------------------------

    private void refuse(ErrorCode expected, Supplier<?> call) {
        long before = store.lastLsn();
        ErrorCode actual = codeOf(call);
        assertEquals(expected, actual, "refusal code");
        assertEquals(before, store.lastLsn(), "a refused call must not commit");
        refusals.merge(expected, 1, Integer::sum);
    }

    private static ErrorCode codeOf(Supplier<?> call) {
        try {
            var _ = call.get();
            return null;
        } catch (StorageException e) {
            assertTrue(e.getMessage() != null && e.getMessage().length() > 10, "error message: " + e.getMessage());
            return e.code();
        }
    }

    private void checkInfo(Timeline t) {
        TimelineInfo info = store.timeline(t.id);
        assertEquals(t.parent == null ? null : t.parent.id, info.parent().orElse(null), "parent of " + t.id);
        assertEquals(t.branchLsn, info.branchLsn(), "branch LSN of " + t.id);
        assertEquals(t.lastLsn, info.lastLsn(), "last LSN of " + t.id);
        assertEquals(t.horizon, info.gcHorizon(), "GC horizon of " + t.id);
        long logical = t.head().nodes().values().stream().mapToLong(Node::size).sum();
        assertEquals(logical, info.logicalBytes(), "logical size of " + t.id);
    }

    private void checkPaths(Timeline t, List<String> paths) {
        checkPathsAt(t, t.lastLsn, paths);
        checkInfo(t);
    }

    private void checkPathsAt(Timeline t, long lsn, List<String> paths) {
        Tree tree = t.at(lsn);
        for (String path : paths) {
            ErrorCode expected = ReferenceModel.resolveError(tree, path);
            if (expected != null) {
                assertEquals(expected, codeOf(() -> store.getAttr(t.id, lsn, path)), "getattr " + path + " at " + lsn);
                continue;
            }
            checkNode(t, lsn, tree, path);
        }
    }

    private void checkTree(Timeline t, long lsn) {
        Tree tree = t.at(lsn);
        List<DirEntry> root = store.readdir(t.id, lsn, "/");
        int seen = walk(t, lsn, tree, "/", root);
        assertEquals(tree.nodes().size(), seen, "number of paths on " + t.id + " at " + lsn);
    }

    private int walk(Timeline t, long lsn, Tree tree, String dir, List<DirEntry> entries) {
        checkNode(t, lsn, tree, dir);
        int seen = 1;
        for (DirEntry e : entries) {
            String p = ReferenceModel.child(dir, e.name());
            seen += e.type() == FileType.DIRECTORY
                    ? walk(t, lsn, tree, p, store.readdir(t.id, lsn, p))
                    : checkNode(t, lsn, tree, p);
        }
        return seen;
    }

    private int checkNode(Timeline t, long lsn, Tree tree, String path) {
        Node n = tree.nodes().get(path);
        String where = path + " on " + t.id + " at LSN " + lsn;
        FileAttr a = store.getAttr(t.id, lsn, path);
        assertEquals(
                new FileAttr(n.id(), n.type(), n.size(), n.mode(), n.uid(), n.gid(), n.mtime(), n.attrLsn()),
                a,
                "attributes of " + where);
        assertEquals(a, store.getAttr(t.id, lsn, n.id()), "attributes by id of " + where);
        if (n.type() == FileType.DIRECTORY) {
            List<String> names =
                    store.readdir(t.id, lsn, path).stream().map(DirEntry::name).toList();
            assertEquals(ReferenceModel.childNames(tree, path), names, "entries of " + where);
            return 1;
        }
        int blocks = (int) Pages.pagesFor(n.size()) + 1;
        List<PageRef> refs = new ArrayList<>();
        for (int b = 0; b < blocks; b++) {
            refs.add(new PageRef(n.id(), b));
        }
        List<PageRead> reads = store.readPages(t.id, lsn, refs);
        for (int b = 0; b < blocks; b++) {
            Page expected = n.blocks().get(b);
            PageRead actual = reads.get(b);
            if (expected == null) {
                assertTrue(
                        actual instanceof PageRead.Absent,
                        "block " + b + " of " + where + " should be absent, is " + actual);
            } else {
                assertTrue(actual instanceof PageRead.Found, "block " + b + " of " + where + " should be present");
                assertTrue(
                        Arrays.equals(expected.bytes(), ((PageRead.Found) actual).page()),
                        "content of block " + b + " of " + where);
                assertTrue(((PageRead.Found) actual).lsn() <= lsn, "version LSN of block " + b + " of " + where);
            }
        }
        if (rnd.nextInt(4) == 0 && blocks > 1) {
            int b = rnd.nextInt(blocks);
            assertEquals(
                    reads.get(b).getClass(),
                    store.readPage(t.id, lsn, n.id(), b).getClass(),
                    "single read of block " + b);
        }
        return 1;
    }
}
