package dev.sprout.pageserver.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.sprout.http.ApiRequest;
import dev.sprout.http.ApiResponse;
import dev.sprout.http.BearerAuth;
import dev.sprout.http.HttpServerInitializer;
import dev.sprout.http.Secret;
import dev.sprout.http.auth.AuditLog;
import dev.sprout.http.auth.FailureLimiter;
import dev.sprout.http.auth.TokenStore;
import dev.sprout.pageserver.metrics.StoreMetrics;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.ErrorBody;
import dev.sprout.protocol.v1.GcResult;
import dev.sprout.protocol.v1.GcSettings;
import dev.sprout.protocol.v1.Health;
import dev.sprout.protocol.v1.LsnTime;
import dev.sprout.protocol.v1.TimelineInfo;
import dev.sprout.protocol.v1.TimelineList;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.StoreOptions;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.testkit.ManualClock;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The management API end to end: a real store in a temporary directory, a real Netty server on 127.0.0.1, a real
 * {@link HttpClient}. The store's clock is fake, so commit times, time lookups and the PITR window are exact.
 */
class ManagementApiTest {
    private static final Instant T0 = Instant.parse("2026-05-01T00:00:00Z");
    private static final int MAX_BODY = 4096;
    private static final Duration METRICS_REFRESH = Duration.ofSeconds(10);
    private static final String TOKEN = "management-api-test-token-4f1c";

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock(T0);
    private final List<TimelineId> deleted = new CopyOnWriteArrayList<>();
    private final AtomicInteger blockingTasks = new AtomicInteger();
    private PageStore store;
    private PrometheusMeterRegistry registry;
    private EventLoopGroup group;
    private ExecutorService pool;
    private Channel server;
    private HttpClient client;
    private String base;

    @BeforeEach
    void start() throws InterruptedException {
        store = PageStore.open(StoreOptions.defaults(dir)
                .withSyncCommits(false)
                .withMemory(8 << 20, 4 << 20)
                .withClock(clock)
                .withPitrWindow(Duration.ofDays(1)));
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        StoreMetrics.bind(store, registry, METRICS_REFRESH, clock);
        pool = Executors.newFixedThreadPool(2);
        server = serve(new ManagementApi(store, registry, deleted::add), task -> {
            blockingTasks.incrementAndGet();
            pool.execute(task);
        });
        client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    @org.junit.jupiter.api.io.TempDir
    Path authDir;

    private Channel serve(ManagementApi api, java.util.concurrent.Executor blocking) throws InterruptedException {
        if (audit == null) {
            audit = AuditLog.open(store.catalog(), java.time.Clock.systemUTC());
        }
        BearerAuth auth = new BearerAuth(
                Secret.of(TOKEN),
                TokenStore.open(authDir.resolve(TokenStore.FILE), java.time.Clock.systemUTC()),
                new FailureLimiter(java.time.Clock.systemUTC(), 1_000_000)); // this test sends wrong tokens on purpose
        if (group == null) {
            group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        }
        Channel ch = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new HttpServerInitializer(api, auth, audit, blocking, MAX_BODY))
                .bind("127.0.0.1", 0)
                .sync()
                .channel();
        base = "http://127.0.0.1:" + ((InetSocketAddress) ch.localAddress()).getPort();
        return ch;
    }

    private AuditLog audit;

    @AfterEach
    void stop() throws InterruptedException {

        client.close();
        server.close().sync();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        pool.shutdownNow();
        store.close();
        registry.close();
    }

    // ---- timelines -----------------------------------------------------------------------------------------

    @Test
    void createsARootAndAnswersTheRepeatWith200AndTheSameTimeline() {
        TimelineId id = TimelineId.random();
        Reply created = post("/v1/timelines", "{\"timelineId\": \"" + id + "\", \"uid\": 1000, \"gid\": 1000}");
        assertEquals(201, created.status(), created.body());
        assertEquals("application/json; charset=utf-8", created.header("content-type"));
        TimelineInfo expected = TimelineInfo.newBuilder()
                .setTimelineId(id.toString())
                .setBranchLsn(1)
                .setCreatedAt("2026-05-01T00:00:00Z")
                .setLastLsn(1)
                .setMinReadableLsn(1)
                .setPhysicalBytes(store.timeline(id).physicalBytes())
                .build();
        assertEquals(expected, created.as(TimelineInfo.getDefaultInstance()));
        // Defaults are printed: a reader sees every field, 64-bit numbers as strings (proto3 JSON mapping).
        assertTrue(created.body().contains("\"parentId\": \"\""), created.body());
        assertTrue(created.body().contains("\"gcHorizon\": \"0\""), created.body());
        assertTrue(created.body().contains("\"writerGeneration\": \"0\""), created.body());

        Reply repeated = post("/v1/timelines", "{\"timelineId\": \"" + id + "\", \"uid\": 1000, \"gid\": 1000}");
        assertEquals(200, repeated.status(), repeated.body());
        assertEquals(created.body(), repeated.body());
        assertEquals(1, store.timelines().size());
        assertEquals(1000, store.getAttr(id, 1, "/").uid());
    }

