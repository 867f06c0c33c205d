package dev.sprout.proxy.wake;

import java.net.InetSocketAddress;
import java.util.Objects;

/** What {@link Endpoints#wake} found out about a branch's compute. */
public sealed interface WakeResult {
    /** The compute runs and accepts connections at {@code address}. */
    record Ready(InetSocketAddress address) implements WakeResult {
        public Ready {
            Objects.requireNonNull(address, "address");
        }
    }

    /** No branch has this name. */
    record NoSuchBranch() implements WakeResult {}

    /** The compute is on its way (starting, or busy with something that ends soon): ask again. */
    record Starting(String why) implements WakeResult {}

    /** The role may not connect to this branch (its allow list); nothing was woken. */
    record NotAllowed(String role) implements WakeResult {}

    /** The compute cannot be started; asking again will not help. {@code why} is shown to the client. */
    record Failed(String why) implements WakeResult {}
}
