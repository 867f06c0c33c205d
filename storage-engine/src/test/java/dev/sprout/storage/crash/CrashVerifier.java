package dev.sprout.storage.crash;

import dev.sprout.storage.PageStore;
import dev.sprout.storage.page.PageRead;
import dev.sprout.storage.page.PageRef;
import dev.sprout.storage.page.Pages;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks a reopened store against what a {@link CrashWriter} acknowledged, across any number of crashes.
 *
 * <p>It keeps, over the rounds, the commit LSN of every batch known to be committed: acknowledged ones (from
 * the child's ACK lines) and the one unacknowledged batch that a crash may have let through (found at the head
 * after reopening; from then on it must stay, like an acknowledged one).
 */
final class CrashVerifier {
    private final CrashWorkload.Plan plan = new CrashWorkload.Plan();
    private final TreeMap<Long, Long> acked = new TreeMap<>();
    private final TreeMap<Long, Long> committed = new TreeMap<>();
    /** Batches up to this one have had their per-LSN checks. */
    private long seqChecked;

    private int committedUnacked;
    private long pagesChecked;

    /** Records the ACK lines of one child; checks they continue the sequence. Returns how many there were. */
    int recordAcks(List<String> lines, long firstSeq, String ctx) {
        long expectSeq = firstSeq;
        int n = 0;
        for (String line : lines) {
            if (!line.startsWith("ACK ")) {
                continue;
            }
            String[] f = line.split(" ", -1);
            check(f.length == 3, ctx + ": malformed line \"" + line + "\"");
            long seq = Long.parseLong(f[1]);
            long lsn = Long.parseLong(f[2]);
            check(
                    seq == expectSeq,
                    ctx + ": child acknowledged batch " + seq + " but batch " + expectSeq + " was next");
            Long prev = committed.isEmpty() ? null : committed.lastEntry().getValue();
            check(
                    prev == null || lsn > prev,
                    ctx + ": batch " + seq + " acknowledged at LSN " + lsn
                            + ", not above the previous committed batch's LSN " + prev);
            acked.put(seq, lsn);
            committed.put(seq, lsn);
            expectSeq++;
            n++;
        }
        return n;
    }

    long lastAcked() {
        return acked.isEmpty() ? 0 : acked.lastKey();
    }

    long lastCommitted() {
        return committed.isEmpty() ? 0 : committed.lastKey();
    }

    /** The commit LSN of a batch known to be committed, or null. */
    Long committedLsn(long seq) {
        return committed.get(seq);
    }

    int committedUnacked() {
        return committedUnacked;
    }

    long pagesChecked() {
        return pagesChecked;
    }

