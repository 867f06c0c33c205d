package dev.sprout.bench.storage.dataset;

import dev.sprout.bench.support.BenchEnv;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.StoreOptions;
import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.page.PageRead;
import dev.sprout.storage.page.Pages;
import dev.sprout.storage.timeline.TimelineId;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Generates a {@link Dataset} once and finds it again in later runs.
 *
 * <p>A dataset directory holds {@code store/} (the closed RocksDB) and {@code COMPLETE}, a marker written last,
 * atomically, recording the shape, the timeline and file ids, the head LSN, the read points, the
 * {@link #LAYOUT} and the {@link EngineFingerprint} of the engine build that wrote it. A directory without the
 * marker (an interrupted generation), or whose shape, layout or engine differs, is deleted and generated again.
 *
 * <p>Generation writes with {@code withSyncCommits(false)} in batches of {@value #BATCH_PAGES} pages (the
 * store's durability is not what it measures), adds the {@link ReadChains} to GetPage datasets, flushes, waits
 * until RocksDB has no flush or compaction pending or running (so that every run starts from the same settled
 * LSM tree and no benchmark competes with leftover compaction), closes, then reopens once with the default
 * options to check that the store recovers and serves a page through every read point. A progress line goes
 * to stderr every {@value #PROGRESS_SECONDS} seconds.
 *
 * <p>Not safe for two processes preparing the same dataset at once.
 */
public final class DatasetStore {
    /** 8 MiB of images per commit: large enough that per-commit costs vanish, small next to a 128 MiB memtable. */
    static final int BATCH_PAGES = 1024;

    static final int PROGRESS_SECONDS = 5;
    /** Files are PostgreSQL relation segments of at most 1 GiB. */
    static final int SEGMENT_BLOCKS = 131_072;

    /** Changes whenever what generation writes changes, so that older datasets are generated again. */
    private static final String LAYOUT =
            "3: data, then read chains whose rewritten levels wrote the file before branching";

    private static final String MARKER = "COMPLETE";
    private static final String STORE = "store";

    private DatasetStore() {}

    /** The dataset if this machine has a complete copy of it, in the shape this run uses, by this engine build. */
    public static Optional<PreparedDataset> find(Dataset dataset) {
        Path marker = dataset.directory().resolve(MARKER);
        if (!Files.exists(marker)) {
            return Optional.empty();
        }
        PreparedDataset found = read(dataset, marker);
        return staleness(found, dataset.shape()).isEmpty() ? Optional.of(found) : Optional.empty();
    }

    /** The dataset, generated first if this machine has no complete copy of it. */
    public static PreparedDataset prepare(Dataset dataset) {
        Dataset.Shape shape = dataset.shape();
        Path dir = dataset.directory();
        Path marker = dir.resolve(MARKER);
        if (Files.exists(marker)) {
            PreparedDataset found = read(dataset, marker);
            var stale = staleness(found, shape);
            if (stale.isEmpty()) {
                return found;
            }
            BenchEnv.log("dataset %s at %s %s: generating it again", dataset.dirName(), dir, stale.get());
        } else if (Files.exists(dir)) {
            BenchEnv.log(
                    "dataset %s at %s has no %s marker (interrupted generation?): generating it again",
                    dataset.dirName(), dir, MARKER);
        }
        return generate(dataset, shape, dir);
    }

    private static Optional<String> staleness(PreparedDataset found, Dataset.Shape shape) {
        if (!found.layout().equals(LAYOUT)) {
            return Optional.of("has layout \"" + found.layout() + "\", expected \"" + LAYOUT + "\"");
        }
        if (!found.shape().equals(shape)) {
            return Optional.of("has shape " + found.shape() + ", expected " + shape);
        }
        String engine = EngineFingerprint.current();
        if (!found.engine().equals(engine)) {
            return Optional.of("was written by another build of the storage engine (fingerprint " + found.engine()
                    + ", this build " + engine + ")");
        }
        return Optional.empty();
    }

    private static PreparedDataset generate(Dataset dataset, Dataset.Shape shape, Path dir) {
        if (shape.blocksPerFile() > SEGMENT_BLOCKS) {
            throw new IllegalArgumentException("files of " + shape.blocksPerFile() + " blocks exceed a 1 GiB segment");
        }
        BenchEnv.deleteTree(dir);
        Path storeDir = dir.resolve(STORE);
        long started = System.nanoTime();
        BenchEnv.log(
                "generating dataset %s (%s: %,d files x %,d blocks x %d versions, %.2f GiB of page images) in %s",
                dataset.dirName(),
                dataset.name(),
                shape.files(),
                shape.blocksPerFile(),
                shape.versions(),
                shape.imageBytes() / (double) (1L << 30),
                storeDir);
        TimelineId timeline = TimelineId.random();
        List<Long> fileIds = new ArrayList<>();
        @SuppressWarnings("EnumOrdinal") // the seed every prepared dataset was made with: keep it, or caches go stale
        PageImages images = new PageImages(dataset.ordinal() * 1_000_003L + 17);
        Map<String, ReadPoint> readPoints;
        try (PageStore store = PageStore.open(StoreOptions.defaults(storeDir).withSyncCommits(false))) {
            long chainBytes = dataset.hasReadChains() ? ReadChains.pages(shape.blocksPerFile()) * Pages.PAGE_SIZE : 0;
            Progress progress = new Progress(dataset.dirName(), shape.imageBytes() + chainBytes, store, storeDir);
            store.createRoot(timeline, 0, 0);
            for (int f = 0; f < shape.files(); f++) {
                fileIds.add(store.create(timeline, "/16384" + (f == 0 ? "" : "." + f), 0600, 0, 0)
                        .fileId());
            }
            for (int v = 0; v < shape.versions(); v++) {
                for (long fileId : fileIds) {
                    for (int first = 0; first < shape.blocksPerFile(); first += BATCH_PAGES) {
                        int end = Math.min(first + BATCH_PAGES, shape.blocksPerFile());
                        PageBatch batch = new PageBatch(timeline);
                        if (v == 0) {
                            batch.resize(fileId, (long) end * Pages.PAGE_SIZE); // writes past the size are refused
                        }
                        for (int block = first; block < end; block++) {
                            batch.write(fileId, block, images.next());
                        }
                        store.commit(batch);
                        progress.written(end - first);
                    }
                }
            }
            long head = store.timeline(timeline).lastLsn();
            readPoints = dataset.hasReadChains()
                    ? ReadChains.build(
                            store, timeline, head, fileIds.getFirst(), shape.blocksPerFile(), images, progress::written)
                    : Map.of(ReadChains.DIRECT, new ReadPoint(timeline, head));
            store.flush();
            progress.awaitCompactions();
        }
        try (PageStore store = PageStore.open(StoreOptions.defaults(storeDir))) {
            // Reopened with the defaults: the store recovers, and every read point finds a page.
            for (var e : readPoints.entrySet()) {
                ReadPoint p = e.getValue();
                int block = shape.blocksPerFile() - ReadChains.LEVEL_PAGES - 1;
                if (!(store.readPage(p.timeline(), p.lsn(), fileIds.getFirst(), block) instanceof PageRead.Found)) {
                    throw new IllegalStateException("dataset " + dataset.dirName() + ": block " + block + " of file "
                            + fileIds.getFirst() + " is absent through read point " + e.getKey() + " after reopening");
                }
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        PreparedDataset prepared = new PreparedDataset(
                dataset,
                shape,
                storeDir,
                timeline,
                List.copyOf(fileIds),
                readPoints.get(ReadChains.DIRECT).lsn(),
                BenchEnv.treeBytes(storeDir),
                seconds,
                EngineFingerprint.current(),
                LAYOUT,
                Map.copyOf(readPoints));
        write(prepared, dir.resolve(MARKER));
        BenchEnv.log(
                "dataset %s complete: %.2f GiB on disk for %.2f GiB of data images%s, %.0f s",
                dataset.dirName(),
                prepared.storeBytes() / (double) (1L << 30),
                shape.imageBytes() / (double) (1L << 30),
                dataset.hasReadChains()
                        ? String.format(
                                Locale.ROOT,
                                " and %.2f GiB written by the read chains",
                                ReadChains.pages(shape.blocksPerFile()) * Pages.PAGE_SIZE / (double) (1L << 30))
                        : "",
                seconds);
        return prepared;
    }

    private static void write(PreparedDataset d, Path marker) {
        Properties p = new Properties();
        p.setProperty("shape", d.shape().encode());
        p.setProperty("timeline", d.timeline().toString());
        p.setProperty(
                "fileIds",
                String.join(",", d.fileIds().stream().map(String::valueOf).toList()));
        p.setProperty("lastLsn", Long.toString(d.lastLsn()));
        p.setProperty("storeBytes", Long.toString(d.storeBytes()));
        p.setProperty("generationSeconds", String.format(Locale.ROOT, "%.1f", d.generationSeconds()));
        p.setProperty("generatedAt", Instant.now().toString());
        p.setProperty("pages", "first 4096 bytes random, last 4096 bytes zero");
        p.setProperty("engine", d.engine());
        p.setProperty("layout", d.layout());
        d.readPoints().forEach((name, point) -> p.setProperty("read." + name, point.encode()));
        Path tmp = marker.resolveSibling(MARKER + ".tmp");
        try (Writer out = Files.newBufferedWriter(tmp)) {
            p.store(out, "Sprout benchmark dataset " + d.dataset().dirName() + ": complete");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + tmp, e);
        }
        try {
            Files.move(tmp, marker, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + marker, e);
        }
    }

    private static PreparedDataset read(Dataset dataset, Path marker) {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(marker)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + marker, e);
        }
        int[] s = Arrays.stream(p.getProperty("shape").split("x"))
                .mapToInt(Integer::parseInt)
                .toArray();
        List<Long> files = Arrays.stream(p.getProperty("fileIds").split(","))
                .map(Long::valueOf)
                .toList();
        Map<String, ReadPoint> points = new TreeMap<>();
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("read.")) {
                points.put(key.substring("read.".length()), ReadPoint.decode(p.getProperty(key)));
            }
        }
        return new PreparedDataset(
                dataset,
                new Dataset.Shape(s[0], s[1], s[2]),
                marker.resolveSibling(STORE),
                TimelineId.parse(p.getProperty("timeline")),
                files,
                Long.parseLong(p.getProperty("lastLsn")),
                Long.parseLong(p.getProperty("storeBytes")),
                Double.parseDouble(p.getProperty("generationSeconds")),
                p.getProperty("engine", "unknown"),
                p.getProperty("layout", "1"),
                Map.copyOf(points));
    }

    /** Progress lines during generation. */
    private static final class Progress {
        private final String name;
        private final long totalBytes;
        private final PageStore store;
        private final Path storeDir;
        private final long started = System.nanoTime();
        private long nextReport = started + PROGRESS_SECONDS * 1_000_000_000L;
        private long bytes;

        Progress(String name, long totalBytes, PageStore store, Path storeDir) {
            this.name = name;
            this.totalBytes = totalBytes;
            this.store = store;
            this.storeDir = storeDir;
        }

        void written(int pages) {
            bytes += (long) pages * Pages.PAGE_SIZE;
            long now = System.nanoTime();
            if (now >= nextReport) {
                nextReport = now + PROGRESS_SECONDS * 1_000_000_000L;
                double seconds = (now - started) / 1e9;
                BenchEnv.log(
                        "%s: %.2f of %.2f GiB written (%.0f%%), %.0f MB/s, %.0f s; pending compaction %.2f GiB, "
                                + "running compactions %d, writes %s, %.2f GiB on disk",
                        name,
                        gib(bytes),
                        gib(totalBytes),
                        100.0 * bytes / totalBytes,
                        bytes / 1e6 / seconds,
                        seconds,
                        gib(store.rocksProperty("rocksdb.estimate-pending-compaction-bytes")),
                        store.rocksProperty("rocksdb.num-running-compactions"),
                        stall(),
                        gib(BenchEnv.treeBytes(storeDir)));
            }
        }

        /** Returns once RocksDB reports no flush or compaction pending or running. */
        void awaitCompactions() {
            long waitStarted = System.nanoTime();
            while (busy()) {
                long now = System.nanoTime();
                if (now >= nextReport) {
                    nextReport = now + PROGRESS_SECONDS * 1_000_000_000L;
                    BenchEnv.log(
                            "%s: waiting for compactions, %.0f s; pending %.2f GiB, running compactions %d, %.2f GiB on disk",
                            name,
                            (now - waitStarted) / 1e9,
                            gib(store.rocksProperty("rocksdb.estimate-pending-compaction-bytes")),
                            store.rocksProperty("rocksdb.num-running-compactions"),
                            gib(BenchEnv.treeBytes(storeDir)));
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for compactions", e);
                }
            }
        }

        /** RocksDB's write stall state: the level-0 slowdown and stop triggers throttle ingest. */
        private String stall() {
            if (store.rocksProperty("rocksdb.is-write-stopped") > 0) {
                return "stopped";
            }
            long rate = store.rocksProperty("rocksdb.actual-delayed-write-rate");
            return rate > 0 ? String.format(Locale.ROOT, "delayed to %.0f MB/s", rate / 1e6) : "not throttled";
        }

        private boolean busy() {
            return store.rocksProperty("rocksdb.compaction-pending") > 0
                    || store.rocksProperty("rocksdb.num-running-compactions") > 0
                    || store.rocksProperty("rocksdb.num-running-flushes") > 0;
        }

        private static double gib(long b) {
            return b / (double) (1L << 30);
        }
    }
}
