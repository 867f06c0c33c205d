package dev.sprout.storage.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * One logical write at one LSN, possibly sharing a RocksDB write batch with others of its group. The body
 * validates first and puts keys only once it knows it will succeed; if it throws anyway, the writer rolls the
 * batch back to the savepoint taken before it, so a refused call writes nothing.
 *
 * <p>Not thread-safe; lives only under the writer's lock.
 */
public final class Txn {
    final WriteBatch batch;
    public final long lsn;
    public final long timeMicros;
    private final Writer writer;
    final Map<TimelineState, long[]> timelineDeltas = new HashMap<>();
    final Set<FileKey> touched = new HashSet<>();
    final List<Runnable> afterCommit = new ArrayList<>();
    long fileIdsTaken;

    record FileKey(TimelineState timeline, long file) {}

    Txn(WriteBatch batch, long lsn, long timeMicros, Writer writer) {
        this.batch = batch;
        this.lsn = lsn;
        this.timeMicros = timeMicros;
        this.writer = writer;
    }

    public void put(ColumnFamilyHandle cf, byte[] key, byte[] value) {
        try {
            batch.put(cf, key, value);
        } catch (RocksDBException e) {
            throw new IllegalStateException("building a write batch failed", e);
        }
    }

    /**
     * Records that this write changes the timeline: its last LSN becomes this LSN, its counters move by the
     * page versions and bytes it stores and by the change in the total size of its files.
     */
    public void changes(TimelineState t, long pageVersions, long pageBytes, long logicalDelta) {
        long[] d = timelineDeltas.computeIfAbsent(t, k -> new long[3]);
        d[0] += pageVersions;
        d[1] += pageBytes;
        d[2] += logicalDelta;
    }

    /** A write that changes nothing but the timeline's last LSN (a namespace change). */
    public void changes(TimelineState t) {
        changes(t, 0, 0, 0);
    }

    /** Records that keys of {@code file} now exist on timeline {@code t} (so reads stop skipping it there). */
    public void touch(TimelineState t, long file) {
        if (!t.files.containsKey(file)) {
            touched.add(new FileKey(t, file));
        }
    }

    /** A new pageserver-global file id, never handed out before (even if this write is refused). */
    public long newFileId() {
        fileIdsTaken++;
        return writer.takeFileId();
    }

    public void afterCommit(Runnable effect) {
        afterCommit.add(effect);
    }
}
