package dev.sprout.bench.storage.dataset;

import dev.sprout.bench.support.BenchEnv;
import java.nio.file.Path;

/**
 * The persistent datasets the storage benchmarks read. Each is one root timeline holding {@code files} files
 * of {@code blocksPerFile} 8 KiB blocks, every block written {@code versions} times (half random, half zero
 * images, see {@link PageImages}). Files are 1 GiB at most, like PostgreSQL's relation segments.
 *
 * <p>A dataset is generated once into {@code <base>/<dir>} and reused by every later run; see
 * {@link DatasetStore}. Smoke runs use much smaller shapes under {@code <base>/smoke}.
 *
 * <p>Each file is written in order, {@value DatasetStore#BATCH_PAGES} pages per commit; with ten versions, the
 * whole file once, then again, ten times, so a block's versions have LSNs spread over the whole load.
 */
@SuppressWarnings("ImmutableEnumChecker") // Shape is a record of ints: immutable, though not annotated so
public enum Dataset {
    /** The small parent for branch creation: 10 MiB of pages. */
    BRANCH_10MIB("10mib", new Shape(1, 1_280, 1), new Shape(1, 1_280, 1), false),
    /** The large parent for branch creation: 10 GiB of pages in ten 1 GiB files. */
    BRANCH_10GIB("10gib", new Shape(10, 131_072, 1), new Shape(1, 8_192, 1), false),
    /** GetPage@LSN, one version per page: 24,576 pages (192 MiB of images), plus the {@link ReadChains}. */
    GETPAGE_1V("getpage-1v", new Shape(1, 24_576, 1), new Shape(1, 2_048, 1), true),
    /** GetPage@LSN, ten versions per page: the same 24,576 pages, each written ten times (1.9 GiB of images). */
    GETPAGE_10V("getpage-10v", new Shape(1, 24_576, 10), new Shape(1, 2_048, 10), true);

    /** What a dataset holds. */
    public record Shape(int files, int blocksPerFile, int versions) {
        public long pages() {
            return (long) files * blocksPerFile;
        }

        public long imageBytes() {
            return pages() * versions * dev.sprout.storage.page.Pages.PAGE_SIZE;
        }

        String encode() {
            return files + "x" + blocksPerFile + "x" + versions;
        }
    }

    private final String dir;
    private final Shape full;
    private final Shape smoke;
    private final boolean readChains;

    Dataset(String dir, Shape full, Shape smoke, boolean readChains) {
        this.dir = dir;
        this.full = full;
        this.smoke = smoke;
        this.readChains = readChains;
    }

    /** Whether the dataset also holds the branch chains that GetPage reads through ({@link ReadChains}). */
    public boolean hasReadChains() {
        return readChains;
    }

    /** The shape this run uses (smaller in smoke mode). */
    public Shape shape() {
        return BenchEnv.smoke() ? smoke : full;
    }

    /** Where this run keeps the dataset: {@code <base>/<dir>}, or {@code <base>/smoke/<dir>} in smoke mode. */
    public Path directory() {
        Path base = BenchEnv.baseDir();
        return BenchEnv.smoke() ? base.resolve("smoke").resolve(dir) : base.resolve(dir);
    }

    /** Finds the dataset for a JMH parameter value such as {@code 10GiB} or {@code getpage-1v}. */
    public static Dataset named(String name) {
        for (Dataset d : values()) {
            if (d.dir.equalsIgnoreCase(name) || d.name().equalsIgnoreCase(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("no dataset named \"" + name + "\"");
    }

    public String dirName() {
        return dir;
    }
}