    /**
     * Verifies the store after a crash; returns the last committed batch (0 for none).
     *
     * <ul>
     *   <li>every acknowledged batch is fully present at the head, each page with the exact bytes its batch wrote
     *       and the batch's commit LSN, and the header and file sizes at that LSN are the batch's;</li>
     *   <li>at most one more batch (the one in flight when the child died) is visible, and then entirely;</li>
     *   <li>no page of any later batch is visible, and file sizes match the last committed batch exactly;</li>
     *   <li>at each newly committed batch's LSN minus one, nothing of that batch is visible.</li>
     * </ul>
     */
    long verify(PageStore store, String ctx) {
        long lastAcked = lastAcked();
        long head = store.lastLsn();
        long[] ids = CrashWorkload.fileIds(store);
        if (ids == null) {
            check(
                    committed.isEmpty(),
                    ctx + ": batches up to " + lastCommitted() + " were committed (batch " + lastAcked
                            + " acknowledged at LSN " + acked.get(lastAcked)
                            + ") but the timeline or a file is missing at head LSN " + head);
            return 0;
        }
        check(
                head >= (committed.isEmpty() ? 0 : committed.lastEntry().getValue()),
                ctx + ": the store's last LSN is " + head + ", below the acknowledged LSN "
                        + (committed.isEmpty() ? 0 : committed.lastEntry().getValue()));

        // The header names the last committed batch.
        long h = 0;
        long hLsn = -1;
        if (store.readPage(CrashWorkload.TIMELINE, head, ids[CrashWorkload.HEADER], 0) instanceof PageRead.Found f) {
            CrashWorkload.Decoded d = CrashWorkload.decode(f.page());
            check(
                    d.valid() && d.file() == CrashWorkload.HEADER && d.block() == 0,
                    ctx + ": the header page (file " + ids[0] + ", block 0) at head LSN " + head + " is " + d);
            h = d.seq();
            hLsn = f.lsn();
        }
        check(
                h >= lastCommitted(),
                ctx + ": LOST: batch " + lastCommitted() + " was committed at LSN "
                        + committed.get(lastCommitted())
                        + (acked.containsKey(lastCommitted()) ? " and acknowledged" : "")
                        + ", but after reopening the header shows batch " + h + " (LSN " + hLsn + ")");
        // One batch may have been in flight at the kill; batches before it are acknowledged, or committed
        // unacknowledged in an earlier round (and verified then).
        check(
                h <= lastCommitted() + 1,
                ctx + ": the header shows batch " + h + " (LSN " + hLsn + "), but only batches up to " + lastCommitted()
                        + " were committed and the child commits one batch at a time");
        if (h > lastCommitted()) {
            committed.put(h, hLsn); // the batch in flight at the kill made it: from now on it must stay
            committedUnacked++;
        }
        if (h > 0) {
            check(
                    hLsn == committed.get(h),
                    ctx + ": the header at the head is batch " + h + "'s, at LSN " + hLsn + ", but batch " + h
                            + " was committed at LSN " + committed.get(h));
        }
        checkSizes(store, ids, head, plan.blocksAfter(h), ctx + ": at head LSN " + head + " (after batch " + h + ")");

        // Every page of every committed batch, at the head, with its batch's LSN.
        for (long seq = 1; seq <= h; seq++) {
            checkPresent(store, ids, head, seq, ctx + ": at head LSN " + head);
        }
        // Nothing of the batch in flight (if it did not make it), nor of any later one.
        for (long seq = h + 1; seq <= h + 3; seq++) {
            checkAbsent(store, ids, head, seq, ctx + ": at head LSN " + head + " (last committed batch " + h + ")");
        }
        // Each newly committed batch became visible exactly at its LSN, all at once.
        long minReadable = store.timeline(CrashWorkload.TIMELINE).minReadableLsn();
        for (var e : committed.tailMap(seqChecked, false).entrySet()) {
            long seq = e.getKey();
            long lsn = e.getValue();
            String at = ctx + ": at batch " + seq + "'s LSN " + lsn;
            checkHeader(store, ids, lsn, seq, lsn, at);
            checkSizes(store, ids, lsn, plan.blocksAfter(seq), at);
            checkPresent(store, ids, lsn, seq, at);
            if (lsn - 1 >= minReadable) {
                String before = ctx + ": at LSN " + (lsn - 1) + ", just before batch " + seq + "'s LSN " + lsn;
                checkHeader(store, ids, lsn - 1, seq - 1, seq > 1 ? committed.get(seq - 1) : -1, before);
                checkSizes(store, ids, lsn - 1, plan.blocksAfter(seq - 1), before);
                checkAbsent(store, ids, lsn - 1, seq, before);
            }
        }
        seqChecked = h;
        return h;
    }

    private List<PageRef> refs(long[] ids, CrashWorkload.Batch b, List<int[]> fileBlock) {
        List<PageRef> refs = new ArrayList<>();
        for (CrashWorkload.Extent e : b.extents()) {
            for (int i = 0; i < e.count(); i++) {
                refs.add(new PageRef(ids[e.file()], e.firstBlock() + i));
                fileBlock.add(new int[] {e.file(), e.firstBlock() + i});
            }
        }
        return refs;
    }