    @Test
    void generatesTheIdWhenTheRequestHasNone() {
        Reply empty = post("/v1/timelines", "");
        assertEquals(201, empty.status(), empty.body());
        Reply object = post("/v1/timelines", "{}");
        assertEquals(201, object.status(), object.body());
        TimelineId a =
                TimelineId.parse(empty.as(TimelineInfo.getDefaultInstance()).getTimelineId());
        TimelineId b =
                TimelineId.parse(object.as(TimelineInfo.getDefaultInstance()).getTimelineId());
        assertNotEquals(a, b);
        assertEquals(2, store.timelines().size());
    }

    @Test
    void branchesAtAnLsnAndAtTheHeadIdempotently() {
        TimelineId main = root();
        long first = store.mkdir(main, "/a", 0700, 0, 0).lsn();
        long second = store.mkdir(main, "/b", 0700, 0, 0).lsn();

        TimelineId atLsn = TimelineId.random();
        String body = "{\"timelineId\": \"" + atLsn + "\", \"parentId\": \"" + main + "\", \"ancestorLsn\": \"" + first
                + "\"}";
        Reply branched = post("/v1/timelines", body);
        assertEquals(201, branched.status(), branched.body());
        TimelineInfo info = branched.as(TimelineInfo.getDefaultInstance());
        assertEquals(main.toString(), info.getParentId());
        assertEquals(first, info.getBranchLsn());
        assertEquals(first, info.getLastLsn());
        Reply again =
                post("/v1/timelines", body.replace("\"" + first + "\"", String.valueOf(first))); // a number works too
        assertEquals(200, again.status(), again.body());
        assertEquals(info, again.as(TimelineInfo.getDefaultInstance()));

        TimelineId atHead = TimelineId.random();
        String headBody = "{\"timelineId\": \"" + atHead + "\", \"parentId\": \"" + main + "\"}";
        Reply head = post("/v1/timelines", headBody);
        assertEquals(201, head.status(), head.body());
        assertEquals(second, head.as(TimelineInfo.getDefaultInstance()).getBranchLsn());
        store.mkdir(main, "/c", 0700, 0, 0); // the parent moves on: a retry still means the branch made before
        Reply headAgain = post("/v1/timelines", headBody);
        assertEquals(200, headAgain.status(), headAgain.body());
        assertEquals(second, headAgain.as(TimelineInfo.getDefaultInstance()).getBranchLsn());
    }

    @Test
    void branchesAtATimeAndConvertsBetweenLsnsAndTimes() {
        TimelineId main = root(); // LSN 1 at T0
        clock.advance(Duration.ofSeconds(10));
        long a = store.mkdir(main, "/a", 0700, 0, 0).lsn(); // at T0 + 10 s
        clock.advance(Duration.ofSeconds(10));
        long b = store.mkdir(main, "/b", 0700, 0, 0).lsn(); // at T0 + 20 s
        clock.advance(Duration.ofSeconds(10));

        // 02:00:15+02:00 is T0 + 15 s: the state then is the commit of T0 + 10 s.
        TimelineId branch = TimelineId.random();
        Reply branched = post(
                "/v1/timelines",
                "{\"timelineId\": \"" + branch + "\", \"parentId\": \"" + main
                        + "\", \"ancestorTime\": \"2026-05-01T02:00:15+02:00\"}");
        assertEquals(201, branched.status(), branched.body());
        assertEquals(a, branched.as(TimelineInfo.getDefaultInstance()).getBranchLsn());

        Reply lsn = get("/v1/timelines/" + main + "/lsn?time=2026-05-01T02:00:15%2B02:00");
        assertEquals(200, lsn.status(), lsn.body());
        assertEquals(
                LsnTime.newBuilder().setLsn(a).setTime("2026-05-01T00:00:15Z").build(),
                lsn.as(LsnTime.getDefaultInstance()));
        assertEquals(
                b,
                get("/v1/timelines/" + main + "/lsn?time=2026-05-01T00:00:25Z")
                        .as(LsnTime.getDefaultInstance())
                        .getLsn());

        Reply time = get("/v1/lsn/" + b + "/time");
        assertEquals(200, time.status(), time.body());
        assertEquals(
                LsnTime.newBuilder().setLsn(b).setTime("2026-05-01T00:00:20Z").build(),
                time.as(LsnTime.getDefaultInstance()));
        assertEquals(
                "2026-05-01T00:00:10Z",
                get("/v1/lsn/" + a + "/time").as(LsnTime.getDefaultInstance()).getTime());
    }

