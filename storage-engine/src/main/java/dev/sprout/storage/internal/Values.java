package dev.sprout.storage.internal;

import dev.sprout.storage.namespace.FileAttr;
import dev.sprout.storage.namespace.FileType;
import java.util.Optional;

/** Byte layout of attribute and directory-entry values. An empty value is a tombstone in both. */
public final class Values {
    static final byte[] TOMBSTONE = new byte[0];
    private static final int ATTR_BYTES = 1 + 8 + 4 + 4 + 4 + 8;
    private static final int DENTRY_BYTES = 9;

    private Values() {}

    public static byte[] attr(FileAttr a) {
        byte[] v = new byte[ATTR_BYTES];
        v[0] = (byte) (a.type() == FileType.DIRECTORY ? 1 : 2);
        Keys.putLong(v, 1, a.size());
        Keys.putInt(v, 9, a.mode());
        Keys.putInt(v, 13, a.uid());
        Keys.putInt(v, 17, a.gid());
        Keys.putLong(v, 21, a.mtimeMicros());
        return v;
    }

    /** Decodes an attribute value; empty when it is a tombstone (the file was deleted at {@code lsn}). */
    public static Optional<FileAttr> attr(long fileId, byte[] v, long lsn) {
        if (v.length == 0) {
            return Optional.empty();
        }
        FileType type = v[0] == 1 ? FileType.DIRECTORY : FileType.REGULAR;
        return Optional.of(new FileAttr(
                fileId,
                type,
                Keys.getLong(v, 1),
                Keys.getInt(v, 9),
                Keys.getInt(v, 13),
                Keys.getInt(v, 17),
                Keys.getLong(v, 21),
                lsn));
    }

    /** A directory entry's target. */
    public record Target(long fileId, FileType type) {}

    public static byte[] dentry(long fileId, FileType type) {
        byte[] v = new byte[DENTRY_BYTES];
        Keys.putLong(v, 0, fileId);
        v[8] = (byte) (type == FileType.DIRECTORY ? 1 : 2);
        return v;
    }

    public static Optional<Target> dentry(byte[] v) {
        if (v.length == 0) {
            return Optional.empty();
        }
        return Optional.of(new Target(Keys.getLong(v, 0), v[8] == 1 ? FileType.DIRECTORY : FileType.REGULAR));
    }
}
