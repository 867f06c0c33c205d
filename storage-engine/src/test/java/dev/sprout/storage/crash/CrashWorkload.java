package dev.sprout.storage.crash;

import dev.sprout.storage.PageStore;
import dev.sprout.storage.StoreOptions;
import dev.sprout.storage.error.NoSuchFileException;
import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.page.Pages;
import dev.sprout.storage.timeline.TimelineId;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * The deterministic workload that {@link CrashWriter} (a child JVM) writes and the crash tests verify.
 *
 * <p>Batch {@code seq} (1, 2, 3, ...) appends 4 to 32 new pages spread over 2 or 3 of the data files, grows
 * those files with a resize in the same batch, and overwrites block 0 of the header file with a page that
 * names {@code seq}. Which blocks a batch writes depends only on {@code seq}, so anyone can recompute the
 * whole layout; every page's bytes depend only on (seq, file, block) and carry a CRC32C, so a page that
 * belongs to no batch, or to another block, or is torn, is recognised.
 *
 * <p>Data pages are never overwritten, so every committed batch's data pages stay readable at the head.
 */
final class CrashWorkload {
    static final TimelineId TIMELINE = TimelineId.parse("5e1f0c3e-7a2b-4c8d-9e0f-c0ffee5a1e01");
    /** File index 0 is the header, 1..DATA_FILES are data files. */
    static final String[] PATHS = {"/header", "/data1", "/data2", "/data3"};

    static final int HEADER = 0;
    static final int DATA_FILES = 3;
    static final int MIN_PAGES = 4;
    static final int MAX_PAGES = 32;

    private static final long MAGIC = 0x5350524F55544352L; // "SPROUTCR"
    private static final int CRC_OFFSET = Pages.PAGE_SIZE - 8;

    private CrashWorkload() {}

    /** The store options of every open in these tests: synced commits, small memory. */
    static StoreOptions options(Path dir) {
        return StoreOptions.defaults(dir).withMemory(8L << 20, 4L << 20);
    }

    /** A run of new blocks of one file. */
    record Extent(int file, int firstBlock, int count) {}

    /** What batch {@code seq} writes, and every file's size in blocks once it has committed. */
    record Batch(long seq, List<Extent> extents, int[] blocksAfter, boolean resizeFirst) {
        int pageCount() {
            return extents.stream().mapToInt(Extent::count).sum() + 1; // + the header page
        }
    }

    /** The layout of batches 1..n, computed incrementally; index 0 stands for "nothing committed yet". */
    static final class Plan {
        private final List<int[]> blocksAfter = new ArrayList<>(List.of(new int[DATA_FILES + 1]));
        private final List<Batch> batches = new ArrayList<>(java.util.Collections.singletonList(null));

        Batch batch(long seq) {
            if (seq < 1) {
                throw new IllegalArgumentException("seq " + seq + " (expected: >= 1)");
            }
            while (batches.size() <= seq) {
                long s = batches.size();
                Batch b = layout(s, blocksAfter.get((int) s - 1));
                batches.add(b);
                blocksAfter.add(b.blocksAfter());
            }
            return batches.get((int) seq);
        }

        /** Every file's size in blocks once batches 1..seq have committed (seq 0: before any). */
        int[] blocksAfter(long seq) {
            if (seq > 0) {
                batch(seq);
            }
            return blocksAfter.get((int) seq).clone();
        }
    }

    private static Batch layout(long seq, int[] before) {
        SplittableRandom rnd = new SplittableRandom(seq * 0x9E3779B97F4A7C15L ^ 0x2545F4914F6CDD1DL);
        int pages = MIN_PAGES + rnd.nextInt(MAX_PAGES - MIN_PAGES + 1);
        int files = 2 + rnd.nextInt(2);
        List<Integer> chosen = new ArrayList<>(List.of(1, 2, 3));
        if (files == 2) {
            int dropped = chosen.get(rnd.nextInt(3)); // one of the three files
            chosen.removeIf(f -> f == dropped);
        }
        int[] counts = new int[files];
        Arrays.fill(counts, 1);
        for (int i = files; i < pages; i++) {
            counts[rnd.nextInt(files)]++;
        }
        int[] after = before.clone();
        after[HEADER] = 1;
        List<Extent> extents = new ArrayList<>();
        for (int i = 0; i < files; i++) {
            int f = chosen.get(i);
            extents.add(new Extent(f, before[f], counts[i]));
            after[f] = before[f] + counts[i];
        }
        return new Batch(seq, List.copyOf(extents), after, rnd.nextBoolean());
    }

