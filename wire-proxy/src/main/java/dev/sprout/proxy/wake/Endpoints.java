package dev.sprout.proxy.wake;

import java.util.Optional;

/**
 * The proxy's view of the control plane: where a branch's compute listens, starting it first when it is suspended.
 * The control plane implements it; the proxy calls it from a virtual thread, so an implementation may block while
 * the compute starts. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface Endpoints {
    /**
     * Finds (and wakes, if need be) the compute of {@code branch}, a valid branch name.
     *
     * @return {@link WakeResult.Ready} with its address, {@link WakeResult.NoSuchBranch},
     *         {@link WakeResult.Starting} to be asked again shortly, or {@link WakeResult.Failed}
     */
    WakeResult wake(String branch) throws InterruptedException;

    /**
     * {@link #wake} for a connection of PostgreSQL role {@code role}: {@link WakeResult.NotAllowed}, without waking
     * anything, when the branch does not let that role connect. By default every role may.
     */
    default WakeResult wake(String branch, String role) throws InterruptedException {
        return wake(branch);
    }

    /** {@link #now} for a connection of PostgreSQL role {@code role}; as {@link #wake(String, String)} says. */
    default Optional<WakeResult> now(String branch, String role) {
        return now(branch);
    }

    /**
     * The answer for {@code branch} if it can be given at once, without blocking (a compute that runs now), else
     * empty. The proxy asks this on its event loop before {@link #wake}, which saves the hop to a thread that may
     * block and back, about a millisecond of every connection's set-up on a busy machine. An answer here may be
     * stale a moment later (the compute suspended meanwhile): the proxy then fails to connect and calls
     * {@link #wake}. Must not block: no I/O beyond memory.
     */
    default Optional<WakeResult> now(String branch) {
        return Optional.empty();
    }
}