    @Test
    void listsAndDescribesTimelinesWithTheirWriterGeneration() {
        TimelineId main = root();
        clock.advance(Duration.ofSeconds(1)); // the list is in order of creation
        TimelineId child = branch(main);
        store.claimWriter(child);
        store.claimWriter(child);

        Reply list = get("/v1/timelines");
        assertEquals(200, list.status(), list.body());
        List<TimelineInfo> timelines =
                list.as(TimelineList.getDefaultInstance()).getTimelinesList();
        assertEquals(
                List.of(main.toString(), child.toString()),
                timelines.stream().map(TimelineInfo::getTimelineId).toList());
        assertEquals(2, timelines.get(1).getWriterGeneration());

        Reply one = get("/v1/timelines/" + child);
        assertEquals(200, one.status(), one.body());
        TimelineInfo info = one.as(TimelineInfo.getDefaultInstance());
        assertEquals(timelines.get(1), info);
        assertEquals(main.toString(), info.getParentId());
        assertEquals(store.timeline(child).minReadableLsn(), info.getMinReadableLsn());
        assertEquals(T0.plusSeconds(1).toString(), info.getCreatedAt());
    }

    @Test
    void deleteAnswersAnEmptyObjectAndTellsThePageService() {
        TimelineId main = root();
        Reply reply = delete("/v1/timelines/" + main);
        assertEquals(200, reply.status(), reply.body());
        assertEquals("{}", reply.body().strip());
        assertEquals(List.of(main), deleted);
        assertEquals(404, get("/v1/timelines/" + main).status());
    }

    // ---- refusals ------------------------------------------------------------------------------------------

    @Test
    void anUnknownTimelineIs404WithItsIdInTheSentence() {
        TimelineId ghost = TimelineId.random();
        for (Reply r : List.of(
                get("/v1/timelines/" + ghost),
                delete("/v1/timelines/" + ghost),
                get("/v1/timelines/" + ghost + "/lsn?time=2026-05-01T00:00:00Z"),
                post("/v1/timelines", "{\"parentId\": \"" + ghost + "\"}"))) {
            assertError(r, 404, Code.UNKNOWN_TIMELINE, ghost.toString());
        }
        assertEquals(List.of(), deleted);
    }

    @Test
    void anIdTakenWithAnotherParentOrLsnIs409() {
        TimelineId main = root();
        TimelineId other = root();
        TimelineId child = branch(main);
        long moved = store.mkdir(main, "/a", 0700, 0, 0).lsn();

        assertError(
                post(
                        "/v1/timelines",
                        "{\"timelineId\": \"" + child + "\", \"parentId\": \"" + main + "\", \"ancestorLsn\": " + moved
                                + "}"),
                409,
                Code.TIMELINE_EXISTS,
                child.toString());
        assertError(
                post("/v1/timelines", "{\"timelineId\": \"" + child + "\", \"parentId\": \"" + other + "\"}"),
                409,
                Code.TIMELINE_EXISTS,
                other.toString());
        assertError(
                post("/v1/timelines", "{\"timelineId\": \"" + child + "\"}"),
                409,
                Code.TIMELINE_EXISTS,
                "branch of " + main);
    }

    @Test
    void deletingATimelineWithChildrenIs412() {
        TimelineId main = root();
        TimelineId child = branch(main);
        assertError(delete("/v1/timelines/" + main), 412, Code.TIMELINE_HAS_CHILDREN, child.toString());
        assertEquals(List.of(), deleted);
        assertEquals(2, store.timelines().size());
    }

