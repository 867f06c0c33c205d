package dev.sprout.storage.namespace;

/**
 * A file's attributes as of one LSN.
 *
 * @param fileId     the file's identity: pageserver-global, never reused, kept across renames
 * @param type       directory or regular file
 * @param size       bytes (0 for directories)
 * @param mode       permission bits (e.g. 0600), without the file-type bits
 * @param uid        owner
 * @param gid        group
 * @param mtimeMicros modification time, microseconds since the epoch
 * @param lsn        the LSN at which this version of the attributes was written
 */
public record FileAttr(long fileId, FileType type, long size, int mode, int uid, int gid, long mtimeMicros, long lsn) {

    public boolean isDirectory() {
        return type == FileType.DIRECTORY;
    }
}
