package dev.sprout.compute.fs;

import dev.sprout.protocol.client.FencedException;
import dev.sprout.protocol.client.PageSession;
import dev.sprout.protocol.client.PagesRead;
import dev.sprout.protocol.client.RefusedException;
import dev.sprout.protocol.v1.DirEntry;
import dev.sprout.protocol.v1.FileAttr;
import dev.sprout.protocol.v1.FileType;
import dev.sprout.protocol.v1.PageRef;
import dev.sprout.protocol.v1.PageWrite;
import dev.sprout.protocol.v1.Resize;
import dev.sprout.protocol.v1.SetAttr;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One timeline as a POSIX directory tree, over a read-write page-service session: the filesystem facade the FUSE
 * layer calls (it knows nothing of FUSE). Its one job is to turn each filesystem operation into calls of its
 * {@link NameCache} (which path is which file) and its {@link WriteBackBuffer} (the files' pages), and every
 * pageserver answer into a result or an {@link FsException}.
 *
 * <p>What it guarantees, because PostgreSQL relies on it:
 * <ul>
 *   <li>One order: every namespace change (create, mkdir, unlink, rmdir, rename, chmod) is a synced pageserver
 *       change before it returns, and file contents and sizes reach the pageserver only in commits, in the
 *       session's order. A branch at any LSN therefore sees a state some crash could have left.</li>
 *   <li>{@link #fsync} returns only after the pageserver acknowledged a synced commit of every page and size
 *       change of that file written before it. Written pages are held in the compute until then, or until
 *       more than {@link FsOptions#dirtyLimitBytes()} are held (then all files are committed).</li>
 *   <li>Each page version stored is whole: a partial write becomes a read-modify-write of the 8 KiB page.</li>
 *   <li>A file unlinked while still open (FUSE renames it to {@code .fuse_hidden…}) leaves the timeline at
 *       once: a branch never sees it. Its reads go to the LSN before the unlink; its writes stay local.</li>
 *   <li>{@link #lastLsn} is the newest LSN the pageserver acknowledged a change of this filesystem at.</li>
 * </ul>
 *
 * <p>The compute is the timeline's only writer (the pageserver fences any other), so its caches of names,
 * attributes and pages are authoritative and never revalidated.
 *
 * <p>Concurrency: thread-safe; FUSE calls it from many threads. Namespace changes are serialised by the name
 * cache's lock (they are rare: about 1,500 in an initdb); a change that removes or replaces a file also holds that
 * file's flush lock in the buffer, so no commit of it runs meanwhile. Reads and writes of different files run in
 * parallel.
 *
 * <p>Failures: every operation fails with an {@link FsException} whose {@link FsError} is what the kernel sees:
 * the pageserver's refusals mapped to their POSIX errors (NO_SUCH_FILE, FILE_EXISTS, ...), a handle that names no
 * open file BAD_HANDLE, and everything else (no answer within {@link FsOptions#requestTimeout()}, a lost
 * connection, fencing, an interrupt) IO. When the pageserver says another compute took the timeline over, the
 * {@link #onFenced} action runs.
 */
public final class PageFs {
    public static final int PAGE_SIZE = 8192;
    private static final String HIDDEN_PREFIX = ".fuse_hidden";
    private static final Logger log = LoggerFactory.getLogger(PageFs.class);

    /** The attributes {@link #getattr} reports. */
    public record Attr(long fileId, boolean directory, int mode, long size, long mtimeMicros) {}

    private final PageSession session;
    private final FsOptions options;
    private final FsStats stats = new FsStats();
    private final NameCache names;
    private final WriteBackBuffer buffer;
    /** The newest LSN any change of this filesystem was acknowledged at. */
    private final AtomicLong lastLsn = new AtomicLong();

    private volatile Runnable onFenced = () -> {};

    public PageFs(PageSession session, FsOptions options) {
        this.session = session;
        this.options = options;
        this.names = new NameCache(new NameCache.Directory() {
            @Override
            public Optional<FileAttr> lookup(String path) {
                Optional<FileAttr> found = await(session.lookup(PageSession.SESSION_LSN, path), "lookup " + path);
                found.filter(a -> a.getType() != FileType.DIRECTORY)
                        .ifPresent(a -> buffer.found(a.getFileId(), a.getSize()));
                return found;
            }

            @Override
            public List<String> list(String path) {
                List<DirEntry> entries = await(session.readDir(PageSession.SESSION_LSN, path), "readdir " + path);
                List<String> out = new ArrayList<>(entries.size());
                for (DirEntry e : entries) {
                    out.add(e.getName());
                }
                return out;
            }
        });
        this.buffer = new WriteBackBuffer(
                new WriteBackBuffer.PageSource() {
                    @Override
                    public PagesRead getPages(long lsn, List<PageRef> refs) {
                        return await(
                                session.getPages(lsn, refs),
                                "read of " + refs.size() + " pages of file "
                                        + refs.getFirst().getFileId());
                    }

                    @Override
                    public long commit(List<PageWrite> pages, List<Resize> resizes) {
                        return acknowledged(await(
                                session.commit(pages, resizes),
                                "commit of " + pages.size() + " pages and " + resizes.size() + " sizes"));
                    }
                },
                options,
                stats);
    }

    /** Called (once per fencing) when the pageserver says another compute took the timeline over. */
    public void onFenced(Runnable action) {
        this.onFenced = action;
    }

    /** The session this filesystem reads and writes through; its owner detaches it after unmounting. */
    public PageSession session() {
        return session;
    }

    public FsOptions options() {
        return options;
    }

    public FsStats stats() {
        return stats;
    }

    public long dirtyBytes() {
        return buffer.dirtyBytes();
    }

    /**
     * The newest LSN at which the pageserver acknowledged a change of this filesystem: a branch at it (or
     * later) holds everything fsynced so far.
     */
    public long lastLsn() {
        return lastLsn.get();
    }

    private long acknowledged(long lsn) {
        lastLsn.accumulateAndGet(lsn, Math::max);
        return lsn;
    }

    // ---- names -----------------------------------------------------------------------------------------------

    public Attr getattr(String path) {
        NameCache.Node node = names.resolve(path);
        long size = node.directory ? 4096 : buffer.size(node.fileId);
        return new Attr(node.fileId, node.directory, node.mode, size, node.mtimeMicros);
    }

    public List<String> readdir(String path) {
        return names.list(path);
    }

    /** Creates an empty regular file and returns its id (the handle for reads and writes). */
    public long create(String path, int mode) {
        return names.change(() -> {
            var created = await(session.create(path, mode & 07777, options.uid(), options.gid()), "create " + path);
            acknowledged(created.lsn());
            buffer.created(created.fileId());
            names.put(
                    path, new NameCache.Node(created.fileId(), false, mode & 07777, System.currentTimeMillis() * 1000));
            return created.fileId();
        });
    }

    public void mkdir(String path, int mode) {
        names.change(() -> {
            var created = await(session.mkdir(path, mode & 07777, options.uid(), options.gid()), "mkdir " + path);
            acknowledged(created.lsn());
            names.put(
                    path, new NameCache.Node(created.fileId(), true, mode & 07777, System.currentTimeMillis() * 1000));
            return null;
        });
    }

    /** Opens a file by name; {@code truncate} is O_TRUNC. Returns the file's id, its handle from now on. */
    public long open(String path, boolean truncate) {
        NameCache.Node node = names.resolve(path);
        if (node.directory) {
            throw new FsException(FsError.IS_A_DIRECTORY, "\"" + path + "\" is a directory");
        }
        if (truncate) {
            truncate(node.fileId, 0);
        }
        return node.fileId;
    }

    public void unlink(String path) {
        names.change(() -> {
            NameCache.Node hiddenNode = names.unhide(path);
            if (hiddenNode != null) {
                buffer.forget(hiddenNode.fileId);
                return null;
            }
            NameCache.Node node = names.resolve(path);
            if (node.directory) {
                throw new FsException(FsError.IS_A_DIRECTORY, "\"" + path + "\" is a directory (use rmdir)");
            }
            buffer.delete(node.fileId, () -> {
                acknowledged(await(session.unlink(path), "unlink " + path));
                names.remove(path);
            });
            return null;
        });
    }

    public void rmdir(String path) {
        names.change(() -> {
            acknowledged(await(session.rmdir(path), "rmdir " + path));
            names.removeTree(path);
            return null;
        });
    }

    /**
     * Renames {@code from} to {@code to}, replacing a file there atomically. A rename to {@code .fuse_hidden…}
     * is FUSE keeping an unlinked file alive for its open handles: it is an unlink in the timeline.
     */
    public void rename(String from, String to) {
        names.change(() -> {
            if (baseName(to).startsWith(HIDDEN_PREFIX)) {
                hide(from, to);
                return null;
            }
            NameCache.Node node = names.resolve(from);
            Optional<NameCache.Node> replaced = names.lookup(to).filter(n -> !n.directory);
            Runnable rename = () -> {
                acknowledged(await(session.rename(from, to), "rename " + from + " to " + to));
                names.removeTree(from);
                names.removeTree(to);
                names.put(to, node);
            };
            if (replaced.isPresent()) {
                buffer.replace(replaced.get().fileId, node.fileId, rename);
            } else {
                rename.run();
            }
            return null;
        });
    }

    public void chmod(String path, int mode) {
        names.change(() -> {
            NameCache.Node node = names.resolve(path);
            if (names.isHidden(path)) {
                node.mode = mode & 07777; // the file has left the timeline; only its open handles see it
                return null;
            }
            acknowledged(await(
                    session.setAttr(SetAttr.newBuilder()
                            .setPath(path)
                            .setMode(mode & 07777)
                            .build()),
                    "chmod " + path));
            node.mode = mode & 07777;
            return null;
        });
    }

    /**
     * Sets the modification time this compute reports. It is not stored: with the writeback cache the kernel
     * sends one after nearly every write, PostgreSQL never reads it, and a synced pageserver change for each
     * would cost as much as a commit. The timeline keeps each file's creation time.
     */
    public void setMtime(String path, long micros) {
        names.resolve(path).mtimeMicros = micros;
    }

    private void hide(String from, String to) {
        NameCache.Node node = names.resolve(from);
        if (node.directory) {
            throw new FsException(FsError.INVALID_ARGUMENT, "\"" + from + "\" is a directory; only files are hidden");
        }
        buffer.keepDeleted(
                node.fileId,
                () -> acknowledged(await(session.unlink(from), "unlink " + from + " (hidden as " + to + ")")));
        names.hide(from, to, node);
    }

    private static String baseName(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    // ---- contents --------------------------------------------------------------------------------------------

    /** Reads up to {@code count} bytes at {@code offset} into {@code out} (from its index 0); returns how many. */
    public int read(long fileId, ByteBuffer out, int count, long offset) {
        return buffer.read(fileId, out, count, offset);
    }

    /** Writes {@code count} bytes of {@code src} (from its index 0) at {@code offset}; returns {@code count}. */
    public int write(long fileId, ByteBuffer src, int count, long offset) {
        return buffer.write(fileId, src, count, offset);
    }

    /** Sets the file's size (ftruncate): commits it, with the file's dirty pages, before returning. */
    public void truncate(long fileId, long newSize) {
        buffer.truncate(fileId, newSize);
    }

    /** Commits every page and size change of the file written so far, and waits for the synced answer. */
    public void fsync(long fileId) {
        buffer.fsync(fileId);
    }

    /**
     * Commits every file's pending pages and sizes (a global sync: after initdb, before a crash restart, at
     * unmount, under memory pressure). Files are packed together, {@link WriteBackBuffer#PAGES_PER_COMMIT} pages
     * a commit, so a thousand small files cost a few commits rather than a thousand.
     */
    public void syncAll() {
        buffer.syncAll();
    }

    /**
     * Stops committing pages for good (the timeline is being deleted): what is pending and whatever is written
     * from now on stays readable here and never reaches the pageserver; fsync and syncAll return at once. Names
     * (create, unlink, rename) still go to the pageserver.
     */
    public void discard() {
        buffer.discard();
    }

    // ---- pageserver calls ------------------------------------------------------------------------------------

    private <T> T await(CompletableFuture<T> call, String what) {
        try {
            return call.get(options.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FsException(FsError.IO, what + ": interrupted", e);
        } catch (TimeoutException e) {
            call.cancel(false);
            throw new FsException(
                    FsError.IO, what + ": no answer from the pageserver within " + options.requestTimeout(), e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof FencedException) {
                log.error("{}: another compute took this timeline over; this one may no longer write", what);
                onFenced.run();
                throw new FsException(FsError.IO, what + ": fenced: " + cause.getMessage(), cause);
            }
            if (cause instanceof RefusedException r) {
                throw new FsException(errorOf(r.code()), what + ": " + r.getMessage(), r);
            }
            throw new FsException(FsError.IO, what + ": " + cause.getMessage(), cause);
        }
    }

    private static FsError errorOf(dev.sprout.protocol.v1.Code code) {
        return switch (code) {
            case NO_SUCH_FILE -> FsError.NO_SUCH_FILE;
            case FILE_EXISTS -> FsError.FILE_EXISTS;
            case NOT_A_DIRECTORY -> FsError.NOT_A_DIRECTORY;
            case IS_A_DIRECTORY -> FsError.IS_A_DIRECTORY;
            case DIRECTORY_NOT_EMPTY -> FsError.DIRECTORY_NOT_EMPTY;
            case INVALID_NAME -> FsError.NAME_TOO_LONG;
            case INVALID_ARGUMENT -> FsError.INVALID_ARGUMENT;
            default -> FsError.IO;
        };
    }
}
