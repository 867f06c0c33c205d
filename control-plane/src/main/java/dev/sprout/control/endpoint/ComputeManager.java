package dev.sprout.control.endpoint;

import dev.sprout.compute.Compute;
import dev.sprout.compute.ComputeSpec;
import dev.sprout.control.ControlException;
import dev.sprout.protocol.v1.Code;
import dev.sprout.storage.timeline.TimelineId;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The computes of the branches, one at most per branch, started on demand ({@link #wake}) and suspended by their
 * own idle watchdog ({@code ComputeSpec.idleSuspend}).
 *
 * <p>Concurrency: thread-safe. Operations on one branch's compute are serialized by a lock of that branch, so two
 * connections waking the same branch start it once; different branches start in parallel.
 */
public final class ComputeManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ComputeManager.class);

    private final ComputeTemplate template;
    private final Clock clock;
    private final ConcurrentHashMap<String, Running> computes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private record Running(Compute compute, TimelineId timeline, Instant[] lastActivity) {}

    public ComputeManager(ComputeTemplate template, Clock clock) {
        this.template = template;
        this.clock = clock;
    }

    /**
     * The address of {@code branch}'s compute on {@code timeline}, starting or resuming it first. {@code initdb}
     * makes a database cluster when the timeline is empty (the root branch's first start).
     *
     * @throws ControlException {@link Code#COMPUTE_FAILED} when it cannot start
     */
    public InetSocketAddress wake(String branch, TimelineId timeline, boolean initdb) {
        return wake(branch, timeline, initdb, Map.of());
    }

    /**
     * As {@link #wake(String, TimelineId, boolean)}; a compute it starts runs with {@code settings} over the
     * template's (a logical import's compute: bulk-load settings for its life, which ends at the import's finish).
     */
    public InetSocketAddress wake(String branch, TimelineId timeline, boolean initdb, Map<String, String> settings) {
        ReentrantLock lock = lock(branch);
        lock.lock();
        try {
            if (closed) {
                throw new ControlException(Code.COMPUTE_FAILED, "the control plane is shutting down");
            }
            Running r = computes.get(branch);
            if (r != null && !r.timeline.equals(timeline)) {
                stopLocked(branch); // the branch was reset or restored onto another timeline
                r = null;
            }
            try {
                if (r == null) {
                    long started = System.nanoTime();
                    ComputeSpec spec = template.spec(branch, timeline);
                    if (!settings.isEmpty()) {
                        Map<String, String> merged = new LinkedHashMap<>(spec.settings());
                        merged.putAll(settings);
                        spec = spec.withSettings(merged);
                    }
                    Compute c = Compute.start(spec, initdb, clock); // its idle check on the same clock
                    r = new Running(c, timeline, new Instant[] {clock.instant()});
                    computes.put(branch, r);
                    if (closed) { // close() ran meanwhile and may not have seen this compute: stop it here
                        stopLocked(branch);
                        throw new ControlException(Code.COMPUTE_FAILED, "the control plane is shutting down");
                    }
                    LOG.info(
                            "compute of branch {} started on port {} in {} ms",
                            branch,
                            c.port(),
                            (System.nanoTime() - started) / 1_000_000);
                } else if (r.compute.state() != Compute.State.RUNNING) {
                    r.compute.resume();
                }
            } catch (RuntimeException e) {
                throw new ControlException(
                        Code.COMPUTE_FAILED,
                        "the compute of branch \"" + branch + "\" cannot start: " + e.getMessage(),
                        e);
            }
            r.compute.touch();
            r.lastActivity[0] = clock.instant();
            return new InetSocketAddress("127.0.0.1", r.compute.port());
        } finally {
            lock.unlock();
        }
    }

    /**
     * The address of {@code branch}'s compute if it runs now, marking it used; never blocks (no lock, no start).
     * A stale answer is possible (it may suspend a moment later): the caller falls back to {@link #wake}.
     */
    public Optional<InetSocketAddress> runningNow(String branch) {
        Running r = computes.get(branch);
        if (r == null || r.compute.state() != Compute.State.RUNNING) {
            return Optional.empty();
        }
        r.compute.touch();
        r.lastActivity[0] = clock.instant();
        return Optional.of(new InetSocketAddress("127.0.0.1", r.compute.port()));
    }

    /** The running compute of {@code branch}, if any (for a checkpoint before branching from it). */
    public Optional<Compute> running(String branch) {
        Running r = computes.get(branch);
        return r != null && r.compute.state() == Compute.State.RUNNING ? Optional.of(r.compute) : Optional.empty();
    }

    public Endpoint endpoint(String branch) {
        Running r = computes.get(branch);
        if (r == null) {
            return Endpoint.STOPPED;
        }
        boolean running = r.compute.state() == Compute.State.RUNNING;
        return new Endpoint(
                running ? Endpoint.State.RUNNING : Endpoint.State.SUSPENDED,
                running ? Optional.of(new InetSocketAddress("127.0.0.1", r.compute.port())) : Optional.empty(),
                Optional.of(r.lastActivity[0]));
    }

    /** Suspends {@code branch}'s compute (PostgreSQL stops; the next connection starts it again). */
    public void suspend(String branch) {
        ReentrantLock lock = lock(branch);
        lock.lock();
        try {
            Running r = computes.get(branch);
            if (r != null) {
                r.compute.suspend();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Stops {@code branch}'s compute and forgets it; whether it ran. */
    public boolean stop(String branch) {
        ReentrantLock lock = lock(branch);
        lock.lock();
        try {
            return stopLocked(branch);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops the compute of a branch being deleted (on {@code timeline}), and forgets it: PostgreSQL stops at once,
     * without the shutdown checkpoint a fast stop writes, and what it wrote that is not committed is dropped (its
     * data goes with the branch). Its work directory is removed, also when no compute ran in this process.
     */
    public void discard(String branch, TimelineId timeline) {
        ReentrantLock lock = lock(branch);
        lock.lock();
        try {
            Running r = computes.remove(branch);
            if (r != null) {
                r.compute.discard(); // removes its work directory too
            } else {
                Compute.deleteWorkDir(template.spec(branch, timeline));
            }
        } finally {
            lock.unlock();
        }
    }

    private boolean stopLocked(String branch) {
        Running r = computes.remove(branch);
        if (r == null) {
            return false;
        }
        boolean wasRunning = r.compute.state() == Compute.State.RUNNING;
        r.compute.close();
        return wasRunning;
    }

    private ReentrantLock lock(String branch) {
        return locks.computeIfAbsent(branch, b -> new ReentrantLock());
    }

    @Override
    public void close() {
        closed = true;
        for (String branch : computes.keySet()) {
            try {
                stop(branch);
            } catch (RuntimeException e) {
                LOG.warn("stopping the compute of branch {} failed", branch, e);
            }
        }
    }
}
