package dev.sprout.storage.model;

import dev.sprout.storage.error.ErrorCode;
import dev.sprout.storage.namespace.FileType;
import dev.sprout.storage.page.Pages;
import dev.sprout.storage.timeline.TimelineId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A deliberately naive reference for the storage engine: every timeline keeps a whole immutable snapshot of
 * its tree (paths → nodes) at every LSN it committed. Reading at (T, L) is "the snapshot at the greatest LSN
 * ≤ L", where a branch starts with its parent's snapshot at the branch LSN. No fall-through, no keys, no
 * versions: if the engine and this agree, the engine's cleverness is right.
 */
final class ReferenceModel {

    /**
     * A page's content: 64 bytes unique to the token, then runs that compress (the test writes hundreds of MB
     * otherwise); then {@code edits} small changes (1 to 64 bytes each at places drawn from the token), so that a
     * page written again with one more edit is stored as a delta of the one before; zeros from {@code zeroFrom}.
     */
    record Page(long token, int zeroFrom, int edits) {
        Page(long token, int zeroFrom) {
            this(token, zeroFrom, 0);
        }

        /** The same page with one more small change. */
        Page edited() {
            return new Page(token, zeroFrom, edits + 1);
        }

        byte[] bytes() {
            byte[] b = new byte[Pages.PAGE_SIZE];
            long x = token * 0x9E3779B97F4A7C15L + 1;
            for (int i = 0; i < Pages.PAGE_SIZE; i++) {
                if (i < 64) {
                    x ^= x << 13;
                    x ^= x >>> 7;
                    x ^= x << 17;
                    b[i] = (byte) x;
                } else {
                    b[i] = (byte) (token + i / 64 + 1);
                }
            }
            for (int k = 0; k < edits; k++) {
                long e = (token + 1) * 0xD1B54A32D192ED03L + (k + 1) * 0x9E3779B97F4A7C15L;
                e ^= e >>> 29;
                int length = 1 + (int) Long.remainderUnsigned(e, 64);
                int offset = (int) Long.remainderUnsigned(e >>> 8, Pages.PAGE_SIZE - length);
                for (int i = 0; i < length; i++) {
                    b[offset + i] = (byte) (e >>> ((i % 8) + k));
                }
            }
            java.util.Arrays.fill(b, zeroFrom, Pages.PAGE_SIZE, (byte) 0);
            return b;
        }
    }

    record Node(
            long id,
            FileType type,
            long size,
            int mode,
            int uid,
            int gid,
            long mtime,
            long attrLsn,
            Map<Integer, Page> blocks) {
        Node withAttrs(
                long newSize,
                int newMode,
                int newUid,
                int newGid,
                long newMtime,
                long lsn,
                Map<Integer, Page> newBlocks) {
            return new Node(id, type, newSize, newMode, newUid, newGid, newMtime, lsn, Map.copyOf(newBlocks));
        }
    }

    /** A whole tree; immutable. Keys are paths ("/" for the root). */
    record Tree(Map<String, Node> nodes) {}

    static final class Timeline {
        final TimelineId id;
        final Timeline parent;
        final long branchLsn;
        final long createdMicros;
        long lastLsn;
        long horizon;
        final TreeMap<Long, Tree> snapshots = new TreeMap<>();

        Timeline(TimelineId id, Timeline parent, long branchLsn, long createdMicros) {
            this.id = id;
            this.parent = parent;
            this.branchLsn = branchLsn;
            this.createdMicros = createdMicros;
            this.lastLsn = branchLsn;
        }

        long minReadable() {
            return Math.max(branchLsn, horizon);
        }

        Tree at(long lsn) {
            return snapshots.floorEntry(lsn).getValue();
        }

        Tree head() {
            return snapshots.lastEntry().getValue();
        }
    }

    /** An LSN lease as the model sees it. */
    record ModelLease(long id, TimelineId timeline, long lsn, long expiresMicros) {}

    final Map<TimelineId, Timeline> timelines = new HashMap<>();
    /** Every commit: LSN and commit time, in LSN order. */
    final List<long[]> commits = new ArrayList<>();

    final Map<Long, ModelLease> leases = new HashMap<>();
    long lastLsn;

