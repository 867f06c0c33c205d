package dev.sprout.diff.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The blocks of a relation: both sides' changed blocks of its main fork together, a segment file's blocks offset by
 * the segments before it, other relations and forks ({@code _fsm}, {@code _vm}) left out; runs of blocks for the
 * TID range scans.
 */
class ChangedBlocksTest {
    @Test
    void blocksOfARelationSpanItsSegmentsAndBothSides() {
        DataDiff.ChangedBlocks blocks = new DataDiff.ChangedBlocks(
                Map.of(
                        "16384", new TreeSet<>(List.of(1, 2)),
                        "16384.1", new TreeSet<>(List.of(0)),
                        "16384_vm", new TreeSet<>(List.of(0)),
                        "16390", new TreeSet<>(List.of(7))),
                Map.of("16384", new TreeSet<>(List.of(2, 3, 9))));
        assertEquals(new TreeSet<>(List.of(1, 2, 3, 9, DataDiff.SEGMENT_BLOCKS)), blocks.of(16384));
        assertEquals(new TreeSet<>(List.of(7)), blocks.of(16390));
        assertEquals(new TreeSet<Integer>(), blocks.of(1));
    }

    @Test
    void runsOfBlocksAreContiguousHalfOpenRanges() {
        List<int[]> runs = DataDiff.ranges(new TreeSet<>(List.of(1, 2, 3, 9, 11, 12)));
        assertEquals(3, runs.size());
        assertArrayEquals(new int[] {1, 4}, runs.get(0));
        assertArrayEquals(new int[] {9, 10}, runs.get(1));
        assertArrayEquals(new int[] {11, 13}, runs.get(2));
        assertEquals(List.of(), DataDiff.ranges(new TreeSet<>()));
    }
}
