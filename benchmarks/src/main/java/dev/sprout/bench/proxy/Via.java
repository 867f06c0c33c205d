package dev.sprout.bench.proxy;

import java.util.List;

/**
 * The ways a client reaches the compute in this benchmark. The compute itself offers no TLS, so the direct path is
 * always plain; through the proxy a client may ask for TLS, and libpq's default ({@code sslmode=prefer}) does,
 * because the proxy offers it. PgBouncer, the reference (an established C pooler on the same machine, in session
 * mode), is reached without TLS; it is a path of the run only when the script found or installed it.
 */
enum Via {
    DIRECT("direct", "disable"),
    PROXY("proxy, sslmode=disable", "disable"),
    PROXY_TLS("proxy, sslmode=require", "require"),
    PGBOUNCER("pgbouncer, sslmode=disable", "disable");

    final String label;
    /** libpq's and pgjdbc's {@code sslmode} on this path. */
    final String sslmode;

    Via(String label, String sslmode) {
        this.label = label;
        this.sslmode = sslmode;
    }

    /** Not straight to the compute: through Sprout's proxy or PgBouncer. */
    boolean proxied() {
        return this != DIRECT;
    }

    /** Through Sprout's wire proxy (with or without TLS), whose meters count sessions, bytes and errors. */
    boolean sprout() {
        return this == PROXY || this == PROXY_TLS;
    }

    /** A short name for file names and progress lines. */
    String slug() {
        return switch (this) {
            case DIRECT -> "direct";
            case PROXY -> "proxy";
            case PROXY_TLS -> "proxy-tls";
            case PGBOUNCER -> "pgbouncer";
        };
    }

    int port(ProxyStack stack) {
        return switch (this) {
            case DIRECT -> stack.compute.port();
            case PROXY, PROXY_TLS -> stack.proxy.port();
            case PGBOUNCER -> {
                if (stack.pgbouncer == null) {
                    throw new IllegalStateException("no PgBouncer in this run");
                }
                yield stack.pgbouncer.port();
            }
        };
    }

    /**
     * The order of round {@code round} (from 1) over {@code paths} (in declaration order): round 1 direct first,
     * round 2 the proxy first, and so on.
     */
    static Via[] order(int round, List<Via> paths) {
        Via[] order = new Via[paths.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = paths.get((i + round - 1) % order.length);
        }
        return order;
    }
}
