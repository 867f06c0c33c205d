package dev.sprout.proxy.wake;

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
}
