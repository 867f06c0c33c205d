package dev.sprout.bench.pageserver;

import dev.sprout.bench.kit.Fmt;
import dev.sprout.bench.kit.Report;
import dev.sprout.bench.kit.Table;
import dev.sprout.bench.pageserver.floor.DiskSync;
import dev.sprout.bench.pageserver.measure.Latency;
import dev.sprout.bench.pageserver.measure.MachineLoad;
import dev.sprout.bench.pageserver.measure.Measured;
import dev.sprout.bench.pageserver.measure.Recorder;
import dev.sprout.bench.pageserver.server.ManagementClient;
import dev.sprout.bench.pageserver.server.RawHttpClient;
import dev.sprout.bench.pageserver.server.ServerUnderTest;
import dev.sprout.bench.storage.dataset.Dataset;
import dev.sprout.bench.storage.dataset.DatasetStore;
import dev.sprout.bench.storage.dataset.PreparedDataset;
import dev.sprout.bench.storage.dataset.StoreClone;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.http.ApiRequest;
import dev.sprout.http.ApiResponse;
import dev.sprout.pageserver.http.ManagementApi;
import dev.sprout.pageserver.http.TimelineEvents;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.StoreOptions;
import dev.sprout.storage.timeline.TimelineId;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;

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
        try {
            Measured disk = DiskSync.measure(settings.row(), () -> MachineLoad.read(OptionalLong.empty()));
            add("disk: append 8 KiB + fdatasync", disk.latency(), MachineLoad.othersShare(disk));
            inProcess(dir, ds.timeline(), "before");
            try (ServerUnderTest server = ServerUnderTest.start(settings.server(), dir, GetPagesBench.PAGE_CACHE_ON, settings.out());
                 ManagementClient api = new ManagementClient("127.0.0.1", server.httpPort(), server.credentials().admin().value())) {
                network(api, ds.timeline().toString(), server.childPid());
                raw(server.httpPort(), server.credentials().admin().value(), ds.timeline().toString(), server.childPid(), api);
            }
            inProcess(dir, ds.timeline(), "after");
        } finally {
            BenchEnv.deleteTree(dir);
        }
        report(report);
    }

    private void inProcess(Path dir, TimelineId parent, String when) {
        try (PageStore store = PageStore.open(StoreOptions.defaults(dir))) {
            parentGiB = store.timeline(parent).logicalBytes() / (double) (1L << 30);
            long lsn = store.timeline(parent).lastLsn();
            int before = store.timelines().size();
            List<TimelineId> made = new ArrayList<>();
            Recorder create = new Recorder();
            Map<String, Long> cpu = MachineLoad.read(OptionalLong.empty());
            for (int i = 0; i < settings.branchWarmup() + settings.branches(); i++) {
                TimelineId id = TimelineId.random();
                long started = System.nanoTime();
                store.branch(id, parent, lsn);
                long took = System.nanoTime() - started;
                if (i >= settings.branchWarmup()) {
                    create.add(took);
                }
                made.add(id);
            }
            OptionalDouble createCpu = MachineLoad.othersShare(cpu, MachineLoad.read(OptionalLong.empty()));
            Recorder delete = new Recorder();
            for (TimelineId id : made) {
                long started = System.nanoTime();
                store.deleteTimeline(id);
                delete.add(System.nanoTime() - started);
            }
            requireCount(store.timelines().size(), before);
            add("in-process `PageStore.branch`, " + when, create.summary(), createCpu);
            add("in-process `PageStore.deleteTimeline`, " + when, delete.summary(), OptionalDouble.empty());
            api(store, parent, when);
        }
    }

    /**
     * Diagnostic: the management API's own work for the same request, called in-process on the same store
     * ({@code ManagementApi.handle}: parse the JSON, branch, describe the timeline, print the JSON), without HTTP.
     */
    private void api(PageStore store, TimelineId parent, String when) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try {
            ManagementApi api = new ManagementApi(store, registry, TimelineEvents.NONE);
            byte[] body = ManagementClient.branchRequest(parent.toString()).getBytes(StandardCharsets.UTF_8);
            int before = store.timelines().size();
            List<String> made = new ArrayList<>();
            Recorder create = new Recorder();
            for (int i = 0; i < settings.branchWarmup() + settings.branches(); i++) {
                long started = System.nanoTime();
                ApiResponse r = api.handle(new ApiRequest("POST", "/v1/timelines", Map.of(), body));
                long took = System.nanoTime() - started;
                if (r.status() != 201) {
                    throw new IllegalStateException("ManagementApi answered " + r.status() + ": " + r.bodyText());
                }
                if (i >= settings.branchWarmup()) {
                    create.add(took);
                }
                made.add(ManagementClient.timelineId(r.bodyText()));
            }
            for (String id : made) {
                ApiResponse r = api.handle(ApiRequest.of("DELETE", "/v1/timelines/" + id));
                if (r.status() != 200) {
                    throw new IllegalStateException("ManagementApi answered " + r.status() + " to DELETE: " + r.bodyText());
                }
            }
            requireCount(store.timelines().size(), before);
            add("diagnostic: in-process `ManagementApi.handle` (no HTTP), " + when, create.summary(), OptionalDouble.empty());
        } finally {
            registry.close();
        }
    }

    private void network(ManagementClient api, String parent, OptionalLong serverPid) {
        for (int i = 0; i < settings.clientWarmup(); i++) {
            ManagementClient.expect(api.get("/healthz"), 200); // the JDK client's own code gets compiled too
        }
        int before = countTimelines(api);
        String body = ManagementClient.branchRequest(parent);
        List<String> made = new ArrayList<>();
        Recorder create = new Recorder();
        Map<String, Long> cpu = MachineLoad.read(serverPid);
        for (int i = 0; i < settings.branchWarmup() + settings.branches(); i++) {
            long started = System.nanoTime();
            HttpResponse<String> r = api.post("/v1/timelines", body);
            long took = System.nanoTime() - started;
            ManagementClient.expect(r, 201);
            if (i >= settings.branchWarmup()) {
                create.add(took);
            }
            made.add(ManagementClient.timelineId(r));
            if ((i + 1) % 250 == 0) {
                BenchEnv.log("branch: %,d of %,d created through the API", i + 1, settings.branchWarmup() + settings.branches());
            }
        }
        OptionalDouble createCpu = MachineLoad.othersShare(cpu, MachineLoad.read(serverPid));
        Recorder delete = new Recorder();
        for (String id : made) {
            long started = System.nanoTime();
            HttpResponse<String> r = api.delete("/v1/timelines/" + id);
            delete.add(System.nanoTime() - started);
            ManagementClient.expect(r, 200);
        }
        requireCount(countTimelines(api), before);
        add("pageserver `POST /v1/timelines`, end to end", create.summary(), createCpu);
        add("pageserver `DELETE /v1/timelines/{id}`, end to end", delete.summary(), OptionalDouble.empty());
    }

    /** Diagnostic: the same creations and deletions with a blocking socket instead of the JDK client. */
    private void raw(int port, String token, String parent, OptionalLong serverPid, ManagementClient api) {
        int before = countTimelines(api);
        String body = ManagementClient.branchRequest(parent);
        List<String> made = new ArrayList<>();
        Recorder create = new Recorder();
        Map<String, Long> cpu = MachineLoad.read(serverPid);
        try (RawHttpClient raw = new RawHttpClient("127.0.0.1", port, token)) {
            for (int i = 0; i < settings.clientWarmup(); i++) {
                raw.get("/healthz");
            }
            for (int i = 0; i < settings.branchWarmup() + settings.branches(); i++) {
                long started = System.nanoTime();
                RawHttpClient.Answer r = raw.post("/v1/timelines", body);
                long took = System.nanoTime() - started;
                if (r.status() != 201) {
                    throw new IllegalStateException("POST /v1/timelines answered " + r.status() + ": " + r.body());
                }
                if (i >= settings.branchWarmup()) {
                    create.add(took);
                }
                made.add(ManagementClient.timelineId(r.body()));
            }
            OptionalDouble createCpu = MachineLoad.othersShare(cpu, MachineLoad.read(serverPid));
            Recorder delete = new Recorder();
            for (String id : made) {
                long started = System.nanoTime();
                RawHttpClient.Answer r = raw.delete("/v1/timelines/" + id);
                delete.add(System.nanoTime() - started);
                if (r.status() != 200) {
                    throw new IllegalStateException("DELETE /v1/timelines/" + id + " answered " + r.status() + ": " + r.body());
                }
            }
            requireCount(countTimelines(api), before);
            add("diagnostic: `POST` with a blocking-socket client", create.summary(), createCpu);
            add("diagnostic: `DELETE` with a blocking-socket client", delete.summary(), OptionalDouble.empty());
        }
    }

    private static int countTimelines(ManagementClient api) {
        String body = ManagementClient.expect(api.get("/v1/timelines"), 200).body();
        int n = 0;
        for (int at = body.indexOf("\"timelineId\""); at >= 0; at = body.indexOf("\"timelineId\"", at + 1)) {
            n++;
        }
        return n;
    }

    private static void requireCount(int now, int before) {
        if (now != before) {
            throw new IllegalStateException(now + " timelines after deleting the branches, " + before + " before");
        }
    }

    private void add(String what, Latency l, OptionalDouble othersCpu) {
        rows.add(new Row(what, l, othersCpu));
        BenchEnv.log("branch: %-55s p50 %s µs, p99 %s µs, max %s µs, others' CPU %s (%,d samples)", what, Fmt.us(l.p50()),
                Fmt.us(l.p99()), Fmt.us(l.max()), Fmt.share(othersCpu), l.count());
    }

    private void report(Report report) {
        StringBuilder s = new StringBuilder("#### Branch creation\n\n");
        s.append(String.format(java.util.Locale.ROOT, "Parent: the `10gib` dataset's timeline, %.2f GiB of pages (logical size).%n%n", parentGiB));
        Table t = new Table("what", "samples>", "mean µs>", "p50 µs>", "p90 µs>", "p99 µs>", "p99.9 µs>", "max µs>", "others' CPU>");
        for (Row r : rows) {
            Latency l = r.latency();
            t.row(r.what(), Fmt.count(l.count()), Fmt.us(l.mean()), Fmt.us(l.p50()), Fmt.us(l.p90()), Fmt.us(l.p99()),
                    Fmt.us(l.p999()), Fmt.us(l.max()), Fmt.share(r.othersCpu()));
        }
        s.append(t.render()).append('\n');
        Latency api = latency("pageserver `POST");
        double inP50 = rows.stream().filter(r -> r.what().startsWith("in-process `PageStore.branch`")).mapToDouble(r -> r.latency().p50()).average().orElse(Double.NaN);
        double inP99 = rows.stream().filter(r -> r.what().startsWith("in-process `PageStore.branch`")).mapToDouble(r -> r.latency().p99()).average().orElse(Double.NaN);
        double diskP50 = latency("disk").p50();
        s.append(String.format(java.util.Locale.ROOT,
                "API ÷ in-process `PageStore.branch` (mean of before and after): p50 %s (%s µs added), p99 %s. API p50 ÷ disk sync p50: %s.%n",
                Fmt.ratio(api.p50() / inP50), Fmt.us(api.p50() - inP50), Fmt.ratio(api.p99() / inP99), Fmt.ratio(api.p50() / diskP50)));
        report.section(s.toString());
        report.goal(String.format(java.util.Locale.ROOT, "branch creation through the API p99 <= 10 ms end to end (%.0f GiB parent)", parentGiB),
                Fmt.us(api.p99()) + " µs (p50 " + Fmt.us(api.p50()) + " µs; in-process p99 " + Fmt.us(inP99) + " µs)",
                api.p99() <= 10_000_000);
    }

    private Latency latency(String prefix) {
        return rows.stream().filter(r -> r.what().startsWith(prefix)).findFirst().map(Row::latency).orElse(Latency.EMPTY);
    }
}