    @Test
    void anLsnBelowTheGcHorizonOrBeyondTheHeadIs400() {
        TimelineId main = root(); // LSN 1
        clock.advance(Duration.ofMinutes(1));
        long old = store.mkdir(main, "/a", 0700, 0, 0).lsn(); // LSN 2
        clock.advance(Duration.ofMinutes(1));
        long head = store.mkdir(main, "/b", 0700, 0, 0).lsn(); // LSN 3
        clock.advance(Duration.ofHours(1));
        assertEquals(200, put("/v1/gc/settings", "{\"pitrWindowSeconds\": 60}").status());
        assertEquals(200, post("/v1/gc", "").status());
        assertEquals(
                head,
                get("/v1/timelines/" + main)
                        .as(TimelineInfo.getDefaultInstance())
                        .getGcHorizon());

        String below = "{\"parentId\": \"" + main + "\", \"ancestorLsn\": " + old + "}";
        assertError(post("/v1/timelines", below), 400, Code.LSN_OUT_OF_RANGE, "below the GC horizon");
        String beyond = "{\"parentId\": \"" + main + "\", \"ancestorLsn\": " + (head + 1) + "}";
        assertError(post("/v1/timelines", beyond), 400, Code.LSN_OUT_OF_RANGE, "beyond the head");
        String huge = "{\"parentId\": \"" + main + "\", \"ancestorLsn\": \"18446744073709551615\"}";
        assertError(post("/v1/timelines", huge), 400, Code.LSN_OUT_OF_RANGE, "18446744073709551615");
        assertError(
                get("/v1/timelines/" + main + "/lsn?time=2026-05-01T00:01:30Z"),
                400,
                Code.LSN_OUT_OF_RANGE,
                "GC horizon");
        assertEquals(1, store.timelines().size());
    }

    @Test
    void aTimeThatIsNotRfc3339OrOutOfRangeIs400() {
        TimelineId main = root();
        assertError(
                post("/v1/timelines", "{\"parentId\": \"" + main + "\", \"ancestorTime\": \"yesterday\"}"),
                400,
                Code.INVALID_ARGUMENT,
                "\"yesterday\" is not an RFC 3339 time");
        assertError(
                post("/v1/timelines", "{\"parentId\": \"" + main + "\", \"ancestorTime\": \"2026-05-01T00:00:00\"}"),
                400,
                Code.INVALID_ARGUMENT,
                "2026-05-01T00:00:00"); // no offset: which zone was meant?
        // An unescaped '+' in a query decodes to a space; the sentence says how to write it.
        assertError(
                get("/v1/timelines/" + main + "/lsn?time=2026-05-01T02:00:00+02:00"),
                400,
                Code.INVALID_ARGUMENT,
                "%2B");
        assertError(get("/v1/timelines/" + main + "/lsn"), 400, Code.INVALID_ARGUMENT, "time is required");
        assertError(
                get("/v1/timelines/" + main + "/lsn?time=2026-05-01T00:00:00Z&at=1"),
                400,
                Code.INVALID_ARGUMENT,
                "\"at\"");
        assertError(
                get("/v1/timelines/" + main + "/lsn?time=2030-01-01T00:00:00Z"),
                400,
                Code.LSN_OUT_OF_RANGE,
                "in the future");
        assertError(
                get("/v1/timelines/" + main + "/lsn?time=2020-01-01T00:00:00Z"),
                400,
                Code.LSN_OUT_OF_RANGE,
                "before timeline");
        assertError(
                post(
                        "/v1/timelines",
                        "{\"parentId\": \"" + main + "\", \"ancestorLsn\": 1, \"ancestorTime\": \"" + T0 + "\"}"),
                400,
                Code.INVALID_ARGUMENT,
                "not both");
    }

    @Test
    void malformedJsonUnknownFieldsAndBadIdsAre400() {
        Reply truncated = post("/v1/timelines", "{");
        assertError(truncated, 400, Code.MALFORMED_REQUEST, "not a valid CreateTimelineRequest: End of input");
        assertFalse(truncated.body().contains("Exception"), truncated.body());
        assertError(post("/v1/timelines", "[1, 2]"), 400, Code.MALFORMED_REQUEST, "CreateTimelineRequest");
        assertError(post("/v1/timelines", "{\"timelineID\": \"x\"}"), 400, Code.MALFORMED_REQUEST, "timelineID");
        assertError(post("/v1/timelines", "{\"uid\": -1}"), 400, Code.MALFORMED_REQUEST, "uint32 value: -1");
        assertError(
                post("/v1/timelines", "{\"timelineId\": \"not-a-uuid\"}"),
                400,
                Code.INVALID_ARGUMENT,
                "\"not-a-uuid\" is not a UUID");
        assertError(post("/v1/timelines", "{\"parentId\": \"1234\"}"), 400, Code.INVALID_ARGUMENT, "parentId \"1234\"");
        assertError(get("/v1/timelines/1234"), 400, Code.INVALID_ARGUMENT, "\"1234\" is not a UUID");
        assertError(post("/v1/timelines", "{\"ancestorLsn\": 5}"), 400, Code.INVALID_ARGUMENT, "need a parentId");
        assertError(put("/v1/gc/settings", "{\"pitrWindow\": 60}"), 400, Code.MALFORMED_REQUEST, "pitrWindow");
        assertError(put("/v1/gc/settings", ""), 400, Code.MALFORMED_REQUEST, "needs a GcSettings body");
        assertError(get("/v1/lsn/abc/time"), 400, Code.INVALID_ARGUMENT, "\"abc\" is not an LSN");
        assertEquals(0, store.timelines().size());
    }

