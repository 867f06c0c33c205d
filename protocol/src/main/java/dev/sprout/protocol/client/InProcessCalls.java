package dev.sprout.protocol.client;

import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.Request;
import dev.sprout.protocol.v1.Response;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Requests as direct calls into an {@link InProcessPageService}: each call runs on the caller's thread and
 * returns a future already completed, decoded exactly as {@link Dispatcher} decodes an answer from the wire
 * (a refusal fails the future with its {@link RefusedException}; {@code FENCED} fences the session for good).
 * There is no connection to lose, hence no reconnect and no timeout: a call takes as long as its work.
 *
 * <p>Thread-safe: the connection serializes what must be serialized (a session's changes).
 */
final class InProcessCalls implements Calls {
    private final InProcessPageService.Connection connection;
    private final String name;
    private final AtomicLong ids = new AtomicLong(1);
    private final Set<PageSession> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    InProcessCalls(InProcessPageService.Connection connection, String name) {
        this.connection = connection;
        this.name = name;
    }

    @Override
    public <T> CompletableFuture<T> call(
            PageSession session, Request.Builder request, PendingRequest.Decoder<T> decoder) {
        long id = ids.getAndIncrement();
        Request.OpCase op = request.getOpCase();
        String describe = PendingRequest.describe(id, op);
        if (closed.get()) {
            return CompletableFuture.failedFuture(
                    new ClientClosedException("the client of " + name + " was closed; " + describe + " was not sent"));
        }
        if (session != null) {
            Optional<PageServiceException> refusal = session.refusal(describe);
            if (refusal.isPresent()) {
                return CompletableFuture.failedFuture(refusal.get());
            }
            request.setSession(session.sessionId());
        }
        Response response;
        try {
            response = connection.call(request.setId(id).build());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(
                    new RefusedException(Code.INTERNAL, describe + " failed in the pageserver of this process: " + e));
        }
        try {
            T value = PendingRequest.result(op, describe, decoder, response);
            if (op == Request.OpCase.DETACH && session != null) {
                session.markDetached();
                sessions.remove(session);
            }
            return CompletableFuture.completedFuture(value);
        } catch (FencedException fenced) {
            if (session != null) {
                session.markFenced(fenced.getMessage());
                sessions.remove(session);
            }
            return CompletableFuture.failedFuture(fenced);
        } catch (RuntimeException e) { // a refusal, a malformed answer, or a bug of ours
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public PendingRequest.Decoder<PageSession> sessionFactory(PageClient client, String timelineId, AttachMode mode) {
        return response -> {
            PageSession session = new PageSession(client, this, timelineId, mode);
            session.attached(null, response.getAttached());
            sessions.add(session);
            return session;
        };
    }

    @Override
    public void execute(Runnable task) {
        task.run();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            for (PageSession s : sessions) {
                s.markDetached();
            }
            sessions.clear();
            connection.close();
        }
    }
}
