package dev.sprout.http.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.http.ApiException;
import dev.sprout.http.ApiResponse;
import dev.sprout.http.BearerAuth;
import dev.sprout.http.HttpServerInitializer;
import dev.sprout.http.Secret;
import dev.sprout.http.auth.AuditLog;
import dev.sprout.http.auth.FailureLimiter;
import dev.sprout.http.auth.TokenStore;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.CreateBranchRequest;
import dev.sprout.protocol.v1.Health;
import dev.sprout.protocol.v1.TimelineList;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.StoreOptions;
import dev.sprout.testkit.Ports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client against the real server pipeline on a real socket, with a small API of its own behind it. */
class ApiClientTest {
    private static final String TOKEN = "api-client-test-token";

    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private EventLoopGroup group;
    private ExecutorService pool;
    private Channel server;
    private int port;

    @TempDir
    Path dir;

    private AuditLog audit;
    private PageStore store;

    @BeforeEach
    void start() throws InterruptedException {
        store = PageStore.open(StoreOptions.defaults(dir.resolve("store")));
        audit = AuditLog.open(store.catalog(), Clock.systemUTC());
        BearerAuth auth = new BearerAuth(
                Secret.of(TOKEN),
                TokenStore.open(dir.resolve("tokens.json"), Clock.systemUTC()),
                new FailureLimiter(Clock.systemUTC()));
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        pool = Executors.newFixedThreadPool(2);
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new HttpServerInitializer(
                        request -> {
                            bodies.add(request.method() + " " + request.path() + " "
                                    + new String(request.body(), StandardCharsets.UTF_8));
                            return switch (request.path()) {
                                case "/v1/timelines" -> ApiResponse.json(200, TimelineList.getDefaultInstance());
                                case "/v1/branches" ->
                                    ApiResponse.json(201, Health.newBuilder().setStatus("made"));
                                case "/health" ->
                                    ApiResponse.json(200, Health.newBuilder().setStatus("up"));
                                case "/json-only" -> // a server from before binary answers
                                    new ApiResponse(
                                            200,
                                            ApiResponse.JSON,
                                            "{\"status\": \"old\"}".getBytes(StandardCharsets.UTF_8),
                                            Map.of());
                                case "/garbage" ->
                                    new ApiResponse(200, ApiResponse.PROTOBUF, new byte[] {(byte) 0xff, 1}, Map.of());
                                case "/odd" ->
                                    new ApiResponse(
                                            200,
                                            ApiResponse.JSON,
                                            "{\"status\": 7".getBytes(StandardCharsets.UTF_8),
                                            Map.of());
                                default ->
                                    new ApiException(404, Code.UNKNOWN_BRANCH, "branch \"x\" does not exist", Map.of())
                                            .response();
                            };
                        },
                        auth,
                        audit,
                        pool,
                        4096))
                .bind("127.0.0.1", 0)
                .sync()
                .channel();
        port = ((InetSocketAddress) server.localAddress()).getPort();
    }

    @AfterEach
    void stop() throws InterruptedException {
        server.close().sync();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        pool.shutdownNow();
        store.close();
    }

    @Test
    void sendsTheTokenAndParsesAnswers() {
        try (ApiClient client = new ApiClient("127.0.0.1", port, Optional.of(TOKEN))) {
            assertEquals(
                    0, client.get("/v1/timelines", TimelineList.newBuilder()).getTimelinesCount());
            Health made = client.call(
                            "POST",
                            "/v1/branches",
                            CreateBranchRequest.newBuilder().setName("pr-1").build(),
                            Health.newBuilder())
                    .build();
            assertEquals("made", made.getStatus());
            assertTrue(bodies.getLast().startsWith("POST /v1/branches {"), bodies.toString());
            assertTrue(bodies.getLast().contains("\"name\": \"pr-1\""), bodies.toString());
        }
    }

    @Test
    void aRefusalCarriesItsStatusCodeAndSentence() {
        try (ApiClient client = new ApiClient("127.0.0.1", port, Optional.of(TOKEN))) {
            ApiClient.Refused refused = assertThrows(ApiClient.Refused.class, () -> client.get("/v1/branches/x"));
            assertEquals(404, refused.status());
            assertEquals(Code.UNKNOWN_BRANCH, refused.code());
            assertEquals("404 UNKNOWN_BRANCH: branch \"x\" does not exist", refused.getMessage());
        }
        try (ApiClient anonymous = new ApiClient("127.0.0.1", port, Optional.empty());
                ApiClient wrong = new ApiClient("127.0.0.1", port, Optional.of("not-" + TOKEN))) {
            ApiClient.Refused none = assertThrows(ApiClient.Refused.class, () -> anonymous.get("/v1/timelines"));
            assertEquals(Code.UNAUTHENTICATED, none.code());
            ApiClient.Refused bad = assertThrows(ApiClient.Refused.class, () -> wrong.get("/v1/timelines"));
            assertEquals(401, bad.status());
            assertFalse(bad.getMessage().contains(TOKEN), "a refusal never shows a token");
        }
    }

    @Test
    void nothingListeningAndSomethingElseAreToldApart() {
        int closed = Ports.free();
        try (ApiClient nowhere = new ApiClient("127.0.0.1", closed, Optional.of(TOKEN));
                ApiClient client = new ApiClient("127.0.0.1", port, Optional.of(TOKEN))) {
            ApiClient.Unreachable unreachable =
                    assertThrows(ApiClient.Unreachable.class, () -> nowhere.get("/healthz"));
            assertInstanceOf(ConnectException.class, unreachable.getCause());
            assertTrue(unreachable.getMessage().contains("127.0.0.1:" + closed), unreachable.getMessage());
            ApiClient.NotSprout odd =
                    assertThrows(ApiClient.NotSprout.class, () -> client.get("/odd", Health.newBuilder()));
            assertTrue(odd.getMessage().contains("GET /odd did not return a Health"), odd.getMessage());
            ApiClient.NotSprout garbage =
                    assertThrows(ApiClient.NotSprout.class, () -> client.get("/garbage", Health.newBuilder()));
            assertTrue(garbage.getMessage().contains("GET /garbage sent no Health in protobuf"), garbage.getMessage());
        }
    }

    @Test
    void answersComeInTheEncodingAsked() throws Exception {
        Health expected = Health.newBuilder().setStatus("up").build();
        Exchange binary = exchange("/health", "application/x-protobuf, application/json;q=0.5");
        assertEquals(ApiResponse.PROTOBUF, binary.contentType());
        assertEquals(expected, Health.parseFrom(binary.body()));
        Exchange json = exchange("/health", "application/json");
        assertEquals(ApiResponse.JSON, json.contentType());
        assertTrue(new String(json.body(), StandardCharsets.UTF_8).contains("\"status\": \"up\""));
        assertEquals(ApiResponse.JSON, exchange("/health", "*/*").contentType(), "JSON unless protobuf is named");
        Exchange refusal = exchange("/v1/branches/x", ApiResponse.PROTOBUF);
        assertEquals(404, refusal.status());
        assertEquals(ApiResponse.JSON, refusal.contentType(), "a refusal's ErrorBody is always JSON");
        try (ApiClient client = new ApiClient("127.0.0.1", port, Optional.of(TOKEN))) {
            assertEquals(expected, client.get("/health", Health.newBuilder()).build());
            assertEquals("old", client.get("/json-only", Health.newBuilder()).getStatus(), "a JSON-only server");
            assertTrue(client.get("/health").contains("\"status\": \"up\""), "get(path) is the JSON as sent");
        }
    }

    @Test
    void acceptHeadersAreReadByMediaType() {
        assertTrue(ApiResponse.accepts("application/x-protobuf", ApiResponse.PROTOBUF));
        assertTrue(ApiResponse.accepts("application/json;q=0.5, Application/X-Protobuf ;q=1", ApiResponse.PROTOBUF));
        assertFalse(ApiResponse.accepts("application/json", ApiResponse.PROTOBUF));
        assertFalse(ApiResponse.accepts("application/x-protobuffer", ApiResponse.PROTOBUF));
        assertFalse(ApiResponse.accepts("", ApiResponse.PROTOBUF));
    }

    private record Exchange(int status, String contentType, byte[] body) {}

    /** A GET with the admin token and {@code accept}, by hand: what came back, as it came. */
    private Exchange exchange(String path, String accept) throws Exception {
        java.net.HttpURLConnection c = (java.net.HttpURLConnection)
                java.net.URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
        c.setRequestProperty("Authorization", "Bearer " + TOKEN);
        c.setRequestProperty("Accept", accept);
        int status = c.getResponseCode();
        try (java.io.InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
            return new Exchange(status, c.getContentType(), in.readAllBytes());
        }
    }
}