    @Test
    void anUnknownRouteIs404AndAnotherMethodIs405WithAllow() {
        assertError(get("/v1/branches"), 404, Code.MALFORMED_REQUEST, "/v1/branches");
        assertError(get("/v1/timelines/"), 404, Code.MALFORMED_REQUEST, "/v1/timelines/");
        Reply patch = send("PATCH", "/v1/timelines", "{}");
        assertError(patch, 405, Code.MALFORMED_REQUEST, "PATCH");
        assertEquals("GET, POST", patch.header("allow"));
        Reply getGc = get("/v1/gc");
        assertError(getGc, 405, Code.MALFORMED_REQUEST, "/v1/gc does not take GET");
        assertEquals("POST", getGc.header("allow"));
        assertEquals(
                "GET, DELETE",
                send("PUT", "/v1/timelines/" + TimelineId.random(), "{}").header("allow"));
    }

    @Test
    void anOversizedBodyIs413AndTheConnectionServesTheNextRequest() {
        String big = "{\"timelineId\": \"" + "x".repeat(MAX_BODY) + "\"}";
        assertError(post("/v1/timelines", big), 413, Code.MESSAGE_TOO_LARGE, "limit of " + MAX_BODY + " bytes");
        assertEquals(200, get("/healthz").status());
        // With Expect: 100-continue the refusal comes before the body is sent.
        Reply refusedEarly = call(HttpRequest.newBuilder(URI.create(base + "/v1/timelines"))
                .expectContinue(true)
                .POST(HttpRequest.BodyPublishers.ofString(big)));
        assertError(refusedEarly, 413, Code.MESSAGE_TOO_LARGE, "of " + big.length() + " bytes");
        assertEquals(0, store.timelines().size());
        assertEquals(200, get("/healthz").status());
    }

    @Test
    void aClosedStoreIs503() {
        store.close();
        assertError(get("/healthz"), 503, Code.CLOSED, "closed");
        assertError(get("/v1/timelines"), 503, Code.CLOSED, "closed");
        Reply metrics = get("/metrics"); // a scrape still answers: what the store cannot give reads NaN
        assertEquals(200, metrics.status());
        assertTrue(metrics.body().contains("\nsprout_store_last_lsn NaN\n"), metrics.body());
    }

    @Test
    void aFullExecutorIs503Overloaded() throws InterruptedException {
        server.close().sync();
        server = serve(new ManagementApi(store, registry, TimelineEvents.NONE), task -> {
            throw new RejectedExecutionException("queue full (16 tasks)");
        });
        assertError(get("/healthz"), 503, Code.OVERLOADED, "queue full");
    }

    // ---- GC, health, metrics -------------------------------------------------------------------------------

    @Test
    void gcSettingsAreReadAndChangedAndGcReportsWhatItDid() {
        TimelineId main = root();
        assertEquals(
                GcSettings.newBuilder().setPitrWindowSeconds(86_400).build(),
                get("/v1/gc/settings").as(GcSettings.getDefaultInstance()));
        Reply changed = put("/v1/gc/settings", "{\"pitrWindowSeconds\": \"3600\"}");
        assertEquals(200, changed.status(), changed.body());
        assertEquals(3600, changed.as(GcSettings.getDefaultInstance()).getPitrWindowSeconds());
        assertEquals(Duration.ofHours(1), store.pitrWindow());
        assertEquals(
                3600, get("/v1/gc/settings").as(GcSettings.getDefaultInstance()).getPitrWindowSeconds());
        assertError(
                put("/v1/gc/settings", "{\"pitrWindowSeconds\": \"18446744073709551615\"}"),
                400,
                Code.INVALID_ARGUMENT,
                "18446744073709551615");

        long file = store.create(main, "/f", 0600, 0, 0).fileId();
        for (int v = 0; v < 3; v++) {
            clock.advance(Duration.ofMinutes(1));
            byte[] page = new byte[dev.sprout.storage.page.Pages.PAGE_SIZE];
            java.util.Arrays.fill(page, (byte) (v + 1)); // every byte new: stored whole, not as a delta
            store.commit(new dev.sprout.storage.page.PageBatch(main)
                    .resize(file, 8192)
                    .write(file, 0, page));
        }
        clock.advance(Duration.ofHours(2));
        Reply gc = post("/v1/gc", "");
        assertEquals(200, gc.status(), gc.body());
        GcResult result = gc.as(GcResult.getDefaultInstance());
        assertEquals(1, result.getTimelinesScanned());
        assertTrue(result.getVersionsRemoved() >= 2, gc.body());
        assertEquals(2L * dev.sprout.storage.page.Pages.PAGE_SIZE, result.getPageBytesRemoved());
        assertEquals(0, result.getTimelinesReclaimed());
        assertTrue(gc.body().contains("\"elapsedMicros\""), gc.body());
    }

