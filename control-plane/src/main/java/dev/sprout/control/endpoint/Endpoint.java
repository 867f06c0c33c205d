package dev.sprout.control.endpoint;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Optional;

/**
 * A branch's compute as the control plane sees it now.
 *
 * @param state        running, suspended (stopped after being idle or asked to) or stopped (never started since
 *                     the control plane started, or stopped)
 * @param address      where PostgreSQL listens while running
 * @param lastActivity when a connection last reached it
 */
public record Endpoint(State state, Optional<InetSocketAddress> address, Optional<Instant> lastActivity) {
    public enum State {
        RUNNING,
        SUSPENDED,
        STOPPED
    }

    public static final Endpoint STOPPED = new Endpoint(State.STOPPED, Optional.empty(), Optional.empty());
}