    void recordCommit(long lsn, long micros) {
        if (lsn != lastLsn + 1) {
            throw new AssertionError(
                    "engine assigned LSN " + lsn + " after " + lastLsn + " (expected " + (lastLsn + 1) + ")");
        }
        lastLsn = lsn;
        commits.add(new long[] {lsn, micros});
    }

    /** Greatest LSN committed at or before {@code micros}, or 0. */
    long lsnAt(long micros) {
        int lo = 0;
        int hi = commits.size() - 1;
        long best = 0;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (commits.get(mid)[1] <= micros) {
                best = commits.get(mid)[0];
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return best;
    }

    List<Timeline> children(Timeline t) {
        List<Timeline> out = new ArrayList<>();
        for (Timeline c : timelines.values()) {
            if (c.parent == t) {
                out.add(c);
            }
        }
        return out;
    }

    /** The engine's GC rule, restated; then forget snapshots nobody may read any more. */
    void gc(long nowMicros, long windowMicros) {
        long pitr = lsnAt(nowMicros - windowMicros);
        leases.values().removeIf(l -> l.expiresMicros() <= nowMicros);
        for (Timeline t : timelines.values()) {
            long h = Math.min(pitr, t.lastLsn);
            for (Timeline c : children(t)) {
                h = Math.min(h, c.branchLsn);
            }
            for (ModelLease l : leases.values()) {
                if (l.timeline().equals(t.id)) {
                    h = Math.min(h, l.lsn());
                }
            }
            t.horizon = Math.max(t.horizon, h);
            Long floor = t.snapshots.floorKey(t.horizon);
            if (floor != null) {
                t.snapshots.headMap(floor, false).clear();
            }
        }
    }

    // ---- namespace rules, in the engine's order of checks ----------------------------------------------------

    static String parentOf(String path) {
        int i = path.lastIndexOf('/');
        return i == 0 ? "/" : path.substring(0, i);
    }

    static String nameOf(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    static String child(String dir, String name) {
        return dir.equals("/") ? "/" + name : dir + "/" + name;
    }

    /** Resolves every component like the engine: a non-directory in the middle, then a missing name. */
    static ErrorCode resolveError(Tree tree, String path) {
        if (path.equals("/")) {
            return null;
        }
        String walked = "";
        for (String part : path.substring(1).split("/", -1)) {
            Node current = tree.nodes().get(walked.isEmpty() ? "/" : walked);
            if (current.type() != FileType.DIRECTORY) {
                return ErrorCode.NOT_A_DIRECTORY;
            }
            walked = walked + "/" + part;
            if (!tree.nodes().containsKey(walked)) {
                return ErrorCode.NO_SUCH_FILE;
            }
        }
        return null;
    }

    static ErrorCode directoryError(Tree tree, String dir) {
        ErrorCode e = resolveError(tree, dir);
        if (e != null) {
            return e;
        }
        return tree.nodes().get(dir).type() == FileType.DIRECTORY ? null : ErrorCode.NOT_A_DIRECTORY;
    }

    static boolean hasChildren(Tree tree, String dir) {
        String prefix = dir.equals("/") ? "/" : dir + "/";
        for (String p : tree.nodes().keySet()) {
            if (!p.equals(dir) && p.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    static List<String> childNames(Tree tree, String dir) {
        String prefix = dir.equals("/") ? "/" : dir + "/";
        List<String> out = new ArrayList<>();
        for (String p : tree.nodes().keySet()) {
            if (!p.equals(dir) && p.startsWith(prefix) && p.indexOf('/', prefix.length()) < 0) {
                out.add(p.substring(prefix.length()));
            }
        }
        out.sort((a, b) -> Arrays.compareUnsigned(
                a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                b.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        return out;
    }

    /** Applies a rename to a tree (already validated): moves the node and, for a directory, its whole subtree. */
    static Map<String, Node> renamed(Tree tree, String from, String to) {
        Map<String, Node> next = new HashMap<>();
        String fromPrefix = from + "/";
        for (var e : tree.nodes().entrySet()) {
            String p = e.getKey();
            if (p.equals(to) || p.startsWith(to + "/")) {
                continue; // replaced (a file or an empty directory)
            }
            if (p.equals(from)) {
                next.put(to, e.getValue());
            } else if (p.startsWith(fromPrefix)) {
                next.put(to + p.substring(from.length()), e.getValue());
            } else {
                next.put(p, e.getValue());
            }
        }
        return next;
    }
}
