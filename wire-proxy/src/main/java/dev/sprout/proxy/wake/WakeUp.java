package dev.sprout.proxy.wake;

import dev.sprout.proxy.error.ProxyError;
import dev.sprout.proxy.error.SqlState;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks {@link Endpoints} for a branch's compute until it is ready, with exponential backoff
 * ({@value #FIRST_BACKOFF_MS} ms doubling up to {@value #MAX_BACKOFF_MS} ms) and never past a deadline.
 *
 * <p>Each wake-up runs on its own virtual thread, so a compute that takes seconds to start holds no event loop.
 * The returned future completes with the address, or exceptionally with a {@link ProxyError}:
 * {@link SqlState#INVALID_CATALOG_NAME} for an unknown branch, {@link SqlState#CANNOT_CONNECT_NOW} for a compute
 * that failed or did not become ready in time. Thread-safe.
 */
public final class WakeUp implements AutoCloseable {
    static final long FIRST_BACKOFF_MS = 25;
    static final long MAX_BACKOFF_MS = 1_000;
    private static final Logger LOG = LoggerFactory.getLogger(WakeUp.class);

    private final Endpoints endpoints;
    private final ExecutorService threads = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("sprout-proxy-wake-", 0).factory());

    public WakeUp(Endpoints endpoints) {
        this.endpoints = endpoints;
    }

    /**
     * Wakes {@code branch}'s compute for a connection of PostgreSQL role {@code role}, giving up at {@code deadline}
     * (whose ticker also times the backoff). With {@code askNowFirst}, {@link Endpoints#now} is asked first on the
     * calling thread (the first attempt of a connection; a retry after a refused address goes straight to
     * {@link Endpoints#wake}). A role the branch does not let connect is refused with
     * {@link SqlState#INVALID_AUTHORIZATION_SPECIFICATION} and nothing is woken.
     */
    public CompletableFuture<InetSocketAddress> wake(
            String branch, String role, Deadline deadline, boolean askNowFirst) {
        CompletableFuture<InetSocketAddress> result = new CompletableFuture<>();
        try {
            if (!askNowFirst) {
                return wakeOnThread(branch, role, deadline, result);
            }
            Optional<WakeResult> now = endpoints.now(branch, role);
            if (now.isPresent() && now.get() instanceof WakeResult.Ready ready) {
                result.complete(ready.address()); // a running compute: no thread hop
                return result;
            }
            if (now.isPresent() && now.get() instanceof WakeResult.NotAllowed) {
                result.completeExceptionally(notAllowed(branch, role));
                return result;
            }
        } catch (RuntimeException e) {
            LOG.warn("asking at once for the compute of branch {} failed; waking it", branch, e);
        }
        return wakeOnThread(branch, role, deadline, result);
    }

    private CompletableFuture<InetSocketAddress> wakeOnThread(
            String branch, String role, Deadline deadline, CompletableFuture<InetSocketAddress> result) {
        try {
            threads.execute(() -> {
                try {
                    result.complete(await(branch, role, deadline));
                } catch (ProxyError e) {
                    result.completeExceptionally(e);
                } catch (InterruptedException e) {
                    result.completeExceptionally(new ProxyError(SqlState.ADMIN_SHUTDOWN, "the proxy is shutting down"));
                } catch (RuntimeException e) {
                    LOG.warn("waking the compute of branch {} failed", branch, e);
                    result.completeExceptionally(cannotStart(branch, e.toString()));
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new ProxyError(SqlState.ADMIN_SHUTDOWN, "the proxy is shutting down"));
        }
        return result;
    }

    private InetSocketAddress await(String branch, String role, Deadline deadline) throws InterruptedException {
        long backoff = FIRST_BACKOFF_MS;
        String lastWhy = "it did not answer";
        while (true) {
            switch (endpoints.wake(branch, role)) {
                case WakeResult.Ready ready -> {
                    return ready.address();
                }
                case WakeResult.NoSuchBranch _ ->
                    throw new ProxyError(
                            SqlState.INVALID_CATALOG_NAME,
                            "branch \"" + branch + "\" does not exist",
                            "`sprout branch list` shows the branches.");
                case WakeResult.NotAllowed _ -> throw notAllowed(branch, role);
                case WakeResult.Failed failed -> throw cannotStart(branch, failed.why());
                case WakeResult.Starting starting -> lastWhy = starting.why();
            }
            long left = deadline.leftNanos();
            if (left <= 0) {
                throw new ProxyError(
                        SqlState.CANNOT_CONNECT_NOW,
                        "the compute of branch \"" + branch + "\" did not become ready in time: " + lastWhy,
                        "Try again in a moment.");
            }
            deadline.ticker().sleep(Math.min(backoff, TimeUnit.NANOSECONDS.toMillis(left) + 1), TimeUnit.MILLISECONDS);
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        }
    }

    private static ProxyError notAllowed(String branch, String role) {
        return new ProxyError(
                SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
                "role \"" + role + "\" may not connect to branch \"" + branch + "\"",
                "The branch lets only some roles connect: `sprout branch get " + branch + "` lists them.");
    }

    private static ProxyError cannotStart(String branch, String why) {
        return new ProxyError(
                SqlState.CANNOT_CONNECT_NOW, "the compute of branch \"" + branch + "\" cannot start: " + why);
    }

    /** Stops the wake-ups in progress (their futures complete with {@link SqlState#ADMIN_SHUTDOWN}). */
    @Override
    public void close() {
        threads.shutdownNow();
        try {
            threads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
