package dev.sprout.bench.storage.dataset;

import dev.sprout.storage.timeline.TimelineId;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A complete dataset on disk, as its marker file describes it.
 *
 * @param dataset           which one
 * @param shape             files, blocks per file, versions per block
 * @param storeDir          the RocksDB directory (closed; benchmarks open clones of it, never this)
 * @param timeline          the root timeline holding every page
 * @param fileIds           the files, in the order they were written
 * @param lastLsn           the timeline's last LSN: the head that reads and branches use
 * @param storeBytes        bytes of the store directory on disk (compressed, compacted)
 * @param generationSeconds how long generation took, including the wait for compactions
 * @param engine            the {@link EngineFingerprint} of the engine build that wrote it
 * @param layout            what generation wrote ({@code DatasetStore}'s layout version)
 * @param readPoints        where GetPage reads ({@link ReadChains}); for other datasets only {@code direct}
 */
public record PreparedDataset(
        Dataset dataset,
        Dataset.Shape shape,
        Path storeDir,
        TimelineId timeline,
        List<Long> fileIds,
        long lastLsn,
        long storeBytes,
        double generationSeconds,
        String engine,
        String layout,
        Map<String, ReadPoint> readPoints) {

    public long file(int index) {
        return fileIds.get(index);
    }

    /** The read point named {@code via} ({@code direct}, {@code 5-levels}, {@code 5-levels-rewritten}). */
    public ReadPoint readPoint(String via) {
        ReadPoint p = readPoints.get(via);
        if (p == null) {
            throw new IllegalArgumentException("dataset " + dataset.dirName() + " has no read point \"" + via
                    + "\" (it has: " + readPoints.keySet() + ")");
        }
        return p;
    }

    /** Blocks of each file that readers may read: the chains' own pages lie past them. */
    public int readableBlocks() {
        return shape.blocksPerFile() - ReadChains.LEVEL_PAGES;
    }
}
