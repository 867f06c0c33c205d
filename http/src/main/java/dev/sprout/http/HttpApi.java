package dev.sprout.http;

/**
 * An HTTP/JSON API served by the pageserver's HTTP server: the management API, and APIs mounted beside it by the
 * process that embeds the pageserver (the control plane's, in the all-in-one mode). {@code handle} runs on a
 * blocking executor, never on an event loop; it must answer every request (refusals as an ErrorBody) and be
 * thread-safe.
 */
@FunctionalInterface
public interface HttpApi {
    ApiResponse handle(ApiRequest request);
}
