package dev.sprout.protocol.client;

import com.google.protobuf.ByteString;
import java.util.Objects;

/** One block as read at an LSN: a stored image, or no version at all. */
public sealed interface PageResult {

    /**
     * A stored image: {@code data} is the 8 KiB page (immutable, the client's own copy of the bytes the server
     * sent), {@code lsn} the LSN that wrote this version.
     */
    record Found(ByteString data, long lsn) implements PageResult {
        public Found {
            Objects.requireNonNull(data, "data");
        }
    }

    /**
     * No version of the block at or below the LSN: never written, or cut off by a truncation. Inside the file's
     * size it reads as zeros (PostgreSQL's rule for a re-extended file).
     */
    record Absent() implements PageResult {}

    /** The one {@link Absent}. */
    Absent ABSENT = new Absent();
}
