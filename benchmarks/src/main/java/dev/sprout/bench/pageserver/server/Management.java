package dev.sprout.bench.pageserver.server;

import dev.sprout.http.client.ApiClient;
import dev.sprout.protocol.v1.TimelineInfo;
import dev.sprout.protocol.v1.TimelineList;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The pageserver's management API as the benchmarks call it: the product's {@link ApiClient} (the JDK's HttpClient
 * over HTTP/1.1, one kept-alive connection when called from one thread), with the server's admin token.
 */
public final class Management {
    private Management() {}

    /** A client of {@code server}'s HTTP port. */
    public static ApiClient client(ServerUnderTest server) {
        return client(server.httpPort(), server.credentials().admin().value());
    }

    public static ApiClient client(int httpPort, String adminToken) {
        return new ApiClient("127.0.0.1", httpPort, Optional.of(adminToken));
    }

    /** Creates a root timeline and answers its id. */
    public static String createRoot(ApiClient api) {
        return timelineId(api.send("POST", "/v1/timelines", "{}").body());
    }

    /** How many timelines the server has. */
    public static int timelines(ApiClient api) {
        return api.get("/v1/timelines", TimelineList.newBuilder()).getTimelinesCount();
    }

    /** The {@code timelineId} of a {@code TimelineInfo} answer. */
    public static String timelineId(String json) {
        TimelineInfo.Builder info = TimelineInfo.newBuilder();
        try {
            com.google.protobuf.util.JsonFormat.parser().ignoringUnknownFields().merge(json, info);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException("not a TimelineInfo: " + json, e);
        }
        if (info.getTimelineId().isEmpty()) {
            throw new IllegalStateException("no timelineId in the answer " + json);
        }
        return info.getTimelineId();
    }

    /** Every sample of {@code /metrics} whose name (with its labels) starts with one of {@code prefixes}. */
    public static Map<String, Double> metrics(ApiClient api, String... prefixes) {
        Map<String, Double> out = new HashMap<>();
        for (String line : api.get("/metrics").split("\n", -1)) {
            for (String p : line.startsWith("#") ? new String[0] : prefixes) {
                if (line.startsWith(p)) {
                    int space = line.lastIndexOf(' ');
                    out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
                }
            }
        }
        return out;
    }
}
