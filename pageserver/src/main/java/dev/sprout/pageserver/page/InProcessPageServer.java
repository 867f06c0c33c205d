package dev.sprout.pageserver.page;

import dev.sprout.pageserver.auth.Credentials;
import dev.sprout.pageserver.metrics.PageServiceMetrics;
import dev.sprout.protocol.client.InProcessPageService;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.Request;
import dev.sprout.protocol.v1.Response;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The page service for computes in the pageserver's own process: each request runs on its caller's thread
 * (a FUSE thread of the compute), with the same work, credentials, fencing and metrics as a request from a
 * socket ({@link ConnectionRequests}), but no Protobuf encoding, no TCP and no hand-off to the storage pool and
 * back. A session's changes take the session's lock, so they apply one at a time as on a connection; reads run
 * concurrently; commits of several sessions still share a WAL sync in the engine (group commit).
 *
 * <p>Thread-safe.
 */
public final class InProcessPageServer implements InProcessPageService {
    private final PageOperations ops;
    private final Credentials credentials;
    private final Executor pool;
    private final PageServiceMetrics metrics;
    private final AtomicBoolean closed = new AtomicBoolean();

    public InProcessPageServer(PageOperations ops, Credentials credentials, Executor pool, PageServiceMetrics metrics) {
        this.ops = ops;
        this.credentials = credentials;
        this.pool = pool;
        this.metrics = metrics;
    }

    /** Refuses every later request with {@code CLOSED} (the pageserver is stopping). */
    public void close() {
        closed.set(true);
    }

    @Override
    public Connection open() {
        metrics.connectionOpened();
        return new InProcessConnection();
    }

    private final class InProcessConnection implements Connection {
        private final ConnectionRequests requests =
                new ConnectionRequests(ops, credentials, pool, metrics, () -> "this process");
        /** One lock per session: its changes one at a time, in the order their callers took it. */
        private final ConcurrentHashMap<Long, ReentrantLock> changeLocks = new ConcurrentHashMap<>();

        private final AtomicBoolean ended = new AtomicBoolean();

        @Override
        public Response call(Request r) {
            long arrived = System.nanoTime();
            String op = ConnectionRequests.opName(r);
            Response response = answer(r, op);
            Code code = response.hasStatus() ? response.getStatus().getCode() : Code.OK;
            metrics.request(op, code.name(), System.nanoTime() - arrived);
            return response;
        }

        private Response answer(Request r, String op) {
            long id = r.getId();
            if (closed.get() || ended.get()) {
                return ConnectionRequests.refusal(
                        id, Code.CLOSED, closed.get() ? "the pageserver is shutting down" : "the connection is closed");
            }
            return switch (ConnectionRequests.kind(r)) {
                case IMMEDIATE -> requests.immediate(r);
                case ATTACH -> ConnectionRequests.answer(id, op, () -> requests.attach(r, true));
                case READ ->
                    requests.cachedPages(r).orElseGet(() -> ConnectionRequests.answer(id, op, () -> requests.read(r)));
                case CHANGE -> {
                    Session s;
                    try {
                        s = requests.session(r);
                    } catch (ServiceException e) {
                        yield ConnectionRequests.refusal(id, e.code(), e.getMessage());
                    }
                    ReentrantLock lock = changeLocks.computeIfAbsent(s.id, k -> new ReentrantLock());
                    lock.lock();
                    try {
                        yield ConnectionRequests.answer(id, op, () -> requests.change(s, r));
                    } finally {
                        if (s.closed()) {
                            changeLocks.remove(s.id, lock); // detached: no change of it can come any more
                        }
                        lock.unlock();
                    }
                }
            };
        }

        @Override
        public void close() {
            if (ended.compareAndSet(false, true)) {
                metrics.connectionClosed();
                for (Session s : requests.sessions()) { // behind a change under way on another thread, if any
                    ReentrantLock lock = changeLocks.computeIfAbsent(s.id, k -> new ReentrantLock());
                    lock.lock();
                    try {
                        requests.detach(s);
                    } finally {
                        lock.unlock();
                    }
                }
            }
        }
    }
}
