package dev.sprout.compute.fs;

import dev.sprout.protocol.v1.FileAttr;
import dev.sprout.protocol.v1.FileType;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The names of one filesystem: which file or directory each path is (its id, kind, mode and time), learnt from the
 * pageserver on first use and kept, and the names of files unlinked while still open ({@code .fuse_hidden…}), which
 * only this compute knows. It knows nothing of file contents.
 *
 * <p>What it guarantees:
 * <ul>
 *   <li>Namespace changes run one at a time ({@link #change}), and a lookup answered by the pageserver while a
 *       change ran is not cached after it: the cache never holds a name older than the last change.</li>
 *   <li>A cached name is authoritative (the compute is the timeline's only writer): it is never revalidated, only
 *       changed by the changes that made it stale, which update the cache themselves.</li>
 *   <li>A hidden name wins over a timeline name of the same path, and never reaches the pageserver.</li>
 * </ul>
 *
 * <p>Concurrency: thread-safe. Lookups run in parallel and without the namespace lock, except for the moment of
 * caching a fresh answer; changes are serialised by it (they are rare: about 1,500 in an initdb). A change may look
 * names up (the lock is reentrant).
 *
 * <p>Failures: {@link FsError#NO_SUCH_FILE} for a path that is neither cached nor in the timeline,
 * {@link FsError#NOT_A_DIRECTORY} for a listing of a file; any error of the {@link Directory} is passed on as it
 * came, and nothing is cached then.
 */
final class NameCache {

    /** Where names are looked up: the timeline's namespace at the session's head. Both calls block. */
    interface Directory {
        /** The attributes of {@code path}, or empty if there is no such name. */
        Optional<FileAttr> lookup(String path);

        /** The names in the directory {@code path}. */
        List<String> list(String path);
    }

    /** A name's cached target. Mode and time change in place (chmod, utimens). */
    static final class Node {
        final long fileId;
        final boolean directory;
        volatile int mode;
        volatile long mtimeMicros;

        Node(long fileId, boolean directory, int mode, long mtimeMicros) {
            this.fileId = fileId;
            this.directory = directory;
            this.mode = mode;
            this.mtimeMicros = mtimeMicros;
        }
    }

    private final Directory directory;
    private final ConcurrentHashMap<String, Node> names = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Node> hidden = new ConcurrentHashMap<>();
    private final ReentrantLock namespace = new ReentrantLock();
    /** Bumped by every namespace change; a lookup answered before a bump is not cached after it. */
    private final AtomicLong namespaceVersion = new AtomicLong();

    NameCache(Directory directory) {
        this.directory = directory;
    }

    /** Runs a namespace change, alone; lookups answered while it runs are not cached. */
    <T> T change(Supplier<T> change) {
        namespace.lock();
        try {
            namespaceVersion.incrementAndGet();
            return change.get();
        } finally {
            namespaceVersion.incrementAndGet();
            namespace.unlock();
        }
    }

    /** The target of {@code path}; fails with {@link FsError#NO_SUCH_FILE} if there is none. */
    Node resolve(String path) {
        return lookup(path).orElseThrow(() -> new FsException(FsError.NO_SUCH_FILE, "no such file: \"" + path + "\""));
    }

    /** The target of {@code path}: hidden, cached, or asked of the directory (and cached). */
    Optional<Node> lookup(String path) {
        Node node = hidden.get(path);
        if (node == null) {
            node = names.get(path);
        }
        if (node != null) {
            return Optional.of(node);
        }
        long version = namespaceVersion.get();
        Optional<FileAttr> found = directory.lookup(path);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        FileAttr a = found.get();
        Node fresh = new Node(a.getFileId(), a.getType() == FileType.DIRECTORY, a.getMode(), a.getMtimeMicros());
        // Cache the answer only if no namespace change ran while it was on its way.
        namespace.lock();
        try {
            if (namespace.getHoldCount() > 1 || namespaceVersion.get() == version) {
                Node raced = names.putIfAbsent(path, fresh);
                return Optional.of(raced != null ? raced : fresh);
            }
        } finally {
            namespace.unlock();
        }
        return Optional.of(fresh);
    }

    /** The names in the directory {@code path}. */
    List<String> list(String path) {
        Node node = resolve(path);
        if (!node.directory) {
            throw new FsException(FsError.NOT_A_DIRECTORY, "\"" + path + "\" is not a directory");
        }
        return directory.list(path);
    }

    // ---- changes (callers run them inside change()) ----------------------------------------------------------------

    /** {@code path} now names {@code node}. */
    void put(String path, Node node) {
        names.put(path, node);
    }

    /** {@code path} names nothing any more. */
    void remove(String path) {
        names.remove(path);
    }

    /** {@code path} and every name below it name nothing any more. */
    void removeTree(String path) {
        names.remove(path);
        String prefix = path.equals("/") ? "/" : path + "/";
        names.keySet().removeIf(k -> k.startsWith(prefix));
    }

    /** {@code from} left the timeline; its node stays reachable, for its open handles only, as {@code to}. */
    void hide(String from, String to, Node node) {
        names.remove(from);
        hidden.put(to, node);
    }

    /** Whether {@code path} is the name of a file unlinked while open. */
    boolean isHidden(String path) {
        return hidden.containsKey(path);
    }

    /** Drops the hidden name {@code path}; returns its node, or null if it is not one. */
    Node unhide(String path) {
        return hidden.remove(path);
    }
}
