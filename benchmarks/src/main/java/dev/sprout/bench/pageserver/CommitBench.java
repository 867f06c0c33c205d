package dev.sprout.bench.pageserver;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.sprout.bench.kit.Fmt;
import dev.sprout.bench.kit.Report;
import dev.sprout.bench.kit.Table;
import dev.sprout.bench.pageserver.floor.DiskSync;
import dev.sprout.bench.pageserver.measure.ClosedLoop;
import dev.sprout.bench.pageserver.measure.Latency;
import dev.sprout.bench.pageserver.measure.MachineLoad;
import dev.sprout.bench.pageserver.measure.Measured;
import dev.sprout.bench.pageserver.measure.Probe;
import dev.sprout.bench.pageserver.measure.ThreadLoop;
import dev.sprout.bench.pageserver.server.Management;
import dev.sprout.bench.pageserver.server.ServerUnderTest;
import dev.sprout.bench.storage.dataset.PageImages;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.http.client.ApiClient;
import dev.sprout.protocol.client.AttachMode;
import dev.sprout.protocol.client.ClientOptions;
import dev.sprout.protocol.client.PageClient;
import dev.sprout.protocol.client.PageSession;
import dev.sprout.protocol.v1.PageWrite;
import dev.sprout.protocol.v1.Resize;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.StoreOptions;
import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.page.Pages;
import dev.sprout.storage.timeline.TimelineId;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Synced commits through the page service next to {@code PageStore.commit} and the disk's own synced append,
 * in one run.
 *
 * <p>Each committer has its own timeline (one writer per timeline), its own connection and session (network)
 * or thread (in-process), and a file of {@value #FILE_BLOCKS} blocks; it commits 1 or 8 pages at a time, one
 * commit after another, cycling over the file's blocks. Rows: 1 committer with 1 page and with 8 pages per
 * commit, then 4 and 16 committers with 1 page; each shape runs in-process and then through the pageserver,
 * seconds apart, because this disk's sync latency drifts. Both stores are new and empty, in the benchmark
 * directory, open at the same time, with the default (synced) options. The WAL syncs that carried the commits of each window come from
 * {@code PageStore.commitStats()} (the pageserver's {@code /metrics} when it runs in a child JVM): commits per
 * sync above 1 is group commit at work.
 */
final class CommitBench {
    static final int FILE_BLOCKS = 128;
    static final int MAX_COMMITTERS = 16;
    private static final int[][] SHAPES = {{1, 1}, {1, 8}, {4, 1}, {16, 1}}; // committers, pages per commit
    private static final int POOL = 64;

    record Row(String where, int committers, int pages, Measured m) {}

    private final Settings settings;
    private final List<Row> rows = new ArrayList<>();
    private final byte[][] images = new PageImages(31).pool(POOL);

    CommitBench(Settings settings) {
        this.settings = settings;
    }

    void run(Report report) {
        Probe cpuHere = () -> MachineLoad.read(OptionalLong.empty());
        row("disk", 1, 1, () -> DiskSync.measure(settings.row(), cpuHere));
        Path storeDir = BenchEnv.newWorkDir("commit-in-process");
        Path serverDir = BenchEnv.newWorkDir("commit-pageserver");
        List<PageClient> clients = new ArrayList<>();
        try (PageStore store = PageStore.open(StoreOptions.defaults(storeDir));
                ServerUnderTest server = ServerUnderTest.start(
                        settings.server(), serverDir, GetPagesBench.PAGE_CACHE_ON, settings.out())) {
            try {
                InProcess local = new InProcess(store);
                Network remote = new Network(server, clients);
                Probe localProbe = cpuHere.and(() -> stats(store.commitStats()));
                Probe remoteProbe =
                        ((Probe) () -> MachineLoad.read(server.childPid())).and(() -> stats(server.commitStats()));
                // Each shape in-process, then through the pageserver, a few seconds apart: the disk drifts.
                for (int[] shape : SHAPES) {
                    int committers = shape[0];
                    int pages = shape[1];
                    row(
                            "in-process",
                            committers,
                            pages,
                            () -> ThreadLoop.run(
                                    "commit", committers, 1, settings.row(), localProbe, t -> local.commit(t, pages)));
                    row(
                            "pageserver",
                            committers,
                            pages,
                            () -> ClosedLoop.run(
                                    committers, 1, settings.row(), remoteProbe, c -> remote.commit(c, pages)));
                }
            } finally {
                clients.forEach(PageClient::close); // before the server, which would otherwise make them reconnect
            }
        } finally {
            BenchEnv.deleteTree(storeDir);
            BenchEnv.deleteTree(serverDir);
        }
        row("disk", 1, 1, () -> DiskSync.measure(settings.row(), cpuHere));
        report(report);
    }

    /** Committers calling {@code PageStore.commit} on their own timelines. */
    private final class InProcess {
        final PageStore store;
        final TimelineId[] timelines = new TimelineId[MAX_COMMITTERS];
        final long[] files = new long[MAX_COMMITTERS];
        final int[] next = new int[MAX_COMMITTERS];

        InProcess(PageStore store) {
            this.store = store;
            for (int c = 0; c < MAX_COMMITTERS; c++) {
                timelines[c] = TimelineId.random();
                store.createRoot(timelines[c], 0, 0);
                files[c] = store.create(timelines[c], "/data", 0600, 0, 0).fileId();
                store.commit(new PageBatch(timelines[c]).resize(files[c], (long) FILE_BLOCKS * Pages.PAGE_SIZE));
            }
        }

        void commit(int c, int pages) {
            PageBatch batch = new PageBatch(timelines[c]);
            for (int p = 0; p < pages; p++) {
                int n = next[c]++;
                batch.write(files[c], n % FILE_BLOCKS, images[n % POOL]);
            }
            store.commit(batch);
        }
    }

    /** Committers with a connection, a session and a root timeline each, made through the management API. */
    private final class Network {
        final PageSession[] sessions = new PageSession[MAX_COMMITTERS];
        final long[] files = new long[MAX_COMMITTERS];
        final int[] next = new int[MAX_COMMITTERS];
        final ByteString[] data = new ByteString[POOL];

        Network(ServerUnderTest server, List<PageClient> clients) {
            try (ApiClient api = Management.client(server)) {
                for (int c = 0; c < MAX_COMMITTERS; c++) {
                    String timeline = Management.createRoot(api);
                    PageClient client = PageClient.connect(ClientOptions.defaults("127.0.0.1", server.pagePort())
                            .withCredential(server.credentials().pageService().value()));
                    clients.add(client);
                    sessions[c] = client.attach(timeline, AttachMode.takeOver()).join();
                    files[c] = sessions[c].create("/data", 0600, 0, 0).join().fileId();
                    sessions[c]
                            .commit(
                                    List.of(),
                                    List.of(Resize.newBuilder()
                                            .setFileId(files[c])
                                            .setSize((long) FILE_BLOCKS * Pages.PAGE_SIZE)
                                            .build()))
                            .join();
                }
            }
            for (int i = 0; i < POOL; i++) {
                data[i] = UnsafeByteOperations.unsafeWrap(images[i]);
            }
        }

        CompletableFuture<Long> commit(int c, int pages) {
            List<PageWrite> writes = new ArrayList<>(pages);
            for (int p = 0; p < pages; p++) {
                int n = next[c]++;
                writes.add(PageWrite.newBuilder()
                        .setFileId(files[c])
                        .setBlock(n % FILE_BLOCKS)
                        .setData(data[n % POOL])
                        .build());
            }
            return sessions[c].commit(writes, List.of());
        }
    }

    private static Map<String, Long> stats(PageStore.CommitStats s) {
        return Map.of("commits", s.commits(), "walWrites", s.writes());
    }

    private void row(String where, int committers, int pages, Supplier<Measured> run) {
        Measured m = run.get();
        rows.add(new Row(where, committers, pages, m));
        Latency l = m.latency();
        BenchEnv.log(
                "commit: %-10s %2d committer(s) x %d page(s): %,8.0f commits/s, p50 %s µs, p99 %s µs, %s commits per WAL sync, others' CPU %s (%,d samples)",
                where,
                committers,
                pages,
                m.unitsPerSecond(),
                Fmt.us(l.p50()),
                Fmt.us(l.p99()),
                perSync(m),
                Fmt.share(MachineLoad.othersShare(m)),
                l.count());
    }

    private static String perSync(Measured m) {
        if (m.counter("walWrites").isEmpty() || m.counter("walWrites").getAsLong() == 0) {
            return "–";
        }
        return Fmt.dec(
                m.counter("commits").getAsLong()
                        / (double) m.counter("walWrites").getAsLong(),
                2);
    }

    private void report(Report report) {
        StringBuilder s = new StringBuilder("#### Commit\n\n");
        double diskP50 = rows.stream()
                .filter(r -> r.where().equals("disk"))
                .mapToDouble(r -> r.m().latency().p50())
                .average()
                .orElse(Double.NaN);
        Table t = new Table(
                "where",
                "committers>",
                "pages/commit>",
                "commits>",
                "commits/s>",
                "mean µs>",
                "p50 µs>",
                "p90 µs>",
                "p99 µs>",
                "p99.9 µs>",
                "WAL syncs>",
                "commits per sync>",
                "p50 ÷ disk sync p50>",
                "others' CPU>");
        for (Row r : rows) {
            Latency l = r.m().latency();
            boolean disk = r.where().equals("disk");
            t.row(
                    disk ? "disk: append 8 KiB + fdatasync" : r.where(),
                    disk ? "–" : r.committers(),
                    disk ? "–" : r.pages(),
                    Fmt.count(l.count()),
                    Fmt.rate(r.m().unitsPerSecond()),
                    Fmt.us(l.mean()),
                    Fmt.us(l.p50()),
                    Fmt.us(l.p90()),
                    Fmt.us(l.p99()),
                    Fmt.us(l.p999()),
                    r.m().counter("walWrites").isPresent()
                            ? Fmt.count(r.m().counter("walWrites").getAsLong())
                            : "–",
                    perSync(r.m()),
                    Fmt.ratio(l.p50() / diskP50),
                    Fmt.share(MachineLoad.othersShare(r.m())));
        }
        s.append(t.render()).append('\n');
        Table ratios = new Table(
                "committers>",
                "pages/commit>",
                "commits/s: pageserver ÷ in-process>",
                "p50: pageserver ÷ in-process>",
                "p99: pageserver ÷ in-process>",
                "p50 added by the network µs>");
        for (Row n : rows) {
            if (!n.where().equals("pageserver")) {
                continue;
            }
            rows.stream()
                    .filter(r -> r.where().equals("in-process")
                            && r.committers() == n.committers()
                            && r.pages() == n.pages())
                    .findFirst()
                    .ifPresent(b -> ratios.row(
                            n.committers(),
                            n.pages(),
                            Fmt.ratio(n.m().unitsPerSecond() / b.m().unitsPerSecond()),
                            Fmt.ratio(n.m().latency().p50()
                                    / (double) b.m().latency().p50()),
                            Fmt.ratio(n.m().latency().p99()
                                    / (double) b.m().latency().p99()),
                            Fmt.us(n.m().latency().p50() - b.m().latency().p50())));
        }
        s.append("Pageserver against in-process, same committers and pages:\n\n")
                .append(ratios.render());
        report.section(s.toString());
    }
}