    @Test
    void healthSaysOkWithTheLastLsnAndTheNumberOfTimelines() {
        assertEquals(
                Health.newBuilder().setStatus("ok").build(), get("/healthz").as(Health.getDefaultInstance()));
        TimelineId main = root();
        branch(main);
        long last = store.mkdir(main, "/a", 0700, 0, 0).lsn();
        Reply health = get("/healthz");
        assertEquals(200, health.status(), health.body());
        assertEquals(
                Health.newBuilder()
                        .setStatus("ok")
                        .setLastLsn(last)
                        .setTimelines(2)
                        .build(),
                health.as(Health.getDefaultInstance()));
    }

    @Test
    void metricsExposeTheStoreAndEachTimelinesSizes() {
        TimelineId main = root();
        store.create(main, "/f", 0600, 0, 0);
        store.truncate(main, "/f", 3 * 8192);
        clock.advance(METRICS_REFRESH.plusSeconds(1));
        get("/metrics"); // finds the snapshot stale: refreshes it and adds the new timeline's rows

        Reply metrics = get("/metrics");
        assertEquals(200, metrics.status());
        assertEquals(ManagementApi.PROMETHEUS_TEXT, metrics.header("content-type"));
        String text = metrics.body();
        assertEquals(store.lastLsn(), value(text, "sprout_store_last_lsn"));
        assertEquals(store.commitStats().commits(), value(text, "sprout_store_commits_total"));
        assertTrue(value(text, "sprout_store_wal_writes_total") >= 1, text);
        assertEquals(1, value(text, "sprout_store_timelines"));
        assertTrue(value(text, "sprout_rocksdb_memtables_bytes") > 0, text);
        for (String gauge : List.of(
                "sprout_rocksdb_live_data_bytes",
                "sprout_rocksdb_sst_files_bytes",
                "sprout_rocksdb_pending_compaction_bytes",
                "sprout_rocksdb_keys")) {
            assertTrue(text.contains("\n" + gauge + " "), gauge + " in\n" + text);
        }
        String row = "{timeline=\"" + main + "\"}";
        assertEquals(3 * 8192, value(text, "sprout_timeline_logical_bytes" + row));
        assertTrue(value(text, "sprout_timeline_physical_bytes" + row) > 0, text);

        // The sizes are a snapshot: a scrape within the refresh interval does not describe the timelines again.
        store.truncate(main, "/f", 5 * 8192);
        assertEquals(3 * 8192, value(get("/metrics").body(), "sprout_timeline_logical_bytes" + row));
        clock.advance(METRICS_REFRESH);
        assertEquals(5 * 8192, value(get("/metrics").body(), "sprout_timeline_logical_bytes" + row));

        assertEquals(200, delete("/v1/timelines/" + main).status());
        clock.advance(METRICS_REFRESH.plusSeconds(1));
        get("/metrics");
        String after = get("/metrics").body();
        assertFalse(after.contains(main.toString()), after);
        assertEquals(0, value(after, "sprout_store_timelines"));
    }

    @Test
    void everyRequestRunsOnTheBlockingExecutor() {
        int before = blockingTasks.get();
        get("/healthz");
        get("/v1/timelines");
        get("/nowhere");
        assertEquals(before + 3, blockingTasks.get());
    }

    // ---- connections ---------------------------------------------------------------------------------------

