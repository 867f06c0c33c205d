package dev.sprout.storage.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.storage.error.StorageIoException;
import dev.sprout.storage.page.Pages;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Delta encoding of one page against another: exact round trips, the size limit, and corrupt input refused. */
class PageDeltaTest {
    @Test
    void randomEditsRoundTripAndNeverCollideWithImageOrMarkerLengths() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        for (int round = 0; round < 2_000; round++) {
            byte[] base = new byte[Pages.PAGE_SIZE];
            rnd.nextBytes(base);
            byte[] page = base.clone();
            int edits = rnd.nextInt(12);
            for (int e = 0; e < edits; e++) {
                int len = 1 + rnd.nextInt(rnd.nextBoolean() ? 16 : 2_000);
                int at = rnd.nextInt(Pages.PAGE_SIZE - len + 1);
                for (int i = 0; i < len; i++) {
                    page[at + i] = (byte) rnd.nextInt();
                }
            }
            int limit = 5 + rnd.nextInt(Pages.PAGE_SIZE);
            Optional<byte[]> delta = PageDelta.encode(base, page, limit);
            if (delta.isPresent()) {
                byte[] d = delta.get();
                assertTrue(PageDelta.isDelta(d), "seed " + seed + ": a delta must not look like an image or a marker");
                assertTrue(d.length <= Math.min(limit, PageDelta.MAX_BYTES), "seed " + seed + ": over the limit");
                byte[] folded = base.clone();
                PageDelta.apply(d, folded);
                assertArrayEquals(page, folded, "seed " + seed + ", round " + round);
            } else {
                assertTrue(edits > 0, "seed " + seed + ": an unchanged page always fits");
            }
        }
    }

    @Test
    void aFewChangedBytesCostAFewBytes() {
        byte[] base = new byte[Pages.PAGE_SIZE];
        byte[] page = base.clone();
        page[100] = 1;
        page[104] = 2; // within the merge gap: one range
        page[8191] = 3;
        byte[] d = PageDelta.encode(base, page, Pages.PAGE_SIZE).orElseThrow();
        assertEquals(1 + (4 + 5) + (4 + 1), d.length);
        assertEquals(
                5, PageDelta.encode(base, base, Pages.PAGE_SIZE).orElseThrow().length, "no change: one empty range");
    }

    @Test
    void aMostlyEmptyPageIsADeltaOnZerosAndALargelyFullOneIsNot() {
        byte[] page = new byte[Pages.PAGE_SIZE];
        for (int i = 0; i < 300; i++) {
            page[24 + i] = (byte) (i + 1); // a WAL page's header and first record
        }
        byte[] d = PageDelta.encodeOnZeros(page).orElseThrow();
        assertTrue(PageDelta.isOnZeros(d));
        assertTrue(d.length < 320, "a 300-byte page stored in " + d.length + " bytes");
        assertArrayEquals(page, PageDelta.image(d));
        byte[] full = new byte[Pages.PAGE_SIZE];
        new Random(1).nextBytes(full);
        assertTrue(PageDelta.encodeOnZeros(full).isEmpty(), "a full page is stored whole");
    }

    @Test
    void aCorruptDeltaIsRefusedWithASentence() {
        byte[] page = new byte[Pages.PAGE_SIZE];
        assertThrows(StorageIoException.class, () -> PageDelta.apply(new byte[] {'X', 0, 0, 0, 0}, page));
        StorageIoException e = assertThrows(
                StorageIoException.class, () -> PageDelta.apply(new byte[] {'D', 0x20, 0, 0x10, 0, 1}, page));
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
        assertThrows(StorageIoException.class, () -> PageDelta.apply(new byte[] {'D', 0, 0, 0}, page));
    }
}
