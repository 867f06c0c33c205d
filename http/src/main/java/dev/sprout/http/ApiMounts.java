package dev.sprout.http;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pageserver's management API with other APIs mounted beside it, each owning the paths under one prefix
 * ({@code /v1/branches}: the path itself and everything below it). Requests for the other paths go to the
 * management API. Thread-safe; an API may be mounted while the server runs.
 */
public final class ApiMounts implements HttpApi {
    private final HttpApi base;
    private final Map<String, HttpApi> mounts = new ConcurrentHashMap<>();

    public ApiMounts(HttpApi base) {
        this.base = Objects.requireNonNull(base, "base");
    }

    /** Routes {@code prefix} (e.g. {@code /v1/branches}) and the paths below it to {@code api}. */
    public void mount(String prefix, HttpApi api) {
        if (!prefix.startsWith("/") || prefix.endsWith("/")) {
            throw new IllegalArgumentException("prefix: " + prefix + " (expected: /segment[/segment...])");
        }
        mounts.put(prefix, Objects.requireNonNull(api, "api"));
    }

    @Override
    public ApiResponse handle(ApiRequest request) {
        String path = request.path();
        for (var mount : mounts.entrySet()) {
            String prefix = mount.getKey();
            if (path.equals(prefix) || path.startsWith(prefix + "/")) {
                return mount.getValue().handle(request);
            }
        }
        return base.handle(request);
    }
}