    /** The exact image of block {@code block} of file {@code file} as written by batch {@code seq}. */
    static byte[] page(long seq, int file, int block) {
        byte[] page = new byte[Pages.PAGE_SIZE];
        ByteBuffer b = ByteBuffer.wrap(page);
        b.putLong(0, MAGIC).putLong(8, seq).putInt(16, file).putInt(20, block);
        // A 64-byte random pattern of this (seq, file, block), repeated: unique to the page, yet compressible
        // (as PostgreSQL pages often are), which keeps the store small and the verification reads fast.
        SplittableRandom rnd = new SplittableRandom(seq * 1_000_003L + file * 7_919L + block);
        long[] pattern = new long[8];
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = rnd.nextLong();
        }
        for (int off = 24, i = 0; off < CRC_OFFSET; off += 8, i++) {
            b.putLong(off, pattern[i & 7]);
        }
        CRC32C crc = new CRC32C();
        crc.update(page, 0, CRC_OFFSET);
        b.putLong(CRC_OFFSET, crc.getValue());
        return page;
    }

    /** What a stored image claims to be, for failure messages and for reading the header back. */
    record Decoded(boolean valid, long seq, int file, int block) {
        @Override
        public String toString() {
            return valid
                    ? "page of batch " + seq + " (file " + file + ", block " + block + ")"
                    : "an invalid image (bad magic or checksum; claims batch " + seq + ", file " + file + ", block "
                            + block + ")";
        }
    }

    static Decoded decode(byte[] page) {
        if (page.length != Pages.PAGE_SIZE) {
            return new Decoded(false, -1, -1, -1);
        }
        ByteBuffer b = ByteBuffer.wrap(page);
        CRC32C crc = new CRC32C();
        crc.update(page, 0, CRC_OFFSET);
        boolean valid = b.getLong(0) == MAGIC && b.getLong(CRC_OFFSET) == crc.getValue();
        return new Decoded(valid, b.getLong(8), b.getInt(16), b.getInt(20));
    }

    /** Builds batch {@code seq} against the file ids of one store. */
    static PageBatch build(Batch batch, long[] fileIds) {
        PageBatch pb = new PageBatch(TIMELINE);
        if (batch.resizeFirst()) {
            resizes(pb, batch, fileIds);
        }
        for (Extent e : batch.extents()) {
            for (int i = 0; i < e.count(); i++) {
                int block = e.firstBlock() + i;
                pb.write(fileIds[e.file()], block, page(batch.seq(), e.file(), block));
            }
        }
        pb.write(fileIds[HEADER], 0, page(batch.seq(), HEADER, 0));
        if (!batch.resizeFirst()) {
            resizes(pb, batch, fileIds);
        }
        return pb;
    }

    private static void resizes(PageBatch pb, Batch batch, long[] fileIds) {
        pb.resize(fileIds[HEADER], Pages.PAGE_SIZE);
        for (Extent e : batch.extents()) {
            pb.resize(fileIds[e.file()], (long) batch.blocksAfter()[e.file()] * Pages.PAGE_SIZE);
        }
    }

    /** The ids of the workload's files at the head, or null when the timeline or a file does not exist yet. */
    static long[] fileIds(PageStore store) {
        if (store.timelines().stream().noneMatch(t -> t.id().equals(TIMELINE))) {
            return null;
        }
        long head = store.lastLsn();
        long[] ids = new long[PATHS.length];
        for (int i = 0; i < PATHS.length; i++) {
            try {
                ids[i] = store.lookup(TIMELINE, head, PATHS[i]);
            } catch (NoSuchFileException e) {
                return null;
            }
        }
        return ids;
    }
}
