package dev.sprout.compute.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * {@link WalReader} on WAL laid out as PostgreSQL lays it out (page headers, long headers at segment starts, records
 * continued over pages, CRC-32C), cut at every record end and damaged in the ways a store snapshot can be: the
 * compute's real WAL is checked end to end by the control plane's test against {@code pg_current_wal_lsn()}.
 */
class WalReaderTest {
    private static final int PAGE = WalReader.PAGE;
    /** Small segments, so that records run over segment boundaries too. */
    private static final long SEGMENT = 4 * PAGE;

    @Test
    void everyRecordEndIsDurableOnceWrittenAndNotBefore() {
        long seed = System.nanoTime();
        SplittableRandom random = new SplittableRandom(seed);
        Wal wal = new Wal(SEGMENT); // the first page of WAL: a long header
        List<Long> ends = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            int size = random.nextInt(10) == 0 ? random.nextInt(PAGE, 3 * PAGE) : random.nextInt(24, 400);
            ends.add(wal.append(size, random));
        }
        for (int i = 0; i < ends.size(); i++) {
            long end = ends.get(i);
            // everything written: durable through every record end, and through positions inside a record
            assertTrue(
                    WalReader.durableThrough(wal.upTo(wal.position()), SEGMENT, end), "end " + end + " seed " + seed);
            assertTrue(WalReader.durableThrough(wal.upTo(wal.position()), SEGMENT, end - 8), "seed " + seed);
            // written up to this record's end: durable through it, not through the next
            assertTrue(WalReader.durableThrough(wal.upTo(end), SEGMENT, end), "cut at " + end + " seed " + seed);
            if (i + 1 < ends.size()) {
                assertFalse(
                        WalReader.durableThrough(wal.upTo(end), SEGMENT, ends.get(i + 1)),
                        "next " + ends.get(i + 1) + " seed " + seed);
                // half of the next record written: still not durable through it
                long half = end + (ends.get(i + 1) - end) / 2;
                assertFalse(WalReader.durableThrough(wal.upTo(half), SEGMENT, ends.get(i + 1)), "half, seed " + seed);
            }
        }
    }

    @Test
    void aDamagedRecordOrARecycledPageIsNotDurable() {
        SplittableRandom random = new SplittableRandom(7);
        Wal wal = new Wal(SEGMENT);
        long first = wal.append(100, random);
        long second = wal.append(200, random);
        long third = wal.append(3 * PAGE, random); // over four pages
        Map<Long, byte[]> pages = wal.pages();
        assertTrue(WalReader.durableThrough(segments(pages), SEGMENT, third));

        Map<Long, byte[]> damaged = copy(pages);
        damaged.get(0L)[(int) (first + 30)] ^= 1; // a byte of the second record
        assertTrue(WalReader.durableThrough(segments(damaged), SEGMENT, first));
        assertFalse(WalReader.durableThrough(segments(damaged), SEGMENT, second), "its CRC no longer checks");
        assertFalse(WalReader.durableThrough(segments(damaged), SEGMENT, third));

        Map<Long, byte[]> recycled = copy(pages);
        long last = third - 1 - (third - 1) % PAGE;
        ByteBuffer.wrap(recycled.get(last)).order(ByteOrder.LITTLE_ENDIAN).putLong(8, last - SEGMENT * 8);
        assertTrue(WalReader.durableThrough(segments(recycled), SEGMENT, second));
        assertFalse(WalReader.durableThrough(segments(recycled), SEGMENT, third), "an old segment's page is not WAL");

        Map<Long, byte[]> missing = copy(pages);
        missing.remove(last);
        assertFalse(WalReader.durableThrough(segments(missing), SEGMENT, third));
        assertFalse(WalReader.durableThrough(segments(Map.of()), SEGMENT, first), "no WAL at all");
    }

    @Test
    void segmentNamesAsPgWalHasThem() {
        long sixteen = 16L << 20;
        assertEquals(Optional.of(1L), WalReader.segmentNumber("000000010000000000000001", sixteen));
        assertEquals(Optional.of(256L + 255), WalReader.segmentNumber("0000000200000001000000FF", sixteen));
        assertEquals(Optional.empty(), WalReader.segmentNumber("00000002.history", sixteen));
        assertEquals(Optional.empty(), WalReader.segmentNumber("archive_status", sixteen));
    }

    private static WalReader.Segments segments(Map<Long, byte[]> pages) {
        return (segno, block) -> Optional.ofNullable(pages.get(segno * SEGMENT + (long) block * PAGE))
                .map(byte[]::clone);
    }

    private static Map<Long, byte[]> copy(Map<Long, byte[]> pages) {
        Map<Long, byte[]> copy = new HashMap<>();
        pages.forEach((k, v) -> copy.put(k, v.clone()));
        return copy;
    }

    /** WAL written as PostgreSQL writes it, from position 0 (a segment start). */
    private static final class Wal {
        private final long segmentSize;
        private final Map<Long, byte[]> pages = new HashMap<>();
        private long position;
        private long previous;

        Wal(long segmentSize) {
            this.segmentSize = segmentSize;
        }

        long position() {
            return position;
        }

        Map<Long, byte[]> pages() {
            return pages;
        }

        /** Appends a record of {@code size} bytes (header included); returns where the next one starts. */
        long append(int size, SplittableRandom random) {
            byte[] record = new byte[size];
            for (int i = 24; i < size; i++) {
                record[i] = (byte) random.nextInt(256);
            }
            ByteBuffer h = ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN);
            h.putInt(0, size)
                    .putInt(4, 1000)
                    .putLong(8, previous)
                    .put(16, (byte) 0)
                    .put(17, (byte) 1);
            CRC32C crc = new CRC32C();
            crc.update(record, 24, size - 24);
            crc.update(record, 0, 20);
            h.putInt(20, (int) crc.getValue());
            if (position % PAGE == 0) {
                position += header(position, 0);
            }
            previous = position;
            int written = 0;
            while (written < size) {
                if (position % PAGE == 0) {
                    position += header(position, size - written);
                }
                int n = (int) Math.min(PAGE - position % PAGE, size - written);
                System.arraycopy(record, written, page(position), (int) (position % PAGE), n);
                written += n;
                position += n;
            }
            position = (position + 7) & ~7L;
            return position;
        }

        private int header(long pageStart, int remaining) {
            boolean first = pageStart % segmentSize == 0;
            ByteBuffer b = ByteBuffer.wrap(page(pageStart)).order(ByteOrder.LITTLE_ENDIAN);
            b.putShort(0, (short) 0xD110)
                    .putShort(2, (short) ((remaining > 0 ? 1 : 0) | (first ? 2 : 0)))
                    .putInt(4, 1)
                    .putLong(8, pageStart)
                    .putInt(16, remaining);
            if (first) {
                b.putLong(24, 42).putInt(32, (int) segmentSize).putInt(36, PAGE);
            }
            return first ? 40 : 24;
        }

        private byte[] page(long position) {
            return pages.computeIfAbsent(position - position % PAGE, _ -> new byte[PAGE]);
        }

        /** The pages as a snapshot holds them when PostgreSQL had written up to {@code end}: zeros after it. */
        WalReader.Segments upTo(long end) {
            Map<Long, byte[]> cut = new HashMap<>();
            pages.forEach((start, bytes) -> {
                if (start < end) {
                    byte[] copy = bytes.clone();
                    if (end - start < PAGE) {
                        java.util.Arrays.fill(copy, (int) (end - start), PAGE, (byte) 0);
                    }
                    cut.put(start, copy);
                }
            });
            return segments(cut);
        }
    }
}
