package dev.sprout.bench.e2e;

import dev.sprout.bench.kit.Stats;
import dev.sprout.bench.support.BenchEnv;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Step {@code many}: {@code n} branches of one dataset's main created one after another through the API, on a
 * fresh clone of its store (main's compute not running, no other branch), none of them ever started: idle
 * branches, after {@link #WARMUP} creates not counted. All by one curl process on one kept connection
 * ({@link CurlCreates}; a warm-up request makes it), so that the trend is the server's and not a new client's
 * set-up; each create timed by curl. ZFS clones slow down as they accumulate (1,000 took 90 s and 4,000 took
 * 1,332 s in openzfs/zfs#6372); the ratio of the last 100's median to the first 100's says whether Sprout does.
 * Storage: the store directory once settled ({@link SproutRun#settle}: flushed, no compaction running or owed),
 * after the last create minus before the first (RocksDB's write-ahead log and the flushed tables of the branch and
 * catalog records), and the sum of the
 * new timelines' own bytes.
 */
record ManyBranchesStep(E2eSettings s, Path work) {
    /** What the run gave. */
    record Result(
            Dataset.Ready dataset,
            List<Double> createMs,
            long storeBytesBefore,
            long storeBytesAdded,
            long timelineBytesAdded,
            double seconds) {

        static final int WINDOW = 100;

        double firstP50() {
            return Stats.percentile(createMs.subList(0, Math.min(WINDOW, createMs.size())), 50);
        }

        double lastP50() {
            return Stats.percentile(createMs.subList(Math.max(0, createMs.size() - WINDOW), createMs.size()), 50);
        }

        double ratio() {
            return lastP50() / firstP50();
        }
    }

    /** Creates before the measured ones, not counted: the first creates of a JVM pay for its JIT. */
    static final int WARMUP = 100;

    Result run(Dataset.Ready d) {
        List<Double> ms = new ArrayList<>(s.manyBranches());
        try (SproutRun r = SproutRun.open(d, work)) {
            int port = r.stack.pageserver.httpPort();
            String token = r.stack.pageserver.credentials().admin().value();
            CurlCreates.keptConnection(port, token, CopyStep.names("mw-", WARMUP), n -> {});
            r.settle();
            BenchEnv.settleDisk();
            long before = r.storeBytes();
            long t = System.nanoTime();
            ms.addAll(CurlCreates.keptConnection(port, token, CopyStep.names("m-", s.manyBranches()), n -> {
                if (n % 100 == 0 || n == s.manyBranches()) {
                    BenchEnv.log(
                            "  many branches: %d/%d, %.0f s so far",
                            n, s.manyBranches(), (System.nanoTime() - t) / 1e9);
                }
            }));
            double seconds = (System.nanoTime() - t) / 1e9;
            r.settle();
            long added = r.storeBytes() - before;
            long timelines = 0;
            for (int i = 1; i <= s.manyBranches(); i++) {
                timelines += r.stack.control.get("m-" + i).timeline().physicalBytes();
            }
            return new Result(d, ms, before, added, timelines, seconds);
        }
    }
}
