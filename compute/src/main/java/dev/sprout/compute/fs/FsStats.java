package dev.sprout.compute.fs;

import java.util.concurrent.atomic.LongAdder;

/** Counters of what the filesystem asked of the pageserver; read them for metrics and benchmarks. */
public final class FsStats {
    final LongAdder pagesRead = new LongAdder();
    final LongAdder getPagesCalls = new LongAdder();
    final LongAdder commits = new LongAdder();
    final LongAdder pagesCommitted = new LongAdder();
    final LongAdder fsyncs = new LongAdder();
    final LongAdder pressureFlushes = new LongAdder();
    final LongAdder bytesWritten = new LongAdder();

    /** Pages read from the pageserver (cache misses). */
    public long pagesRead() {
        return pagesRead.sum();
    }

    /** GetPages requests sent (each batches the misses of one read). */
    public long getPagesCalls() {
        return getPagesCalls.sum();
    }

    public long commits() {
        return commits.sum();
    }

    public long pagesCommitted() {
        return pagesCommitted.sum();
    }

    public long fsyncs() {
        return fsyncs.sum();
    }

    /** Times the dirty-page limit forced a commit of every file. */
    public long pressureFlushes() {
        return pressureFlushes.sum();
    }

    public long bytesWritten() {
        return bytesWritten.sum();
    }

    @Override
    public String toString() {
        return "pagesRead=" + pagesRead() + " getPagesCalls=" + getPagesCalls() + " commits=" + commits()
                + " pagesCommitted=" + pagesCommitted() + " fsyncs=" + fsyncs() + " pressureFlushes="
                + pressureFlushes()
                + " bytesWritten=" + bytesWritten();
    }
}