    @Test
    void answersPipelinedRequestsInOrderAndHonoursConnectionClose() throws IOException {
        TimelineId main = root();
        try (Socket socket = new Socket("127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream()
                    .write(("GET /v1/timelines/" + main + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                                    + "\r\n\r\n"
                                    + "GET /nowhere HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\n\r\n"
                                    + "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            RawReply first = RawReply.read(in);
            assertEquals(200, first.status());
            assertTrue(first.body().contains(main.toString()), first.body());
            assertEquals(404, RawReply.read(in).status());
            RawReply last = RawReply.read(in);
            assertEquals(200, last.status());
            assertEquals("close", last.headers().get("connection"));
            assertEquals(-1, in.read(), "the server closes after an answer with Connection: close");
        }
    }

    @Test
    void answersGarbageWith400AndCloses() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream()
                    .write("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: nine\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            RawReply reply = RawReply.read(in);
            assertEquals(400, reply.status());
            assertTrue(reply.body().contains("MALFORMED_REQUEST"), reply.body());
            assertEquals(-1, in.read());
        }
    }

    // ---- authentication ------------------------------------------------------------------------------------

    @Test
    void everyRouteButTheLivenessProbeNeedsTheBearerTokenAndA401NeverShowsAToken() {
        TimelineId id = TimelineId.random();
        store.createRoot(id, 0, 0);
        List<HttpRequest.Builder> routes = List.of(
                HttpRequest.newBuilder(URI.create(base + "/v1/timelines")).GET(),
                HttpRequest.newBuilder(URI.create(base + "/v1/timelines/" + id)).GET(),
                HttpRequest.newBuilder(URI.create(base + "/v1/timelines/" + id)).DELETE(),
                HttpRequest.newBuilder(URI.create(base + "/v1/timelines"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"timelineId\": \"" + TimelineId.random() + "\"}")),
                HttpRequest.newBuilder(URI.create(base + "/v1/gc")).POST(HttpRequest.BodyPublishers.noBody()),
                HttpRequest.newBuilder(URI.create(base + "/metrics")).GET(),
                HttpRequest.newBuilder(URI.create(base + "/nowhere")).GET());
        Map<String, String> wrong = Map.of(
                "none",
                "",
                "another scheme",
                "Basic "
                        + java.util.Base64.getEncoder()
                                .encodeToString(("admin:" + TOKEN).getBytes(StandardCharsets.UTF_8)),
                "the scheme alone",
                "Bearer",
                "a wrong token",
                "Bearer " + TOKEN + "x",
                "a prefix of the token",
                "Bearer " + TOKEN.substring(0, 10),
                "the token without the scheme",
                TOKEN);
        for (HttpRequest.Builder route : routes) {
            for (var attempt : wrong.entrySet()) {
                HttpRequest.Builder r = route.copy();
                if (!attempt.getValue().isEmpty()) {
                    r.header("Authorization", attempt.getValue());
                }
                Reply reply = exchange(r);
                String what =
                        route.build().method() + " " + route.build().uri().getPath() + " with " + attempt.getKey();
                assertEquals(401, reply.status(), what + ": " + reply.body());
                assertEquals(
                        Code.UNAUTHENTICATED,
                        reply.as(ErrorBody.getDefaultInstance()).getCode(),
                        what);
                assertEquals("Bearer realm=\"sprout\"", reply.header("www-authenticate"), what);
                assertFalse(reply.body().contains(TOKEN.substring(0, 10)), what + " shows a token: " + reply.body());
            }
        }
        assertTrue(
                exchange(routes.getFirst().copy()).body().contains("`Authorization: Bearer TOKEN`"),
                "a missing token says how to send one");
        assertEquals(
                id.toString(),
                get("/v1/timelines/" + id).as(TimelineInfo.getDefaultInstance()).getTimelineId(),
                "the refusals changed nothing");
        assertEquals(
                200,
                exchange(HttpRequest.newBuilder(URI.create(base + "/healthz")).GET())
                        .status(),
                "the liveness probe needs no token");
        assertEquals(
                200,
                exchange(HttpRequest.newBuilder(URI.create(base + "/v1/timelines"))
                                .GET()
                                .header("Authorization", "bearer   " + TOKEN))
                        .status(),
                "the scheme is case-insensitive (RFC 7235)");
    }

    // ---- the core without HTTP -----------------------------------------------------------------------------

    @Test
    void aBugIsA500ThatNamesTheFailureWithoutAStackTrace() {
        PrometheusMeterRegistry broken = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT) {
            @Override
            public String scrape() {
                throw new IllegalStateException("the exposition writer failed");
            }
        };
        ApiResponse r = new ManagementApi(store, broken, TimelineEvents.NONE).handle(ApiRequest.of("GET", "/metrics"));
        assertEquals(500, r.status());
        ErrorBody body = parse(r.bodyText(), ErrorBody.newBuilder()).build();
        assertEquals(Code.INTERNAL, body.getCode());
        assertEquals(
                "GET /metrics failed: java.lang.IllegalStateException: the exposition writer failed",
                body.getMessage());
        broken.close();
    }

    @Test
    void aFailingListenerDoesNotUndoTheDeletion() {
        TimelineId main = root();
        ApiResponse r = new ManagementApi(store, registry, id -> {
                    throw new IllegalStateException("page service gone");
                })
                .handle(ApiRequest.of("DELETE", "/v1/timelines/" + main));
        assertEquals(200, r.status(), r.bodyText());
        assertEquals(0, store.timelines().size());
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    private TimelineId root() {
        Reply r = post("/v1/timelines", "{}");
        assertEquals(201, r.status(), r.body());
        return TimelineId.parse(r.as(TimelineInfo.getDefaultInstance()).getTimelineId());
    }

    private TimelineId branch(TimelineId parent) {
        Reply r = post("/v1/timelines", "{\"parentId\": \"" + parent + "\"}");
        assertEquals(201, r.status(), r.body());
        return TimelineId.parse(r.as(TimelineInfo.getDefaultInstance()).getTimelineId());
    }

    private static void assertError(Reply r, int status, Code code, String inMessage) {
        assertEquals(status, r.status(), r.body());
        assertEquals("application/json; charset=utf-8", r.header("content-type"));
        ErrorBody body = r.as(ErrorBody.getDefaultInstance());
        assertEquals(code, body.getCode(), r.body());
        assertTrue(body.getMessage().contains(inMessage), "\"" + inMessage + "\" in: " + body.getMessage());
    }

    /** The value of one sample line of the Prometheus text format, e.g. {@code name{tag="v"} 12.0}. */
    private static long value(String exposition, String sample) {
        Matcher m =
                Pattern.compile("(?m)^" + Pattern.quote(sample) + " (\\S+)$").matcher(exposition);
        assertTrue(m.find(), sample + " in\n" + exposition);
        return (long) Double.parseDouble(m.group(1));
    }

    private Reply get(String path) {
        return call(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    private Reply delete(String path) {
        return call(HttpRequest.newBuilder(URI.create(base + path)).DELETE());
    }

    private Reply post(String path, String json) {
        return send("POST", path, json);
    }

    private Reply put(String path, String json) {
        return send("PUT", path, json);
    }

    private Reply send(String method, String path, String json) {
        return call(HttpRequest.newBuilder(URI.create(base + path))
                .method(method, HttpRequest.BodyPublishers.ofString(json)));
    }

    /** Sends {@code request} with the admin token. */
    private Reply call(HttpRequest.Builder request) {
        return exchange(request.header("Authorization", "Bearer " + TOKEN));
    }

    /** Sends {@code request} as it is, with whatever Authorization it carries or none. */
    private Reply exchange(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r =
                    client.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body(), r.headers().map());
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static <B extends Message.Builder> B parse(String json, B builder) {
        try {
            JsonFormat.parser().merge(json, builder);
            return builder;
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("not a " + builder.getDescriptorForType().getName() + ": " + json, e);
        }
    }

    private record Reply(int status, String body, Map<String, List<String>> headers) {
        @SuppressWarnings("unchecked")
        <M extends Message> M as(M prototype) {
            return (M) parse(body, prototype.newBuilderForType()).build();
        }

        String header(String name) {
            List<String> values = headers.getOrDefault(name, List.of());
            return values.isEmpty() ? null : String.join(", ", values);
        }
    }

    /** One HTTP/1.1 response read off a socket: status line, headers, Content-Length bytes of body. */
    private record RawReply(int status, Map<String, String> headers, String body) {
        static RawReply read(InputStream in) throws IOException {
            String statusLine = line(in);
            int status = Integer.parseInt(statusLine.split(" ", -1)[1]);
            Map<String, String> headers = new java.util.HashMap<>();
            for (String h = line(in); !h.isEmpty(); h = line(in)) {
                int colon = h.indexOf(':');
                headers.put(
                        h.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT),
                        h.substring(colon + 1).trim());
            }
            byte[] body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
            return new RawReply(status, headers, new String(body, StandardCharsets.UTF_8));
        }

        private static String line(InputStream in) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("connection closed mid-response after \"" + out + "\"");
                }
                if (c != '\r') {
                    out.write(c);
                }
            }
            return out.toString(StandardCharsets.US_ASCII);
        }
    }
}