    private void checkPresent(PageStore store, long[] ids, long lsn, long seq, String ctx) {
        long want = committed.get(seq);
        List<int[]> fb = new ArrayList<>();
        List<PageRead> reads = store.readPages(CrashWorkload.TIMELINE, lsn, refs(ids, plan.batch(seq), fb));
        int missing = 0;
        String firstProblem = null;
        for (int i = 0; i < reads.size(); i++) {
            int file = fb.get(i)[0];
            int block = fb.get(i)[1];
            String where = "block " + block + " of " + CrashWorkload.PATHS[file] + " (file id " + ids[file] + ")";
            String problem = null;
            switch (reads.get(i)) {
                case PageRead.Absent a -> {
                    missing++;
                    problem = where + " is absent";
                }
                case PageRead.Found f -> {
                    if (!Arrays.equals(f.page(), CrashWorkload.page(seq, file, block))) {
                        problem = where + " holds " + CrashWorkload.decode(f.page()) + " at LSN " + f.lsn();
                    } else if (f.lsn() != want) {
                        problem = where + " carries LSN " + f.lsn();
                    }
                }
            }
            pagesChecked++;
            if (problem != null && firstProblem == null) {
                firstProblem = problem;
            }
        }
        if (firstProblem != null) {
            throw new AssertionError(ctx + ": batch " + seq + " ("
                    + (acked.containsKey(seq) ? "acknowledged" : "committed, unacknowledged")
                    + " at LSN " + want + ", " + reads.size() + " data pages, " + missing
                    + " of them absent) is not intact: "
                    + firstProblem + " (expected: batch " + seq + "'s image at LSN " + want + ")");
        }
    }

    private void checkAbsent(PageStore store, long[] ids, long lsn, long seq, String ctx) {
        List<int[]> fb = new ArrayList<>();
        List<PageRead> reads = store.readPages(CrashWorkload.TIMELINE, lsn, refs(ids, plan.batch(seq), fb));
        int visible = 0;
        String first = null;
        for (int i = 0; i < reads.size(); i++) {
            if (reads.get(i) instanceof PageRead.Found f) {
                visible++;
                if (first == null) {
                    first = "block " + fb.get(i)[1] + " of " + CrashWorkload.PATHS[fb.get(i)[0]] + " holds "
                            + CrashWorkload.decode(f.page()) + " at LSN " + f.lsn();
                }
            }
            pagesChecked++;
        }
        check(
                visible == 0,
                ctx + ": " + visible + " of the " + reads.size() + " data pages of uncommitted batch " + seq
                        + " are visible (PARTLY VISIBLE BATCH): " + first);
    }

    private void checkHeader(PageStore store, long[] ids, long lsn, long seq, long seqLsn, String ctx) {
        PageRead r = store.readPage(CrashWorkload.TIMELINE, lsn, ids[CrashWorkload.HEADER], 0);
        if (seq == 0) {
            check(
                    r instanceof PageRead.Absent,
                    ctx + ": the header page should be absent (no batch yet) but is " + describe(r));
            return;
        }
        check(
                r instanceof PageRead.Found f
                        && Arrays.equals(f.page(), CrashWorkload.page(seq, CrashWorkload.HEADER, 0))
                        && f.lsn() == seqLsn,
                ctx + ": the header page should be batch " + seq + "'s at LSN " + seqLsn + " but is " + describe(r));
    }

    private void checkSizes(PageStore store, long[] ids, long lsn, int[] blocks, String ctx) {
        for (int file = 1; file < ids.length; file++) {
            long size = store.getAttr(CrashWorkload.TIMELINE, lsn, ids[file]).size();
            long want = (long) blocks[file] * Pages.PAGE_SIZE;
            check(
                    size == want,
                    ctx + ": " + CrashWorkload.PATHS[file] + " (file id " + ids[file] + ") is " + size
                            + " bytes, expected " + want + " (" + blocks[file] + " blocks)");
        }
    }

    private static String describe(PageRead r) {
        return switch (r) {
            case PageRead.Absent a -> "absent";
            case PageRead.Found f -> CrashWorkload.decode(f.page()) + " at LSN " + f.lsn();
        };
    }

    Map<Long, Long> acked() {
        return java.util.Collections.unmodifiableMap(acked);
    }

    static void check(boolean ok, String message) {
        if (!ok) {
            throw new AssertionError(message);
        }
    }
}
