package dev.sprout.bench.pageserver;

import dev.sprout.bench.kit.Fmt;
import dev.sprout.bench.kit.Report;
import dev.sprout.bench.kit.Table;
import dev.sprout.bench.pageserver.floor.DiskSync;
import dev.sprout.bench.pageserver.measure.Latency;
import dev.sprout.bench.pageserver.measure.MachineLoad;
import dev.sprout.bench.pageserver.measure.Measured;
import dev.sprout.bench.pageserver.measure.Recorder;
import dev.sprout.bench.pageserver.server.Management;
import dev.sprout.bench.pageserver.server.RawHttpClient;
import dev.sprout.bench.pageserver.server.ServerUnderTest;
import dev.sprout.bench.storage.dataset.Dataset;
import dev.sprout.bench.storage.dataset.DatasetStore;
import dev.sprout.bench.storage.dataset.PreparedDataset;
import dev.sprout.bench.storage.dataset.StoreClone;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.http.ApiRequest;
import dev.sprout.http.ApiResponse;
import dev.sprout.http.client.ApiClient;
import dev.sprout.pageserver.http.ManagementApi;
import dev.sprout.pageserver.http.TimelineEvents;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.StoreOptions;
import dev.sprout.storage.timeline.TimelineId;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Branch creation through the management API next to {@code PageStore.branch}, on the 10 GiB parent of the
 * {@code 10gib} dataset, in one run.
 *
 * <p>Each API creation is {@code POST /v1/timelines {"parentId": …}} (a branch at the parent's head), timed
 * end to end with {@link java.net.http.HttpClient} on a kept-alive HTTP/1.1 connection, from the call until
 * the whole 201 answer has been received, after {@code GET /healthz} calls that warm the client up (the JDK
 * client's own code runs several times slower until the JIT has compiled it) and the warm-up creations.
 * Diagnostics split the figure: the same requests from a blocking-socket client (what the JDK client's
 * threads add) and {@code ManagementApi.handle} called in-process (what the API adds to the engine's branch
 * without HTTP). The pageserver's data directory is a hard-link clone of the dataset,
 * deleted afterwards; every branch is deleted again before the server stops (the deletions are timed too),
 * and the timeline count is checked to be back to what it was. The in-process baseline creates and deletes
 * the same number of branches with {@code PageStore.branch} on the same clone, before and after the server
 * runs; the disk's synced 8 KiB append is measured in the same run (a branch is one synced record).
 */
final class BranchBench {
    record Row(String what, Latency latency, OptionalDouble othersCpu) {}

    private final Settings settings;
    private final List<Row> rows = new ArrayList<>();
    private double parentGiB;

    BranchBench(Settings settings) {
        this.settings = settings;
    }

    void run(Report report) {
        PreparedDataset ds = DatasetStore.prepare(Dataset.BRANCH_10GIB);
        Path dir = StoreClone.cloneDirectory(ds);
        String parent = ds.timeline().toString();
        String body = "{\"parentId\": \"" + parent + "\"}";
        try {
            Measured disk = DiskSync.measure(settings.row(), () -> MachineLoad.read(OptionalLong.empty()));
            add("disk: append 8 KiB + fdatasync", disk.latency(), MachineLoad.othersShare(disk));
            inProcess(dir, ds.timeline(), body, "before");
            try (ServerUnderTest server =
                            ServerUnderTest.start(settings.server(), dir, GetPagesBench.PAGE_CACHE_ON, settings.out());
                    ApiClient api = Management.client(server);
                    RawHttpClient raw = new RawHttpClient(
                            "127.0.0.1",
                            server.httpPort(),
                            server.credentials().admin().value())) {
                IntSupplier count = () -> Management.timelines(api);
                for (int i = 0; i < settings.clientWarmup(); i++) {
                    api.get("/healthz"); // the JDK client's own code gets compiled too
                }
                Timed t = branches(
                        count,
                        i -> api.send("POST", "/v1/timelines", body).body(),
                        id -> api.send("DELETE", "/v1/timelines/" + id, null),
                        server.childPid(),
                        true);
                add("pageserver `POST /v1/timelines`, end to end", t.create(), t.createCpu());
                add("pageserver `DELETE /v1/timelines/{id}`, end to end", t.delete(), OptionalDouble.empty());

                // Diagnostic: the same creations and deletions with a blocking socket instead of the JDK client.
                for (int i = 0; i < settings.clientWarmup(); i++) {
                    raw.get("/healthz");
                }
                t = branches(
                        count,
                        i -> raw.expect(raw.post("/v1/timelines", body), 201),
                        id -> raw.expect(raw.delete("/v1/timelines/" + id), 200),
                        server.childPid(),
                        false);
                add("diagnostic: `POST` with a blocking-socket client", t.create(), t.createCpu());
                add("diagnostic: `DELETE` with a blocking-socket client", t.delete(), OptionalDouble.empty());
            }
            inProcess(dir, ds.timeline(), body, "after");
        } finally {
            BenchEnv.deleteTree(dir);
        }
        report(report);
    }

    private void inProcess(Path dir, TimelineId parent, String body, String when) {
        try (PageStore store = PageStore.open(StoreOptions.defaults(dir))) {
            parentGiB = store.timeline(parent).logicalBytes() / (double) (1L << 30);
            long lsn = store.timeline(parent).lastLsn();
            IntSupplier count = () -> store.timelines().size();
            List<TimelineId> ids = Stream.generate(TimelineId::random)
                    .limit(settings.branchWarmup() + settings.branches())
                    .toList();
            Map<String, TimelineId> byText = ids.stream().collect(Collectors.toMap(TimelineId::toString, id -> id));
            Timed t = branches(
                    count,
                    i -> {
                        store.branch(ids.get(i), parent, lsn);
                        return ids.get(i).toString();
                    },
                    id -> store.deleteTimeline(byText.get(id)),
                    OptionalLong.empty(),
                    false);
            add("in-process `PageStore.branch`, " + when, t.create(), t.createCpu());
            add("in-process `PageStore.deleteTimeline`, " + when, t.delete(), OptionalDouble.empty());

            // Diagnostic: the management API's own work for the same request, called in-process on the same store
            // (ManagementApi.handle: parse the JSON, branch, describe the timeline, print the JSON), without HTTP.
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            try {
                ManagementApi api = new ManagementApi(store, registry, TimelineEvents.NONE);
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                t = branches(
                        count,
                        i -> expect(api.handle(new ApiRequest("POST", "/v1/timelines", Map.of(), bytes)), 201),
                        id -> expect(api.handle(ApiRequest.of("DELETE", "/v1/timelines/" + id)), 200),
                        OptionalLong.empty(),
                        false);
                add(
                        "diagnostic: in-process `ManagementApi.handle` (no HTTP), " + when,
                        t.create(),
                        OptionalDouble.empty());
            } finally {
                registry.close();
            }
        }
    }

    private record Timed(Latency create, Latency delete, OptionalDouble createCpu) {}

    /**
     * Creates the warm-up and the measured branches one after the other ({@code create} answers the JSON of the new
     * timeline, or its id), timing each measured one and the machine's CPU over them; then deletes them all, each
     * timed, and checks that the timeline {@code count} is back to what it was.
     */
    private Timed branches(
            IntSupplier count,
            IntFunction<String> create,
            Consumer<String> delete,
            OptionalLong serverPid,
            boolean progress) {
        int before = count.getAsInt();
        int total = settings.branchWarmup() + settings.branches();
        List<String> made = new ArrayList<>();
        Recorder creates = new Recorder();
        Map<String, Long> cpu = MachineLoad.read(serverPid);
        for (int i = 0; i < total; i++) {
            long started = System.nanoTime();
            String answer = create.apply(i);
            long took = System.nanoTime() - started;
            if (i >= settings.branchWarmup()) {
                creates.add(took);
            }
            made.add(answer.startsWith("{") ? Management.timelineId(answer) : answer);
            if (progress && (i + 1) % 250 == 0) {
                BenchEnv.log("branch: %,d of %,d created through the API", i + 1, total);
            }
        }
        OptionalDouble createCpu = MachineLoad.othersShare(cpu, MachineLoad.read(serverPid));
        Recorder deletes = new Recorder();
        for (String id : made) {
            long started = System.nanoTime();
            delete.accept(id);
            deletes.add(System.nanoTime() - started);
        }
        if (count.getAsInt() != before) {
            throw new IllegalStateException(
                    count.getAsInt() + " timelines after deleting the branches, " + before + " before");
        }
        return new Timed(creates.summary(), deletes.summary(), createCpu);
    }

    private static String expect(ApiResponse r, int status) {
        if (r.status() != status) {
            throw new IllegalStateException("ManagementApi answered " + r.status() + ": " + r.bodyText());
        }
        return r.bodyText();
    }

    private void add(String what, Latency l, OptionalDouble othersCpu) {
        rows.add(new Row(what, l, othersCpu));
        BenchEnv.log(
                "branch: %-55s p50 %s µs, p99 %s µs, max %s µs, others' CPU %s (%,d samples)",
                what, Fmt.us(l.p50()), Fmt.us(l.p99()), Fmt.us(l.max()), Fmt.share(othersCpu), l.count());
    }

    private void report(Report report) {
        StringBuilder s = new StringBuilder("#### Branch creation\n\n");
        s.append(String.format(
                java.util.Locale.ROOT,
                "Parent: the `10gib` dataset's timeline, %.2f GiB of pages (logical size).%n%n",
                parentGiB));
        Table t = new Table(
                "what",
                "samples>",
                "mean µs>",
                "p50 µs>",
                "p90 µs>",
                "p99 µs>",
                "p99.9 µs>",
                "max µs>",
                "others' CPU>");
        for (Row r : rows) {
            Latency l = r.latency();
            t.row(
                    r.what(),
                    Fmt.count(l.count()),
                    Fmt.us(l.mean()),
                    Fmt.us(l.p50()),
                    Fmt.us(l.p90()),
                    Fmt.us(l.p99()),
                    Fmt.us(l.p999()),
                    Fmt.us(l.max()),
                    Fmt.share(r.othersCpu()));
        }
        s.append(t.render()).append('\n');
        Latency api = latency("pageserver `POST");
        double inP50 = rows.stream()
                .filter(r -> r.what().startsWith("in-process `PageStore.branch`"))
                .mapToDouble(r -> r.latency().p50())
                .average()
                .orElse(Double.NaN);
        double inP99 = rows.stream()
                .filter(r -> r.what().startsWith("in-process `PageStore.branch`"))
                .mapToDouble(r -> r.latency().p99())
                .average()
                .orElse(Double.NaN);
        double diskP50 = latency("disk").p50();
        s.append(String.format(
                java.util.Locale.ROOT,
                "API ÷ in-process `PageStore.branch` (mean of before and after): p50 %s (%s µs added), p99 %s. API p50 ÷ disk sync p50: %s.%n",
                Fmt.ratio(api.p50() / inP50),
                Fmt.us(api.p50() - inP50),
                Fmt.ratio(api.p99() / inP99),
                Fmt.ratio(api.p50() / diskP50)));
        report.section(s.toString());
        report.goal(
                String.format(
                        java.util.Locale.ROOT,
                        "branch creation through the API p99 <= 10 ms end to end (%.0f GiB parent)",
                        parentGiB),
                Fmt.us(api.p99()) + " µs (p50 " + Fmt.us(api.p50()) + " µs; in-process p99 " + Fmt.us(inP99) + " µs)",
                api.p99() <= 10_000_000);
    }

    private Latency latency(String prefix) {
        return rows.stream()
                .filter(r -> r.what().startsWith(prefix))
                .findFirst()
                .map(Row::latency)
                .orElse(Latency.EMPTY);
    }
}
