package dev.sprout.storage.internal;

import dev.sprout.storage.error.DirectoryNotEmptyException;
import dev.sprout.storage.error.FileExistsException;
import dev.sprout.storage.error.InvalidArgumentException;
import dev.sprout.storage.error.IsDirectoryException;
import dev.sprout.storage.error.NoSuchFileException;
import dev.sprout.storage.error.NotDirectoryException;
import dev.sprout.storage.namespace.AttrChange;
import dev.sprout.storage.namespace.Created;
import dev.sprout.storage.namespace.FileAttr;
import dev.sprout.storage.namespace.FileType;
import dev.sprout.storage.namespace.PathName;
import dev.sprout.storage.timeline.TimelineId;
import java.util.Optional;

/**
 * Path resolution and every namespace change. Changes apply at the head of a timeline, each at its own LSN,
 * validated and written under the writer's lock so that no other change slips between the check and the write.
 */
public final class NamespaceOps {
    /** Every timeline's root directory. */
    public static final long ROOT_DIR = 1;
    /** Reads "the newest version", used for validation at a timeline's head under the writer's lock. */
    public static final long HEAD = Long.MAX_VALUE;

    private final RocksHandles rocks;
    private final Registry registry;
    private final VersionedReader reader;
    private final Writer writer;

    public NamespaceOps(RocksHandles rocks, Registry registry, VersionedReader reader, Writer writer) {
        this.rocks = rocks;
        this.registry = registry;
        this.reader = reader;
        this.writer = writer;
    }

    /** The file a path names at {@code lsn}, with its type. */
    public Values.Target resolve(TimelineState t, long lsn, PathName path) {
        Values.Target current = new Values.Target(ROOT_DIR, FileType.DIRECTORY);
        StringBuilder walked = new StringBuilder();
        for (String name : path.components()) {
            if (current.type() != FileType.DIRECTORY) {
                throw new NotDirectoryException("\"" + (walked.isEmpty() ? "/" : walked)
                        + "\" is not a directory (resolving \"" + path + "\" on timeline " + t.id + ")");
            }
            walked.append('/').append(name);
            Optional<Values.Target> next = reader.entry(t, lsn, current.fileId(), Keys.nameBytes(name));
            if (next.isEmpty()) {
                throw noSuchFile(t, lsn, walked.toString(), path);
            }
            current = next.get();
        }
        return current;
    }

    public FileAttr attr(TimelineState t, long lsn, PathName path) {
        Values.Target target = resolve(t, lsn, path);
        return reader.attr(t, lsn, target.fileId()).orElseThrow(() -> noSuchFile(t, lsn, path.toString(), path));
    }

    public FileAttr attr(TimelineState t, long lsn, long fileId) {
        return reader.attr(t, lsn, fileId)
                .orElseThrow(() ->
                        new NoSuchFileException("file " + fileId + " does not exist on timeline " + t.id + at(lsn)));
    }

    private long directory(TimelineState t, long lsn, PathName dir) {
        Values.Target target = resolve(t, lsn, dir);
        if (target.type() != FileType.DIRECTORY) {
            throw new NotDirectoryException("\"" + dir + "\" is not a directory (timeline " + t.id + ")");
        }
        return target.fileId();
    }

    public Created create(TimelineId timeline, PathName path, FileType type, int mode, int uid, int gid) {
        checkMode(mode);
        return writer.write(txn -> {
            TimelineState t = registry.require(timeline);
            if (path.isRoot()) {
                throw new FileExistsException("\"/\" already exists on timeline " + t.id);
            }
            long dir = directory(t, HEAD, path.parent());
            byte[] name = Keys.nameBytes(path.name());
            if (reader.entry(t, HEAD, dir, name).isPresent()) {
                throw new FileExistsException("\"" + path + "\" already exists on timeline " + t.id);
            }
            long id = txn.newFileId();
            txn.put(rocks.dentries, Keys.dentry(t.id, dir, name, txn.lsn), Values.dentry(id, type));
            txn.put(
                    rocks.attrs,
                    Keys.attr(t.id, id, txn.lsn),
                    Values.attr(new FileAttr(id, type, 0, mode, uid, gid, txn.timeMicros, txn.lsn)));
            txn.touch(t, dir);
            txn.touch(t, id);
            txn.changes(t);
            return new Created(id, txn.lsn);
        });
    }

    public long unlink(TimelineId timeline, PathName path) {
        return remove(timeline, path, FileType.REGULAR);
    }

    public long rmdir(TimelineId timeline, PathName path) {
        return remove(timeline, path, FileType.DIRECTORY);
    }

