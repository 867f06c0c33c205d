package dev.sprout.compute.postgres;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * Says whether PostgreSQL's WAL, as one snapshot of its {@code pg_wal} files holds it, is durable through a WAL
 * position: every record up to it is complete and its CRC checks. The control plane uses it to map a position from
 * {@code pg_current_wal_lsn()} or PostgreSQL's log to the first Sprout LSN at which that WAL was in the store.
 *
 * <p>What it reads, from PostgreSQL's WAL format (the same on every platform Sprout runs on: little-endian, 8-byte
 * alignment): 8 KiB pages, each with a header ({@code xlp_info} flags at byte 2, {@code xlp_pageaddr} at byte 8,
 * {@code xlp_rem_len} at byte 16; 24 bytes, 40 for the first page of a segment, which carries {@code
 * XLP_LONG_HEADER}); records that start 8-byte aligned, with {@code xl_tot_len} in their first 4 bytes (always on the
 * record's first page), {@code xl_crc} at byte 20 of a 24-byte header, and a CRC-32C over the data after the header
 * and then the header up to the CRC; a record may continue over pages, each continuation page flagged
 * {@code XLP_FIRST_IS_CONTRECORD} with {@code xlp_rem_len} the bytes still to come. A page whose {@code xlp_pageaddr}
 * is not its own position is a recycled segment's old content, not WAL of this position.
 *
 * <p>Stateless; thread-safe.
 */
public final class WalReader {
    public static final int PAGE = 8192;
    private static final int SHORT_HEADER = 24;
    private static final int LONG_HEADER = 40;
    private static final int RECORD_HEADER = 24;
    private static final int CRC_OFFSET = 20;
    private static final int FIRST_IS_CONTRECORD = 0x0001;
    private static final int LONG_HEADER_FLAG = 0x0002;
    /** A record longer than this is not believed (PostgreSQL's own limit is 1 GB). */
    private static final long MAX_RECORD = 1L << 30;

    /** The pages of one snapshot of the WAL files. */
    public interface Segments {
        /** The bytes of segment file {@code segno}'s block {@code block} (any timeline: the newest), if there is one. */
        Optional<byte[]> page(long segno, int block);
    }

    private WalReader() {}

    /**
     * Whether the WAL in {@code wal} holds every record that ends at or before {@code position} (and the record that
     * contains it, when it falls inside one), complete and with a good CRC.
     *
     * @param segmentSize the WAL segment size ({@code wal_segment_size}, 16 MiB unless initdb said otherwise)
     */
    public static boolean durableThrough(Segments wal, long segmentSize, long position) {
        Pages pages = new Pages(wal, segmentSize);
        Optional<Long> start = recordStartAtOrBefore(pages, position - 1);
        if (start.isEmpty()) {
            return false;
        }
        long pos = start.get();
        while (pos < position) {
            if (pos % PAGE == 0) {
                Optional<ByteBuffer> page = pages.get(pos);
                if (page.isEmpty()) {
                    return false;
                }
                pos += headerSize(page.get());
                if (pos >= position) {
                    return true; // the position is right after a page header: what ends there is complete
                }
            }
            Optional<Long> end = recordEnd(pages, pos);
            if (end.isEmpty()) {
                return false;
            }
            pos = align(end.get());
        }
        return true;
    }

    /**
     * The start of a record at or before byte {@code at}: the first record that starts on {@code at}'s page, or on
     * the page before it when a record continued over all of it. Empty when a page on the way is not WAL here.
     */
    private static Optional<Long> recordStartAtOrBefore(Pages pages, long at) {
        for (long pageStart = at - at % PAGE; pageStart >= 0; pageStart -= PAGE) {
            Optional<ByteBuffer> page = pages.get(pageStart);
            if (page.isEmpty()) {
                return Optional.empty();
            }
            ByteBuffer p = page.get();
            long first = pageStart + headerSize(p);
            if ((p.getShort(2) & FIRST_IS_CONTRECORD) != 0) {
                first += align(Integer.toUnsignedLong(p.getInt(16)));
            }
            if (first <= at && first < pageStart + PAGE) {
                return Optional.of(first);
            }
        }
        return Optional.empty();
    }

    /** Where the record at {@code start} ends (the position after its last byte), if it is complete and checks. */
    private static Optional<Long> recordEnd(Pages pages, long start) {
        Optional<ByteBuffer> first = pages.get(start);
        if (first.isEmpty() || PAGE - start % PAGE < 4) {
            return Optional.empty();
        }
        long total = Integer.toUnsignedLong(first.get().getInt((int) (start % PAGE)));
        if (total < RECORD_HEADER || total > MAX_RECORD) {
            return Optional.empty(); // zeros (nothing written yet) or not a record
        }
        byte[] record = new byte[(int) total];
        int copied = 0;
        long pos = start;
        while (copied < total) {
            Optional<ByteBuffer> page = pages.get(pos);
            if (page.isEmpty()) {
                return Optional.empty();
            }
            ByteBuffer p = page.get();
            int offset = (int) (pos % PAGE);
            if (offset == 0) { // a continuation page: it must say so, and how much of this record is still to come
                if ((p.getShort(2) & FIRST_IS_CONTRECORD) == 0
                        || Integer.toUnsignedLong(p.getInt(16)) != total - copied) {
                    return Optional.empty();
                }
                offset = headerSize(p);
            }
            int n = (int) Math.min(PAGE - offset, total - copied);
            p.get(offset, record, copied, n);
            copied += n;
            pos = pos - pos % PAGE + offset + n;
        }
        CRC32C crc = new CRC32C();
        crc.update(record, RECORD_HEADER, record.length - RECORD_HEADER);
        crc.update(record, 0, CRC_OFFSET);
        int stored = ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN).getInt(CRC_OFFSET);
        return (int) crc.getValue() == stored ? Optional.of(pos) : Optional.empty();
    }

    private static int headerSize(ByteBuffer page) {
        return (page.getShort(2) & LONG_HEADER_FLAG) != 0 ? LONG_HEADER : SHORT_HEADER;
    }

    private static long align(long n) {
        return (n + 7) & ~7L;
    }

    /** Pages by WAL position, each checked to be the page of that position (not a recycled segment's old one). */
    private record Pages(Segments wal, long segmentSize) {
        Optional<ByteBuffer> get(long position) {
            long pageStart = position - position % PAGE;
            return wal.page(pageStart / segmentSize, (int) (pageStart % segmentSize / PAGE))
                    .filter(b -> b.length == PAGE)
                    .map(b -> ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN))
                    .filter(b -> b.getLong(8) == pageStart);
        }
    }

    /** The segment number a {@code pg_wal} file name stands for, if it is one (24 hex digits). */
    public static Optional<Long> segmentNumber(String name, long segmentSize) {
        if (name.length() != 24 || !name.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            return Optional.empty();
        }
        long perId = 0x1_0000_0000L / segmentSize;
        return Optional.of(Long.parseLong(name.substring(8, 16), 16) * perId + Long.parseLong(name.substring(16), 16));
    }
}
