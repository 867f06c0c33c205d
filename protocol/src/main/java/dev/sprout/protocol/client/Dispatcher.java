package dev.sprout.protocol.client;

import dev.sprout.protocol.tls.TlsContexts;
import dev.sprout.protocol.v1.Attach;
import dev.sprout.protocol.v1.AttachResult;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.Detach;
import dev.sprout.protocol.v1.Request;
import dev.sprout.protocol.v1.Response;
import dev.sprout.protocol.v1.Status;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslHandler;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heart of a {@link PageClient}: the connection's state machine, which writes requests, matches answers to
 * them, and reconnects, re-attaching every open session. The requests themselves (slots, in flight, waiting,
 * timeouts, completion) are kept by a {@link RequestTable}.
 *
 * <pre>
 *   Ready ──channel closed──▶ Reconnecting ──connected──▶ Reattaching ──every session answered──▶ Ready
 *                               ▲   │ maxReconnectTime        │ closed, an attach timed out,
 *                               │   ▼ elapsed                 │ or refused for now (CLOSED, IO_ERROR, ...)
 *                               │  GaveUp (terminal)          │
 *                               └─────────────────────────────┘
 *   any state ──close()──▶ Closed (terminal)
 * </pre>
 *
 * <p>In Ready, a request is written at once. In Reconnecting and Reattaching it waits (in call order) and is
 * written once every session is attached again, so it carries the session's new id; its deadline keeps running.
 * A request in flight when the connection closes fails with {@link ConnectionLostException}; it is never resent,
 * since the server may have applied it.
 *
 * <p>Concurrency: {@link #call} and {@link #close} are thread-safe. Everything else, and every mutable field,
 * belongs to the event loop: {@code call} only takes an in-flight slot and hands the request over with
 * {@link EventLoop#execute}, so no lock is needed and requests of one thread are written in call order.
 */
final class Dispatcher implements Calls {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

    private final ClientOptions options;
    private final Bootstrap bootstrap;
    private final EventLoop loop;
    private final ReconnectTimer timer;
    private final RequestTable requests;
    private final long requestTimeoutNanos;
    private final AtomicLong ids = new AtomicLong(1); // 0 is the server's id for connection-level errors
    private final AtomicBoolean closing = new AtomicBoolean();

    // ---- event loop only ----
    /** Open sessions, re-attached in this order after a reconnect. PageSession has identity equality. */
    private final Set<PageSession> sessions = new LinkedHashSet<>();

    private State state = new Closed();
    private int reattachesOutstanding;
    private Channel toFlush;
    private final Runnable flushTask = this::flush;
    /** Why the current channel is being closed, when we know better than "closed by the server". */
    private String lastCloseCause;

    /** Where the client's connection stands. */
    private sealed interface State {}

    /** Connected; every open session is attached on this channel. */
    private record Ready(Channel channel) implements State {}

    /** No connection; a connect attempt is scheduled or running. */
    private record Reconnecting(Outage outage) implements State {}

    /** Connected again; waiting for the re-attach of every open session before sending anything else. */
    private record Reattaching(Channel channel, Outage outage) implements State {}

    /** Reconnecting took longer than {@code maxReconnectTime}: every call fails with {@code reason}. */
    private record GaveUp(String reason) implements State {}

    /** Closed by {@link #close}, or not started. */
    private record Closed() implements State {}

    /** One period without a usable connection: since when, how many attempts, why the last one failed. */
    private final class Outage {
        final Instant since = timer.clock().instant();
        int attempts;
        long nextDelayNanos;
        String lastError;

        Outage(long firstDelayNanos, String cause) {
            this.nextDelayNanos = firstDelayNanos;
            this.lastError = cause;
        }

        long elapsedNanos() {
            return nanos(Duration.between(since, timer.clock().instant()));
        }

        long elapsedMillis() {
            return TimeUnit.NANOSECONDS.toMillis(elapsedNanos());
        }
    }

    Dispatcher(ClientOptions options, Bootstrap bootstrap, EventLoop loop, ReconnectTimer timer) {
        this.options = options;
        this.timer = timer;
        this.bootstrap = bootstrap;
        this.loop = loop;
        this.requests = new RequestTable(options, loop);
        this.requestTimeoutNanos = nanos(options.requestTimeout());
    }

    /** Connects for the first time (no retries: an address that does not answer now is the caller's problem). */
    void start() {
        ChannelFuture connect = bootstrap.connect();
        connect.awaitUninterruptibly();
        if (!connect.isSuccess()) {
            throw new ConnectionLostException(
                    "could not connect to " + options.address() + " within "
                            + options.connectTimeout().toMillis() + " ms: " + connect.cause(),
                    connect.cause());
        }
        Channel channel = connect.channel();
        SslHandler tls = channel.pipeline().get(SslHandler.class);
        if (tls != null) { // a first connect succeeds with its handshake, or fails saying why
            var handshake = tls.handshakeFuture();
            if (!handshake.awaitUninterruptibly(options.connectTimeout().toMillis())) {
                channel.close();
                throw new ConnectionLostException(
                        "TLS handshake with " + options.address() + " did not finish within "
                                + options.connectTimeout().toMillis() + " ms",
                        null);
            }
            if (!handshake.isSuccess()) {
                channel.close();
                throw new ConnectionLostException(
                        TlsContexts.handshakeFailure(
                                options.address(), options.tlsTrustAnchor().orElseThrow(), handshake.cause()),
                        handshake.cause());
            }
        }
        boolean active = loop.submit(() -> {
                    if (channel.isActive()) {
                        state = new Ready(channel); // a close from now on reaches onClosed and reconnects
                    }
                    return channel.isActive();
                })
                .syncUninterruptibly()
                .getNow();
        if (!active) {
            throw new ConnectionLostException(
                    options.address() + " closed the connection as soon as it was made", null);
        }
        log.debug("connected to {}", options.address());
    }

    // ---- calls (any thread) ---------------------------------------------------------------------------------------

    /**
     * Sends a request and returns the future of its decoded answer. Waits for an in-flight slot when
     * {@code maxInFlight} requests are pending (see {@link PageClient}); never waits otherwise.
     */
    @Override
    public <T> CompletableFuture<T> call(
            PageSession session, Request.Builder request, PendingRequest.Decoder<T> decoder) {
        long start = System.nanoTime();
        PendingRequest<T> p = new PendingRequest<>(
                ids.getAndIncrement(), session, request, decoder, false, start, requestTimeoutNanos);
        if (closing.get()) {
            return CompletableFuture.failedFuture(closedBeforeSending(p));
        }
        Optional<Throwable> refused = requests.acquire(p);
        if (refused.isPresent()) {
            return CompletableFuture.failedFuture(refused.get());
        }
        try {
            loop.execute(() -> submit(p));
        } catch (RejectedExecutionException e) {
            requests.release();
            return CompletableFuture.failedFuture(closedBeforeSending(p));
        }
        return p.future;
    }

    /** Runs {@code task} on the event loop, behind every call already made by this thread. */
    @Override
    public void execute(Runnable task) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            log.debug("client to {} is closed; dropping a task", options.address());
        }
    }

    // ---- sending (event loop) ------------------------------------------------------------------------------------

    private void submit(PendingRequest<?> p) {
        if (!requests.startTimer(p)) {
            return;
        }
        // A change that would complete a batch the server dropped with an earlier connection is refused here, in
        // call order, so a resetBatch() made after it cannot let it through.
        if (p.session != null) {
            Optional<ConnectionLostException> lost = p.session.stagingLost(p);
            if (lost.isPresent()) {
                fail(p, lost.get());
                return;
            }
        }
        dispatch(p);
    }

    private void dispatch(PendingRequest<?> p) {
        switch (state) {
            case Ready r -> write(r.channel(), p);
            case Reattaching r -> {
                if (p.internal) {
                    write(r.channel(), p);
                } else {
                    requests.await(p);
                }
            }
            case Reconnecting r -> requests.await(p);
            case GaveUp g ->
                fail(p, new ConnectionLostException(g.reason() + "; " + p.describe() + " was not sent", null));
            case Closed c -> fail(p, closedBeforeSending(p));
        }
    }

    private void write(Channel channel, PendingRequest<?> p) {
        PageSession s = p.session;
        long sessionId = 0;
        if (s != null) {
            if (p.op == Request.OpCase.DETACH) {
                sessions.remove(s);
                if (!s.detachFrom(channel)) {
                    succeed(p, null); // nothing is open on the server: detached already
                    return;
                }
            } else {
                Optional<PageServiceException> refused = s.refusal(p);
                if (refused.isPresent()) {
                    fail(p, refused.get());
                    return;
                }
            }
            sessionId = s.sessionId();
        }
        Request request = p.request.setSession(sessionId).build();
        int size = request.getSerializedSize();
        if (size > options.maxFrameBytes()) {
            fail(
                    p,
                    new RefusedException(
                            Code.MESSAGE_TOO_LARGE,
                            p.describe() + " is " + size + " bytes, more than the maximum frame of "
                                    + options.maxFrameBytes() + " bytes; it was not sent"));
            return;
        }
        requests.sent(p);
        if (s != null) {
            s.noteSent(p.op);
        }
        channel.write(request, channel.voidPromise());
        scheduleFlush(channel);
    }

    /**
     * One flush per burst: the flush runs as the next task of this loop iteration, after the writes already
     * queued, so a lone request is flushed at once and a burst of N shares one syscall.
     */
    private void scheduleFlush(Channel channel) {
        if (toFlush == null) {
            loop.execute(flushTask);
        } else if (toFlush != channel) {
            toFlush.flush();
        }
        toFlush = channel;
    }

    private void flush() {
        Channel channel = toFlush;
        toFlush = null;
        if (channel != null) {
            channel.flush();
        }
    }

    // ---- answers (event loop) ------------------------------------------------------------------------------------

    void onResponse(Response response) {
        long id = response.getId();
        if (id == 0) {
            connectionRefused(response.getStatus());
            return;
        }
        Optional<PendingRequest<?>> p = requests.answered(id);
        if (p.isEmpty()) {
            log.debug(
                    "dropping the answer to request {} from {}: it is not in flight (timed out, or never sent)",
                    id,
                    options.address());
            if (response.hasAttached() && state instanceof Ready r) {
                detachOrphan(r.channel(), response.getAttached().getSession());
            }
            return;
        }
        answer(p.get(), response);
    }

    private <T> void answer(PendingRequest<T> p, Response response) {
        T value;
        try {
            value = PendingRequest.result(p.op, p.describe(), p.decoder, response);
        } catch (FencedException fenced) {
            if (p.session != null) {
                p.session.markFenced(fenced.getMessage());
                sessions.remove(p.session);
            }
            fail(p, fenced);
            return;
        } catch (RuntimeException e) { // a refusal, a malformed answer, or a bug of ours
            fail(p, e);
            return;
        }
        succeed(p, value);
    }

    /**
     * The server's answer with id 0: it refused a frame it could not tie to a request (an unparseable frame, or
     * one too large). Which request it was cannot be told, so every request in flight fails with the code; the
     * server closes the connection after MESSAGE_TOO_LARGE, and the reconnect follows.
     */
    private void connectionRefused(Status status) {
        log.warn(
                "{} refused a frame on the connection: {} {}",
                options.address(),
                status.getCode(),
                status.getMessage());
        if (status.getCode() == Code.OK) {
            return;
        }
        Optional<Channel> channel = currentChannel();
        for (PendingRequest<?> p : requests.takeInFlight(p -> !p.internal)) {
            fail(
                    p,
                    new RefusedException(
                            status.getCode(),
                            options.address() + " refused a frame on the connection with "
                                    + status.getCode() + ": " + status.getMessage() + "; " + p.describe()
                                    + " was in flight"
                                    + outcome(p)));
        }
        if (requests.anyInFlight()) {
            channel.ifPresent(Channel::close); // re-attaches in flight: start over on a fresh connection
        }
    }

    private <T> void succeed(PendingRequest<T> p, T value) {
        requests.succeed(p, value);
    }

    private void fail(PendingRequest<?> p, Throwable error) {
        requests.fail(p, error);
    }

    // ---- sessions (event loop) -----------------------------------------------------------------------------------

    /** The decoder of a user's Attach: registers the new session on the connection that answered. */
    @Override
    public PendingRequest.Decoder<PageSession> sessionFactory(PageClient client, String timelineId, AttachMode mode) {
        return response -> {
            PageSession session = new PageSession(client, this, timelineId, mode);
            session.attached(currentChannel().orElse(null), response.getAttached());
            sessions.add(session);
            return session;
        };
    }

    /** An Attach answered after its caller stopped waiting opened a session nobody holds: close it. */
    private void detachOrphan(Channel channel, long sessionId) {
        log.debug(
                "detaching session {} on {}: its Attach timed out before the answer came",
                sessionId,
                options.address());
        Request request = Request.newBuilder()
                .setId(ids.getAndIncrement())
                .setSession(sessionId)
                .setDetach(Detach.getDefaultInstance())
                .build();
        channel.write(request, channel.voidPromise());
        scheduleFlush(channel); // its answer is dropped like any unknown id
    }

    // ---- connection loss and reconnect (event loop) --------------------------------------------------------------

    /** The frame stream broke (unparseable frame, corrupt length, I/O error): close; the reconnect follows. */
    void onBrokenStream(Channel channel, Throwable cause) {
        if (currentChannel().orElse(null) == channel) {
            log.debug("connection to {} failed: {}", options.address(), cause.toString());
            lastCloseCause = cause.toString();
        }
        channel.close();
    }

    void onClosed(Channel channel) {
        Outage outage;
        switch (state) {
            case Ready r
            when r.channel() == channel -> outage = new Outage(nanos(options.reconnectBackoffMin()), closeCause());
            case Reattaching r
            when r.channel() == channel -> {
                outage = r.outage();
                outage.lastError = closeCause();
            }
            default -> {
                return; // a channel we already left behind
            }
        }
        lastCloseCause = null;
        state = new Reconnecting(outage);
        log.warn(
                "connection to {} lost ({}); reconnecting for up to {} ms",
                options.address(),
                outage.lastError,
                options.maxReconnectTime().toMillis());
        for (PageSession s : sessions) {
            s.connectionLost(options.address());
        }
        for (PendingRequest<?> p : requests.takeInFlight(p -> true)) {
            fail(
                    p,
                    new ConnectionLostException(
                            "connection to " + options.address() + " lost (" + outage.lastError + ") while "
                                    + p.describe() + " was in flight" + outcome(p),
                            null));
        }
        scheduleReconnect(outage);
    }

    private String closeCause() {
        return lastCloseCause != null ? lastCloseCause : "closed by the server";
    }

    private static String outcome(PendingRequest<?> p) {
        return Ops.changesState(p.op) ? "; it may or may not have been applied" : "";
    }

    private void scheduleReconnect(Outage outage) {
        if (!(state instanceof Reconnecting r && r.outage() == outage)) {
            return; // closed meanwhile (by a callback of a request failed with the connection)
        }
        long remaining = nanos(options.maxReconnectTime()) - outage.elapsedNanos();
        if (remaining <= 0) {
            giveUp(outage);
            return;
        }
        long delay = outage.nextDelayNanos;
        long max = nanos(options.reconnectBackoffMax());
        outage.nextDelayNanos = delay > max / 2 ? max : delay * 2;
        // Equal jitter: computes that lost the same pageserver do not all knock at once.
        long jittered = delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
        timer.scheduler()
                .schedule(
                        () -> {
                            if (loop.inEventLoop()) {
                                attemptReconnect(outage);
                            } else {
                                execute(() -> attemptReconnect(outage));
                            }
                        },
                        Duration.ofNanos(Math.min(jittered, remaining)));
    }

    private void attemptReconnect(Outage outage) {
        if (!(state instanceof Reconnecting r && r.outage() == outage)) {
            return;
        }
        outage.attempts++;
        ChannelFuture connect = bootstrap.connect();
        connect.addListener(f -> {
            if (loop.inEventLoop()) {
                connected(outage, connect);
            } else {
                execute(() -> connected(outage, connect));
            }
        });
    }

    private void connected(Outage outage, ChannelFuture connect) {
        if (!(state instanceof Reconnecting r && r.outage() == outage)) {
            connect.channel().close(); // closed (or otherwise moved on) while connecting
            return;
        }
        if (!connect.isSuccess()) {
            outage.lastError = String.valueOf(connect.cause());
            log.debug("reconnect attempt {} to {} failed: {}", outage.attempts, options.address(), outage.lastError);
            scheduleReconnect(outage);
            return;
        }
        Channel channel = connect.channel();
        if (sessions.isEmpty()) {
            ready(channel, outage);
            return;
        }
        state = new Reattaching(channel, outage);
        reattachesOutstanding = sessions.size();
        for (PageSession s : List.copyOf(sessions)) {
            reattach(channel, s);
        }
    }

    /** Attaches {@code s} again: a writer with the generation it holds, a reader at its LSN. */
    private void reattach(Channel channel, PageSession s) {
        Attach attach = s.reattachRequest(options.credential());
        PendingRequest<AttachResult> p = new PendingRequest<>(
                ids.getAndIncrement(),
                null,
                Request.newBuilder().setAttach(attach),
                Response::getAttached,
                true,
                System.nanoTime(),
                requestTimeoutNanos);
        p.future.whenComplete((result, error) -> reattached(channel, s, result, error));
        submit(p);
    }

    private void reattached(Channel channel, PageSession s, AttachResult result, Throwable error) {
        if (!(state instanceof Reattaching r && r.channel() == channel)) {
            return; // this connection is gone; the next one re-attaches again
        }
        switch (error) {
            case null -> s.attached(channel, result);
            case FencedException f -> {
                s.markFenced("session on timeline " + s.timelineId() + " could not resume writer generation "
                        + s.generation() + " after the reconnect: " + f.getMessage());
                sessions.remove(s);
            }
            case RefusedException e
            when isTransient(e.code()) -> {
                log.warn("re-attach of a session on timeline {} refused for now: {}", s.timelineId(), e.getMessage());
                lastCloseCause = e.getMessage();
                channel.close(); // try again on the next connection
                return;
            }
            case RefusedException e -> {
                s.markLost(
                        e.code(),
                        "session on timeline " + s.timelineId() + " could not be re-attached after the " + "reconnect: "
                                + e.getMessage());
                sessions.remove(s);
            }
            default -> {
                lastCloseCause = error.getMessage();
                channel.close(); // timed out (or lost): the close restarts the reconnect
                return;
            }
        }
        if (--reattachesOutstanding == 0) {
            ready(channel, r.outage());
        }
    }

    /** Refusals of a re-attach that a later attempt may not meet; the others end the session. */
    private static boolean isTransient(Code code) {
        return switch (code) {
            case CLOSED, IO_ERROR, OVERLOADED, INTERNAL, MESSAGE_TOO_LARGE, MALFORMED_REQUEST -> true;
            case OK,
                    UNKNOWN_TIMELINE,
                    TIMELINE_EXISTS,
                    TIMELINE_HAS_CHILDREN,
                    LSN_OUT_OF_RANGE,
                    INVALID_PAGE,
                    INVALID_NAME,
                    INVALID_ARGUMENT,
                    NO_SUCH_FILE,
                    FILE_EXISTS,
                    NOT_A_DIRECTORY,
                    IS_A_DIRECTORY,
                    DIRECTORY_NOT_EMPTY,
                    FENCED,
                    WRITER_ATTACHED,
                    NOT_ATTACHED,
                    READ_ONLY,
                    UNKNOWN_BRANCH,
                    BRANCH_EXISTS,
                    BRANCH_HAS_CHILDREN,
                    COMPUTE_FAILED,
                    UNAUTHENTICATED,
                    PERMISSION_DENIED,
                    RATE_LIMITED,
                    UNKNOWN_TOKEN,
                    BRANCH_PROTECTED,
                    UNRECOGNIZED -> false;
        };
    }

    private void ready(Channel channel, Outage outage) {
        state = new Ready(channel);
        log.info(
                "reconnected to {} after {} ms and {} attempts; {} sessions re-attached, {} requests waiting",
                options.address(),
                outage.elapsedMillis(),
                outage.attempts,
                sessions.size(),
                requests.waitingCount());
        for (PendingRequest<?> p : requests.takeWaiting()) {
            dispatch(p); // in call order (those that timed out while waiting left the queue then)
        }
    }

    private void giveUp(Outage outage) {
        String reason = "gave up reconnecting to " + options.address() + " after " + outage.elapsedMillis() + " ms and "
                + outage.attempts + " attempts (last error: " + outage.lastError + ")";
        log.error(reason);
        state = new GaveUp(reason);
        for (PageSession s : sessions) {
            s.markDisconnected(reason);
        }
        sessions.clear();
        for (PendingRequest<?> p : requests.takeWaiting()) {
            fail(p, new ConnectionLostException(reason + "; " + p.describe() + " was not sent", null));
        }
    }

    // ---- close ---------------------------------------------------------------------------------------------------

    /** Fails every pending and later call with {@link ClientClosedException} and closes the connection. Idempotent. */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        if (loop.inEventLoop()) {
            closeOnLoop();
        } else {
            try {
                loop.submit(this::closeOnLoop).awaitUninterruptibly();
            } catch (RejectedExecutionException e) {
                log.debug("event loop of the client to {} already shut down", options.address());
            }
        }
    }

    private void closeOnLoop() {
        Optional<Channel> channel = currentChannel();
        state = new Closed();
        for (PageSession s : sessions) {
            s.markDetached();
        }
        sessions.clear();
        for (PendingRequest<?> p : requests.takeInFlight(p -> true)) {
            fail(
                    p,
                    new ClientClosedException("client to " + options.address() + " closed while " + p.describe()
                            + " was in flight" + outcome(p)));
        }
        for (PendingRequest<?> p : requests.takeWaiting()) {
            fail(p, closedBeforeSending(p));
        }
        channel.ifPresent(Channel::close);
    }

    /** The channel requests go to, if connected. */
    private Optional<Channel> currentChannel() {
        return switch (state) {
            case Ready r -> Optional.of(r.channel());
            case Reattaching r -> Optional.of(r.channel());
            case Reconnecting r -> Optional.empty();
            case GaveUp g -> Optional.empty();
            case Closed c -> Optional.empty();
        };
    }

    private ClientClosedException closedBeforeSending(PendingRequest<?> p) {
        return new ClientClosedException(
                "client to " + options.address() + " is closed; " + p.describe() + " was not sent");
    }

    /** A duration in nanoseconds, saturated (Duration.toNanos throws beyond 292 years). */
    private static long nanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
