package dev.sprout.node;

import dev.sprout.control.ControlException;
import dev.sprout.control.ControlPlane;
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
            return new WakeResult.Ready(control.wake(branch));
        } catch (ControlException e) {
            return switch (e.code()) {
                case UNKNOWN_BRANCH, INVALID_NAME -> new WakeResult.NoSuchBranch();
                default -> new WakeResult.Failed(e.getCause() != null && e.getCause().getMessage() != null
                        ? e.getCause().getMessage() : e.getMessage());
            };
        }
    }

    @Override
    public Optional<WakeResult> now(String branch) {
        return control.runningNow(branch).map(WakeResult.Ready::new);
    }
}
