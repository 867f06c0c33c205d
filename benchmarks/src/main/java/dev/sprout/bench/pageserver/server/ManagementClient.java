package dev.sprout.bench.pageserver.server;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.sprout.protocol.v1.TimelineInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The management API as the benchmarks call it: {@link java.net.http.HttpClient} over HTTP/1.1, one request at
 * a time, so that every call reuses the same kept-alive connection (the JDK client pools it between calls).
 *
 * <p>Not thread-safe in the sense that matters here: calls from several threads would open several connections.
 */
public final class ManagementClient implements AutoCloseable {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final HttpClient http;
    private final URI base;
    private final String authorization;

    /** A client that sends {@code token} (the pageserver's admin token) with every request. */
    public ManagementClient(String host, int port, String token) {
        this.authorization = "Bearer " + token;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        this.base = URI.create("http://" + host + ":" + port);
    }

    /** A response whose status and body the caller checks; sent and received whole (end to end). */
    public HttpResponse<String> post(String path, String json) {
        return send(HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT).header("Authorization", authorization)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    public HttpResponse<String> delete(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT).header("Authorization", authorization).DELETE().build());
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT).header("Authorization", authorization).GET().build());
    }

    /** Creates a root timeline and answers its id. */
    public String createRoot() {
        return timelineId(expect(post("/v1/timelines", "{}"), 201));
    }

    /** Creates a branch of {@code parentId} at its head and answers its id. */
    public String branch(String parentId) {
        return timelineId(expect(post("/v1/timelines", branchRequest(parentId)), 201));
    }

    public void deleteTimeline(String id) {
        expect(delete("/v1/timelines/" + id), 200);
    }

    public static String branchRequest(String parentId) {
        return "{\"parentId\": \"" + parentId + "\"}";
    }

    /** Every sample of {@code /metrics} whose name (with its labels) starts with one of {@code prefixes}. */
    public Map<String, Double> metrics(String... prefixes) {
        String text = expect(get("/metrics"), 200).body();
        Map<String, Double> out = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("#")) {
                continue;
            }
            for (String p : prefixes) {
                if (line.startsWith(p)) {
                    int space = line.lastIndexOf(' ');
                    out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
                }
            }
        }
        return out;
    }

    public static HttpResponse<String> expect(HttpResponse<String> r, int status) {
        if (r.statusCode() != status) {
            throw new IllegalStateException(r.request().method() + " " + r.uri() + " answered " + r.statusCode()
                    + " (expected " + status + "): " + r.body());
        }
        return r;
    }

    public static String timelineId(HttpResponse<String> r) {
        return timelineId(r.body());
    }

    /** The {@code timelineId} of a {@code TimelineInfo} answer. */
    public static String timelineId(String json) {
        TimelineInfo.Builder info = TimelineInfo.newBuilder();
        try {
            JsonFormat.parser().ignoringUnknownFields().merge(json, info);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("not a TimelineInfo: " + json, e);
        }
        if (info.getTimelineId().isEmpty()) {
            throw new IllegalStateException("no timelineId in the answer " + json);
        }
        return info.getTimelineId();
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
