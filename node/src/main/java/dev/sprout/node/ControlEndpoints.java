package dev.sprout.node;

import dev.sprout.control.ControlException;
import dev.sprout.control.ControlPlane;
import dev.sprout.protocol.PastPoint;
import dev.sprout.proxy.wake.Endpoints;
import dev.sprout.proxy.wake.WakeResult;
import java.util.Objects;
import java.util.Optional;

/**
 * The proxy's {@link Endpoints} over the control plane: a running compute is answered at once ({@link #now}, on the
 * proxy's event loop), else the control plane starts or resumes it ({@link #wake}). The control plane's refusals
 * become the proxy's answers: an unknown or invalid name is {@link WakeResult.NoSuchBranch}, anything else
 * {@link WakeResult.Failed} with the reason (the cause's sentence when there is one, which says what PostgreSQL or
 * the mount said).
 *
 * <p>A branch with an allow list of roles ({@code sprout branch roles}) is woken, or answered, only for those roles.
 * A target {@code NAME@POINT} ({@link PastPoint}) wakes the read-only compute of that point
 * ({@link ControlPlane#wakeAt}), always through {@link #wake} (resolving a time to an LSN reads the store).
 *
 * <p>Thread-safe: the control plane is.
 */
public final class ControlEndpoints implements Endpoints {
    private final ControlPlane control;

    public ControlEndpoints(ControlPlane control) {
        this.control = Objects.requireNonNull(control, "control");
    }

    @Override
    public WakeResult wake(String branch) {
        try {
            Optional<PastPoint> point = PastPoint.parse(branch);
            return new WakeResult.Ready(point.isPresent() ? control.wakeAt(point.get()) : control.wake(branch));
        } catch (IllegalArgumentException e) { // the proxy checks targets first; a caller that did not is told why
            return new WakeResult.Failed(e.getMessage());
        } catch (ControlException e) {
            return switch (e.code()) {
                case UNKNOWN_BRANCH, INVALID_NAME -> new WakeResult.NoSuchBranch();
                default ->
                    new WakeResult.Failed(
                            e.getCause() != null && e.getCause().getMessage() != null
                                    ? e.getCause().getMessage()
                                    : e.getMessage());
            };
        }
    }

    @Override
    public Optional<WakeResult> now(String branch) {
        if (PastPoint.names(branch)) {
            return Optional.empty();
        }
        return control.runningNow(branch).map(WakeResult.Ready::new);
    }

    /** As {@link #wake(String)}, after the branch's allow list of roles: a role it does not list wakes nothing. */
    @Override
    public WakeResult wake(String branch, String role) {
        try {
            String name = PastPoint.names(branch) ? branch.substring(0, branch.indexOf('@')) : branch;
            if (!control.admits(name, role)) {
                return new WakeResult.NotAllowed(role);
            }
        } catch (ControlException e) {
            return wake(branch); // an unknown or invalid name: answered as such there
        }
        return wake(branch);
    }

    @Override
    public Optional<WakeResult> now(String branch, String role) {
        Optional<WakeResult> running = now(branch);
        if (running.isEmpty()) {
            return running; // wake(branch, role) checks the allow list
        }
        // From memory only (this runs on the proxy's event loop); not known yet: the wake path reads it.
        return control.admitsNow(branch, role)
                .map(admitted -> admitted ? running.get() : new WakeResult.NotAllowed(role));
    }
}
