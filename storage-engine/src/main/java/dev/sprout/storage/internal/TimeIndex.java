package dev.sprout.storage.internal;

import java.util.OptionalLong;
import org.rocksdb.RocksIterator;

/**
 * The LSN ↔ wall-clock index: every commit LSN with its commit time. Commit times never go backwards
 * ({@link Writer#nowMicros}), so LSN order is time order and both lookups are one {@code seekForPrev}.
 */
public final class TimeIndex {
    private final RocksHandles rocks;

    public TimeIndex(RocksHandles rocks) {
        this.rocks = rocks;
    }

    /** The newest LSN committed at or before {@code micros}; empty when nothing was committed by then. */
    public OptionalLong lsnAt(long micros) {
        try (RocksIterator it = rocks.db.newIterator(rocks.meta, rocks.plainRead)) {
            it.seekForPrev(Keys.metaTimeLsn(micros, Long.MAX_VALUE));
            if (it.isValid()) {
                byte[] k = it.key();
                if (k.length == 17 && k[0] == Keys.META_TIME_LSN) {
                    return OptionalLong.of(Keys.getLong(k, 9));
                }
            }
            VersionedReader.check(it);
            return OptionalLong.empty();
        }
    }

    /** The commit time of the newest commit at or below {@code lsn}; empty when there is none. */
    public OptionalLong timeOf(long lsn) {
        try (RocksIterator it = rocks.db.newIterator(rocks.meta, rocks.plainRead)) {
            it.seekForPrev(Keys.metaLsnTime(lsn));
            if (it.isValid()) {
                byte[] k = it.key();
                if (k.length == 9 && k[0] == Keys.META_LSN_TIME) {
                    return OptionalLong.of(Keys.getLong(it.value(), 0));
                }
            }
            VersionedReader.check(it);
            return OptionalLong.empty();
        }
    }
}
