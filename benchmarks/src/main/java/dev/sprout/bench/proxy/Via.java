package dev.sprout.bench.proxy;

/**
 * The three ways a client reaches the compute in this benchmark. The compute itself offers no TLS, so the
 * direct path is always plain; through the proxy a client may ask for TLS, and libpq's default
 * ({@code sslmode=prefer}) does, because the proxy offers it.
 */
enum Via {
    DIRECT("direct", "disable"),
    PROXY("proxy, sslmode=disable", "disable"),
    PROXY_TLS("proxy, sslmode=require", "require");

    final String label;
    /** libpq's and pgjdbc's {@code sslmode} on this path. */
    final String sslmode;

    Via(String label, String sslmode) {
        this.label = label;
        this.sslmode = sslmode;
    }

    boolean proxied() {
        return this != DIRECT;
    }

    /** A short name for file names and progress lines. */
    String slug() {
        return switch (this) {
            case DIRECT -> "direct";
            case PROXY -> "proxy";
            case PROXY_TLS -> "proxy-tls";
        };
    }

    int port(ProxyStack stack) {
        return proxied() ? stack.proxy.port() : stack.compute.port();
    }

    /** The order of round {@code round} (from 1): round 1 direct first, round 2 the proxy first, and so on. */
    static Via[] order(int round) {
        Via[] all = values();
        Via[] order = new Via[all.length];
        for (int i = 0; i < all.length; i++) {
            order[i] = all[(i + round - 1) % all.length];
        }
        return order;
    }
}
