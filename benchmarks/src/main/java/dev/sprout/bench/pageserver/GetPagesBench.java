package dev.sprout.bench.pageserver;

import dev.sprout.bench.kit.Fmt;
import dev.sprout.bench.kit.Report;
import dev.sprout.bench.kit.Table;
import dev.sprout.bench.pageserver.floor.LoopbackEcho;
import dev.sprout.bench.pageserver.measure.ClosedLoop;
import dev.sprout.bench.pageserver.measure.Latency;
import dev.sprout.bench.pageserver.measure.MachineLoad;
import dev.sprout.bench.pageserver.measure.Measured;
import dev.sprout.bench.pageserver.measure.Probe;
import dev.sprout.bench.pageserver.measure.ThreadLoop;
import dev.sprout.bench.pageserver.server.Management;
import dev.sprout.bench.pageserver.server.ServerUnderTest;
import dev.sprout.bench.storage.dataset.Dataset;
import dev.sprout.bench.storage.dataset.DatasetStore;
import dev.sprout.bench.storage.dataset.PreparedDataset;
import dev.sprout.bench.storage.dataset.StoreClone;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.http.client.ApiClient;
import dev.sprout.protocol.client.AttachMode;
import dev.sprout.protocol.client.ClientOptions;
import dev.sprout.protocol.client.PageClient;
import dev.sprout.protocol.client.PageResult;
import dev.sprout.protocol.client.PageSession;
import dev.sprout.protocol.client.PagesRead;
import dev.sprout.protocol.v1.PageRef;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.StoreOptions;
import dev.sprout.storage.page.PageRead;
import dev.sprout.storage.page.Pages;
import dev.sprout.storage.timeline.TimelineId;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * GetPages over loopback next to {@code PageStore.readPage} on the same data, in one run.
 *
 * <p>Data: the first file (a 1 GiB segment, 131,072 blocks) of the {@code 10gib} dataset, on a hard-link clone
 * that is the pageserver's data directory. Before anything is measured every block is read once, so that the
 * SST files holding the file are in the OS page cache: reads then cost the engine's work (RocksDB block cache
 * of 256 MiB, LZ4, the OS cache for the rest) but no disk I/O, which each row checks ({@code /proc/<pid>/io}).
 * Two sets of blocks: the whole file, uniformly ({@code uniform}), and its first {@value #HOT_BLOCKS} blocks
 * ({@code hot}, 128 MiB of images, which fit the pageserver's default 256 MiB page cache).
 *
 * <p>Order: the loopback floor; the in-process baseline (1 and 2 threads); the pageserver with its page cache
 * off (every read reaches the engine: the apples-to-apples case) at pipeline depths 1, 16 and 64, plus
 * batched requests; the pageserver with its page cache on (hot set, pre-read once: the cache-hit path); the
 * in-process baseline again. Ratios use the mean of the two baselines, so drift during the run shows as the
 * difference between them.
 */
final class GetPagesBench {
    /** 128 MiB of images: fits the default page cache (256 MiB, about 8.3 KiB charged per page). */
    static final int HOT_BLOCKS = 16_384;

    static final int BATCH = 16;
    static final long PAGE_CACHE_ON = 256L << 20;
    private static final int WARM_BATCH = 256;

    /** One measured row. {@code where}: in-process, pageserver or floor. */
    record Row(String where, String set, String cache, int depth, int pagesPerRequest, String note, Measured m) {}

    private final Settings settings;
    private final List<Row> rows = new ArrayList<>();
    private String uniform;
    private String hot;

    GetPagesBench(Settings settings) {
        this.settings = settings;
    }

    void run(Report report) {
        PreparedDataset ds = DatasetStore.prepare(Dataset.BRANCH_10GIB);
        Path dir = StoreClone.cloneDirectory(ds);
        try {
            measure(ds, dir);
        } finally {
            BenchEnv.deleteTree(dir);
        }
        report(report);
    }

    private void measure(PreparedDataset ds, Path dir) {
        TimelineId timeline = ds.timeline();
        long file = ds.file(0);
        int blocks = ds.shape().blocksPerFile();
        int hotBlocks = Math.min(HOT_BLOCKS, blocks / 4);
        uniform = size(blocks) + " uniform";
        hot = size(hotBlocks) + " hot set";
        BenchEnv.log(
                "getpages: file %d of dataset %s (%,d blocks, %s of images) on a clone in %s",
                file, ds.dataset().dirName(), blocks, size(blocks), dir);

        row(
                "floor",
                "–",
                "–",
                1,
                1,
                "loopback TCP round trip, 40 B → 8 KiB, blocking sockets",
                () -> LoopbackEcho.measure(settings.row()));

        long lsn = inProcess(dir, timeline, file, blocks, hotBlocks, "before", true);

        try (ServerUnderTest server = ServerUnderTest.start(settings.server(), dir, 0, settings.out());
                ApiClient api = Management.client(server);
                PageClient client = PageClient.connect(ClientOptions.defaults("127.0.0.1", server.pagePort())
                        .withCredential(server.credentials().pageService().value()))) {
            PageSession s =
                    client.attach(timeline.toString(), AttachMode.head()).join();
            requireHead(s, lsn);
            Probe cpu = () -> MachineLoad.read(server.childPid());
            row(
                    "pageserver",
                    "–",
                    "off",
                    1,
                    0,
                    "Ping (answered on the event loop, no storage call)",
                    () -> ClosedLoop.run(
                            1, 0, settings.row(), cpu.and(() -> serverTime(api, "ping")), c -> client.ping()));
            Probe probe = cpu.and(() -> disk(server)).and(() -> serverTime(api, "get_pages"));
            network(s, uniform, "off", file, blocks, probe, true);
            network(s, hot, "off", file, hotBlocks, probe, false);
            saveMetrics(api, "getpages-cache-off");
        }

        try (ServerUnderTest server = ServerUnderTest.start(settings.server(), dir, PAGE_CACHE_ON, settings.out());
                ApiClient api = Management.client(server);
                PageClient client = PageClient.connect(ClientOptions.defaults("127.0.0.1", server.pagePort())
                        .withCredential(server.credentials().pageService().value()))) {
            PageSession s =
                    client.attach(timeline.toString(), AttachMode.head()).join();
            requireHead(s, lsn);
            long started = System.nanoTime();
            for (int first = 0; first < hotBlocks; first += 64) {
                List<PageRef> refs = new ArrayList<>();
                for (int b = first; b < Math.min(first + 64, hotBlocks); b++) {
                    refs.add(PageRef.newBuilder().setFileId(file).setBlock(b).build());
                }
                check(s.getPages(PageSession.SESSION_LSN, refs).join(), refs.size());
            }
            BenchEnv.log(
                    "getpages: %,d hot blocks read once into the page cache in %.1f s",
                    hotBlocks, (System.nanoTime() - started) / 1e9);
            Probe probe = ((Probe) () -> MachineLoad.read(server.childPid()))
                    .and(() -> disk(server))
                    .and(() -> serverTime(api, "get_pages"))
                    .and(() -> cacheCounters(api));
            network(s, hot, "on", file, hotBlocks, probe, true);
            saveMetrics(api, "getpages-cache-on");
        }

        inProcess(dir, timeline, file, blocks, hotBlocks, "after", false);
    }

    /** The in-process baseline on a store opened directly with the defaults (the pageserver's engine options). */
    private long inProcess(
            Path dir, TimelineId timeline, long file, int blocks, int hotBlocks, String when, boolean warm) {
        try (PageStore store = PageStore.open(StoreOptions.defaults(dir))) {
            long lsn = store.timeline(timeline).lastLsn();
            if (warm) {
                warmOsCache(store, timeline, lsn, file, blocks);
            }
            Probe probe = ((Probe) () -> MachineLoad.read(OptionalLong.empty()))
                    .and(() -> BenchEnv.storageReadBytes().isPresent()
                            ? Map.of("diskBytes", BenchEnv.storageReadBytes().getAsLong())
                            : Map.of());
            for (String set : List.of(uniform, hot)) {
                int range = set.equals(uniform) ? blocks : hotBlocks;
                for (int threads : new int[] {1, 2}) {
                    SplittableRandom[] random = randoms(threads, 11);
                    row(
                            "in-process",
                            set,
                            "–",
                            threads,
                            1,
                            "readPage, " + threads + (threads == 1 ? " thread, " : " threads, ") + when,
                            () -> ThreadLoop.run("read", threads, 1, settings.row(), probe, t -> {
                                if (!(store.readPage(timeline, lsn, file, random[t].nextInt(range))
                                        instanceof PageRead.Found)) {
                                    throw new IllegalStateException("a block of file " + file + " is absent");
                                }
                            }));
                }
                if (warm && set.equals(uniform)) {
                    // Diagnostic: the same read behind one hand-off to a pool thread and back, as the page service
                    // does.
                    ExecutorService pool = Executors.newFixedThreadPool(16);
                    try {
                        SplittableRandom random = new SplittableRandom(12);
                        row(
                                "in-process",
                                set,
                                "–",
                                1,
                                1,
                                "readPage on a 16-thread pool, caller waits (1 hand-off each way), " + when,
                                () -> ThreadLoop.run("read-pool", 1, 1, settings.row(), probe, t -> {
                                    int block = random.nextInt(range);
                                    if (!(pool.submit(() -> store.readPage(timeline, lsn, file, block))
                                                    .get()
                                            instanceof PageRead.Found)) {
                                        throw new IllegalStateException(
                                                "block " + block + " of file " + file + " is absent");
                                    }
                                }));
                    } finally {
                        pool.shutdown();
                    }
                }
            }
            return lsn;
        }
    }

    /** Every network variant on one set: depths 1 (callback and join), 16, 64, and batched requests. */
    private void network(PageSession s, String set, String cache, long file, int range, Probe probe, boolean all) {
        String server = "server " + settings.server().label();
        for (int depth : all ? new int[] {1, 16, 64} : new int[] {1, 64}) {
            SplittableRandom[] random = randoms(depth, 21);
            row(
                    "pageserver",
                    set,
                    cache,
                    depth,
                    1,
                    server,
                    () -> ClosedLoop.run(depth, 1, settings.row(), probe, c -> read(s, file, range, 1, random[c])));
            if (depth == 1 && all) {
                SplittableRandom r = new SplittableRandom(22);
                row(
                        "pageserver",
                        set,
                        cache,
                        1,
                        1,
                        server + "; caller thread joins each answer",
                        () -> ThreadLoop.run(
                                "join",
                                1,
                                1,
                                settings.row(),
                                probe,
                                t -> read(s, file, range, 1, r).join()));
            }
        }
        if (all) {
            for (int depth : new int[] {1, 4}) {
                SplittableRandom[] random = randoms(depth, 23);
                row(
                        "pageserver",
                        set,
                        cache,
                        depth,
                        BATCH,
                        server,
                        () -> ClosedLoop.run(
                                depth, BATCH, settings.row(), probe, c -> read(s, file, range, BATCH, random[c])));
            }
        }
    }

    private static CompletableFuture<Void> read(
            PageSession s, long file, int range, int pages, SplittableRandom random) {
        List<PageRef> refs = new ArrayList<>(pages);
        for (int i = 0; i < pages; i++) {
            refs.add(PageRef.newBuilder()
                    .setFileId(file)
                    .setBlock(random.nextInt(range))
                    .build());
        }
        return s.getPages(PageSession.SESSION_LSN, refs).thenAccept(r -> check(r, pages));
    }

    private static void check(PagesRead read, int pages) {
        for (PageResult p : read.pages()) {
            if (!(p instanceof PageResult.Found f) || f.data().size() != Pages.PAGE_SIZE) {
                throw new IllegalStateException("GetPages answered " + p + " for a block that holds a page");
            }
        }
        if (read.pages().size() != pages) {
            throw new IllegalStateException("GetPages answered " + read.pages().size() + " pages for " + pages);
        }
    }

    private static void requireHead(PageSession s, long lsn) {
        if (s.lastLsnAtAttach() != lsn) {
            throw new IllegalStateException(
                    "the pageserver's head of the timeline is LSN " + s.lastLsnAtAttach() + ", the store's was " + lsn);
        }
    }

    private void warmOsCache(PageStore store, TimelineId timeline, long lsn, long file, int blocks) {
        long before = BenchEnv.storageReadBytes().orElse(0);
        long started = System.nanoTime();
        for (int first = 0; first < blocks; first += WARM_BATCH) {
            List<dev.sprout.storage.page.PageRef> refs = new ArrayList<>();
            for (int b = first; b < Math.min(first + WARM_BATCH, blocks); b++) {
                refs.add(new dev.sprout.storage.page.PageRef(file, b));
            }
            for (PageRead r : store.readPages(timeline, lsn, refs)) {
                if (!(r instanceof PageRead.Found)) {
                    throw new IllegalStateException(
                            "a block of file " + file + " in [" + first + ", " + (first + WARM_BATCH) + ") is absent");
                }
            }
        }
        BenchEnv.log(
                "getpages: read all %,d blocks once in %.1f s to fill the OS page cache (%.0f MiB came from the disk)",
                blocks,
                (System.nanoTime() - started) / 1e9,
                (BenchEnv.storageReadBytes().orElse(0) - before) / (double) (1 << 20));
    }

    /** Arrival-to-answer time the server itself measured for {@code op} (its Micrometer timer's sum and count). */
    private static Map<String, Long> serverTime(ApiClient api, String op) {
        double seconds = 0;
        long count = 0;
        for (var e : Management.metrics(
                        api, "sprout_page_service_requests_seconds_sum", "sprout_page_service_requests_seconds_count")
                .entrySet()) {
            if (!e.getKey().contains("op=\"" + op + "\"")) {
                continue;
            }
            if (e.getKey().startsWith("sprout_page_service_requests_seconds_sum")) {
                seconds += e.getValue();
            } else {
                count += e.getValue().longValue();
            }
        }
        return Map.of("serverNanos", Math.round(seconds * 1e9), "serverCount", count);
    }

    private void saveMetrics(ApiClient api, String name) {
        try {
            java.nio.file.Files.writeString(settings.out().resolve(name + ".metrics.txt"), api.get("/metrics"));
        } catch (java.io.IOException e) {
            BenchEnv.log("cannot save the metrics of %s: %s", name, e);
        }
    }

    private static Map<String, Long> disk(ServerUnderTest server) {
        return server.diskReadBytes().isPresent()
                ? Map.of("diskBytes", server.diskReadBytes().getAsLong())
                : Map.of();
    }

    /** Hits and misses of the page cache, from the Caffeine meters in /metrics. */
    private static Map<String, Long> cacheCounters(ApiClient api) {
        long hits = 0;
        long misses = 0;
        for (var e : Management.metrics(api, "cache_gets_total").entrySet()) {
            if (!e.getKey().contains("sprout.page.cache")) {
                continue;
            }
            if (e.getKey().contains("result=\"hit\"")) {
                hits += e.getValue().longValue();
            } else if (e.getKey().contains("result=\"miss\"")) {
                misses += e.getValue().longValue();
            }
        }
        return Map.of("cacheHits", hits, "cacheMisses", misses);
    }

    private static SplittableRandom[] randoms(int n, long seed) {
        SplittableRandom[] r = new SplittableRandom[n];
        SplittableRandom root = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            r[i] = root.split();
        }
        return r;
    }

    private void row(
            String where,
            String set,
            String cache,
            int depth,
            int pagesPerRequest,
            String note,
            Supplier<Measured> run) {
        Measured m = run.get();
        rows.add(new Row(where, set, cache, depth, pagesPerRequest, note, m));
        Latency l = m.latency();
        BenchEnv.log(
                "getpages: %-10s %-18s cache %-3s depth %2d x %2d pages: %,10.0f pages/s, %,9.0f req/s, p50 %s µs, p99 %s µs, server mean %s µs, others' CPU %s (%,d requests; %s)",
                where,
                set,
                cache,
                depth,
                pagesPerRequest,
                m.unitsPerSecond(),
                m.operationsPerSecond(),
                Fmt.us(l.p50()),
                Fmt.us(l.p99()),
                serverMean(m),
                Fmt.share(MachineLoad.othersShare(m)),
                l.count(),
                note);
    }

    // ---- report ------------------------------------------------------------------------------------------------

    private void report(Report report) {
        StringBuilder s = new StringBuilder("#### GetPages\n\n");
        Table t = new Table(
                "where",
                "blocks read",
                "page cache",
                "depth>",
                "pages/request>",
                "requests>",
                "pages/s>",
                "mean µs>",
                "p50 µs>",
                "p90 µs>",
                "p99 µs>",
                "p99.9 µs>",
                "server mean µs>",
                "disk B/page>",
                "others' CPU>",
                "notes");
        for (Row r : rows) {
            Latency l = r.m().latency();
            String disk = r.m().counter("diskBytes").isPresent() && r.m().units() > 0
                    ? Fmt.dec(r.m().counter("diskBytes").getAsLong() / (double) r.m().units(), 0)
                    : "–";
            String note = r.note();
            if (r.m().counter("cacheHits").isPresent()) {
                long h = r.m().counter("cacheHits").getAsLong();
                long miss = r.m().counter("cacheMisses").orElse(0);
                note += String.format(Locale.ROOT, "; page cache hits %.2f%%", 100.0 * h / Math.max(1, h + miss));
            }
            t.row(
                    r.where(),
                    r.set(),
                    r.cache(),
                    r.depth(),
                    r.pagesPerRequest() == 0 ? "–" : r.pagesPerRequest(),
                    Fmt.count(l.count()),
                    r.pagesPerRequest() == 0
                            ? Fmt.rate(r.m().operationsPerSecond()) + " req/s"
                            : Fmt.rate(r.m().unitsPerSecond()),
                    Fmt.us(l.mean()),
                    Fmt.us(l.p50()),
                    Fmt.us(l.p90()),
                    Fmt.us(l.p99()),
                    Fmt.us(l.p999()),
                    serverMean(r.m()),
                    disk,
                    Fmt.share(MachineLoad.othersShare(r.m())),
                    note);
        }
        s.append(t.render()).append('\n');

        Table ratios = new Table(
                "pageserver row",
                "depth>",
                "pages/request>",
                "pages/s>",
                "÷ in-process 1 thread>",
                "÷ in-process 2 threads>",
                "p50 ÷ in-process 1 thread p50>",
                "p99 ÷ in-process 1 thread p99>");
        for (Row r : rows) {
            if (!r.where().equals("pageserver") || r.pagesPerRequest() == 0) {
                continue;
            }
            Baseline b = baseline(r.set());
            ratios.row(
                    r.set() + ", cache " + r.cache() + (r.note().contains("joins") ? ", caller joins" : ""),
                    r.depth(),
                    r.pagesPerRequest(),
                    Fmt.rate(r.m().unitsPerSecond()),
                    Fmt.ratio(r.m().unitsPerSecond() / b.oneThread),
                    Fmt.ratio(r.m().unitsPerSecond() / b.twoThreads),
                    Fmt.ratio(r.m().latency().p50() / b.p50),
                    Fmt.ratio(r.m().latency().p99() / b.p99));
        }
        s.append(
                        "Pageserver rows against the in-process baseline on the same blocks (mean of the runs before and after):\n\n")
                .append(ratios.render());
        report.section(s.toString());

        for (String cache : List.of("off", "on")) {
            String set = cache.equals("off") ? uniform : hot;
            find(set, cache, 1, 1)
                    .ifPresent(r -> report.goal(
                            "GetPages p99 at depth 1 <= 500 µs, page cache " + cache + " (" + set + ")",
                            Fmt.us(r.m().latency().p99()) + " µs (p50 "
                                    + Fmt.us(r.m().latency().p50()) + " µs)",
                            r.m().latency().p99() <= 500_000));
            find(set, cache, 64, 1).ifPresent(r -> {
                Baseline b = baseline(set);
                double best = Math.max(b.oneThread, b.twoThreads);
                double share = r.m().unitsPerSecond() / best;
                report.goal(
                        "GetPages at depth 64 >= 50% of in-process pages/s, page cache " + cache + " (" + set + ")",
                        Fmt.percent(share) + " (" + Fmt.rate(r.m().unitsPerSecond()) + " of " + Fmt.rate(best)
                                + " pages/s in-process, " + (best == b.twoThreads ? "2 threads" : "1 thread") + ")",
                        share >= 0.5);
            });
        }
    }

    /** The server's own mean arrival-to-answer time over the window (includes requests that straddle its ends). */
    private static String serverMean(Measured m) {
        if (m.counter("serverCount").isEmpty() || m.counter("serverCount").getAsLong() == 0) {
            return "–";
        }
        return Fmt.us(m.counter("serverNanos").getAsLong()
                / (double) m.counter("serverCount").getAsLong());
    }

    private Optional<Row> find(String set, String cache, int depth, int pages) {
        return rows.stream()
                .filter(r -> r.where().equals("pageserver")
                        && r.set().equals(set)
                        && r.cache().equals(cache)
                        && r.depth() == depth
                        && r.pagesPerRequest() == pages
                        && !r.note().contains("joins"))
                .findFirst();
    }

    private record Baseline(double oneThread, double twoThreads, double p50, double p99) {}

    private Baseline baseline(String set) {
        List<Row> one = rows.stream()
                .filter(r -> r.where().equals("in-process")
                        && r.set().equals(set)
                        && r.depth() == 1
                        && r.note().startsWith("readPage, 1 thread"))
                .toList();
        List<Row> two = rows.stream()
                .filter(r -> r.where().equals("in-process") && r.set().equals(set) && r.depth() == 2)
                .toList();
        return new Baseline(
                one.stream().mapToDouble(r -> r.m().unitsPerSecond()).average().orElse(Double.NaN),
                two.stream().mapToDouble(r -> r.m().unitsPerSecond()).average().orElse(Double.NaN),
                one.stream().mapToDouble(r -> r.m().latency().p50()).average().orElse(Double.NaN),
                one.stream().mapToDouble(r -> r.m().latency().p99()).average().orElse(Double.NaN));
    }

    static String size(long blocks) {
        long bytes = blocks * Pages.PAGE_SIZE;
        return bytes >= (1L << 30) && bytes % (1L << 30) == 0 ? (bytes >> 30) + " GiB" : (bytes >> 20) + " MiB";
    }
}