    private long remove(TimelineId timeline, PathName path, FileType expected) {
        return writer.write(txn -> {
            TimelineState t = registry.require(timeline);
            if (path.isRoot()) {
                throw new InvalidArgumentException("\"/\" cannot be removed");
            }
            long dir = directory(t, HEAD, path.parent());
            byte[] name = Keys.nameBytes(path.name());
            Values.Target target =
                    reader.entry(t, HEAD, dir, name).orElseThrow(() -> noSuchFile(t, HEAD, path.toString(), path));
            if (expected == FileType.REGULAR && target.type() == FileType.DIRECTORY) {
                throw new IsDirectoryException("\"" + path + "\" is a directory (use rmdir)");
            }
            if (expected == FileType.DIRECTORY && target.type() != FileType.DIRECTORY) {
                throw new NotDirectoryException("\"" + path + "\" is not a directory (use unlink)");
            }
            if (target.type() == FileType.DIRECTORY && reader.hasEntries(t, HEAD, target.fileId())) {
                throw new DirectoryNotEmptyException("directory \"" + path + "\" is not empty");
            }
            long size = attr(t, HEAD, target.fileId()).size();
            txn.put(rocks.dentries, Keys.dentry(t.id, dir, name, txn.lsn), Values.TOMBSTONE);
            txn.put(rocks.attrs, Keys.attr(t.id, target.fileId(), txn.lsn), Values.TOMBSTONE);
            txn.touch(t, dir);
            txn.touch(t, target.fileId());
            txn.changes(t, 0, 0, -size);
            return txn.lsn;
        });
    }

    /**
     * Moves {@code from} to {@code to} atomically, replacing an existing file (or empty directory, when moving
     * a directory) at {@code to}. The moved file keeps its id; a replaced file is deleted.
     */
    public long rename(TimelineId timeline, PathName from, PathName to) {
        return writer.write(txn -> {
            TimelineState t = registry.require(timeline);
            if (from.isRoot() || to.isRoot()) {
                throw new InvalidArgumentException(
                        "\"/\" cannot be renamed or replaced (rename \"" + from + "\" to \"" + to + "\")");
            }
            long fromDir = directory(t, HEAD, from.parent());
            byte[] fromName = Keys.nameBytes(from.name());
            Values.Target source = reader.entry(t, HEAD, fromDir, fromName)
                    .orElseThrow(() -> noSuchFile(t, HEAD, from.toString(), from));
            if (source.type() == FileType.DIRECTORY && to.isWithin(from) && !to.equals(from)) {
                throw new InvalidArgumentException(
                        "cannot move directory \"" + from + "\" into itself (\"" + to + "\")");
            }
            long toDir = directory(t, HEAD, to.parent());
            byte[] toName = Keys.nameBytes(to.name());
            Optional<Values.Target> existing = reader.entry(t, HEAD, toDir, toName);
            long replacedSize = 0;
            if (existing.isPresent()) {
                Values.Target old = existing.get();
                if (old.fileId() == source.fileId()) {
                    txn.changes(t); // same file under both names: POSIX says change nothing
                    return txn.lsn;
                }
                if (source.type() != FileType.DIRECTORY && old.type() == FileType.DIRECTORY) {
                    throw new IsDirectoryException(
                            "cannot replace directory \"" + to + "\" with file \"" + from + "\"");
                }
                if (source.type() == FileType.DIRECTORY && old.type() != FileType.DIRECTORY) {
                    throw new NotDirectoryException(
                            "cannot replace file \"" + to + "\" with directory \"" + from + "\"");
                }
                if (old.type() == FileType.DIRECTORY && reader.hasEntries(t, HEAD, old.fileId())) {
                    throw new DirectoryNotEmptyException("cannot replace directory \"" + to + "\": it is not empty");
                }
                replacedSize = attr(t, HEAD, old.fileId()).size();
                txn.put(rocks.attrs, Keys.attr(t.id, old.fileId(), txn.lsn), Values.TOMBSTONE);
                txn.touch(t, old.fileId());
            }
            txn.put(rocks.dentries, Keys.dentry(t.id, fromDir, fromName, txn.lsn), Values.TOMBSTONE);
            txn.put(
                    rocks.dentries,
                    Keys.dentry(t.id, toDir, toName, txn.lsn),
                    Values.dentry(source.fileId(), source.type()));
            txn.touch(t, fromDir);
            txn.touch(t, toDir);
            txn.changes(t, 0, 0, -replacedSize);
            return txn.lsn;
        });
    }

    public long setAttr(TimelineId timeline, PathName path, AttrChange change) {
        change.mode().ifPresent(NamespaceOps::checkMode);
        return writer.write(txn -> {
            TimelineState t = registry.require(timeline);
            FileAttr current = attr(t, HEAD, path);
            txn.put(
                    rocks.attrs,
                    Keys.attr(t.id, current.fileId(), txn.lsn),
                    Values.attr(change.applyTo(current, txn.lsn)));
            txn.touch(t, current.fileId());
            txn.changes(t);
            return txn.lsn;
        });
    }

    private static void checkMode(int mode) {
        if ((mode & ~07777) != 0) {
            throw new InvalidArgumentException("mode 0" + Integer.toOctalString(mode)
                    + " has bits outside the permission bits 07777 (the type is given separately)");
        }
    }

    static String at(long lsn) {
        return lsn == HEAD ? " at its head" : " at LSN " + lsn;
    }

    private static NoSuchFileException noSuchFile(TimelineState t, long lsn, String missing, PathName path) {
        String what = missing.equals(path.toString()) ? "" : " (resolving \"" + path + "\")";
        return new NoSuchFileException(
                "no such file or directory: \"" + missing + "\"" + what + " on timeline " + t.id + at(lsn));
    }
}
