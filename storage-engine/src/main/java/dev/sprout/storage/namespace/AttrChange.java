package dev.sprout.storage.namespace;

import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The attributes a setattr changes; an empty field is left as it is. Size is not here: a size change is a
 * truncation or extension and goes through {@code PageStore.truncate} or a page batch so that it is versioned.
 */
public record AttrChange(OptionalInt mode, OptionalInt uid, OptionalInt gid, OptionalLong mtimeMicros) {

    public static AttrChange none() {
        return new AttrChange(OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(), OptionalLong.empty());
    }

    public AttrChange withMode(int newMode) {
        return new AttrChange(OptionalInt.of(newMode), uid, gid, mtimeMicros);
    }

    public AttrChange withOwner(int newUid, int newGid) {
        return new AttrChange(mode, OptionalInt.of(newUid), OptionalInt.of(newGid), mtimeMicros);
    }

    public AttrChange withMtime(long micros) {
        return new AttrChange(mode, uid, gid, OptionalLong.of(micros));
    }

    /** The attributes after this change, as a new version written at {@code lsn}. */
    public FileAttr applyTo(FileAttr attr, long lsn) {
        return new FileAttr(
                attr.fileId(),
                attr.type(),
                attr.size(),
                mode.orElse(attr.mode()),
                uid.orElse(attr.uid()),
                gid.orElse(attr.gid()),
                mtimeMicros.orElse(attr.mtimeMicros()),
                lsn);
    }
}
