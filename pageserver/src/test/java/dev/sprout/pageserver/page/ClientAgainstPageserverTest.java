package dev.sprout.pageserver.page;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.protocol.client.AttachMode;
import dev.sprout.protocol.client.ClientOptions;
import dev.sprout.protocol.client.FencedException;
import dev.sprout.protocol.client.PageClient;
import dev.sprout.protocol.client.PageResult;
import dev.sprout.protocol.client.PageSession;
import dev.sprout.protocol.client.RefusedException;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.PageRef;
import dev.sprout.protocol.v1.PageWrite;
import dev.sprout.protocol.v1.Resize;
import dev.sprout.storage.timeline.TimelineId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Java client against a real pageserver: fencing between two real clients, pipelining, reconnect across a
 * restart. The contract tests run over the page port, over direct calls in the pageserver's process
 * ({@link PageClient#inProcess}), and with one client of each.
 */
class ClientAgainstPageserverTest {
    @TempDir
    Path dir;

    /** How the two clients of a test reach the pageserver. */
    enum Transport {
        TCP,
        IN_PROCESS,
        /** The first client by direct calls, the second through the page port. */
        MIXED;

        PageClient client(Pageserver server, int which, ClientOptions options) {
            boolean direct = this == IN_PROCESS || (this == MIXED && which == 1);
            return direct ? PageClient.inProcess(server.inProcess(), options) : PageClient.connect(options);
        }
    }

    private static ClientOptions options(Pageserver server) {
        return ClientOptions.defaults("127.0.0.1", server.pagePort())
                .withCredential(server.credentials().pageService().value());
    }

    static byte[] page(int seed) {
        byte[] p = new byte[8192];
        java.util.Arrays.fill(p, (byte) seed);
        return p;
    }

    static PageWrite write(long file, int block, byte[] data) {
        return PageWrite.newBuilder()
                .setFileId(file)
                .setBlock(block)
                .setData(ByteString.copyFrom(data))
                .build();
    }

    static byte[] read(PageSession s, long file, int block) {
        PageResult r = s.getPages(
                        PageSession.SESSION_LSN,
                        List.of(PageRef.newBuilder()
                                .setFileId(file)
                                .setBlock(block)
                                .build()))
                .join()
                .pages()
                .getFirst();
        return ((PageResult.Found) r).data().toByteArray();
    }

    private static Throwable cause(CompletableFuture<?> f) {
        CompletionException e = assertThrows(CompletionException.class, f::join);
        return e.getCause();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aClientWithoutThePageserversSecretIsRefusedWithASentence(Transport transport) {
        try (Pageserver server = Pageserver.start(PageserverConfig.defaults(dir).withEphemeralPorts());
                PageClient none = transport.client(server, 1, ClientOptions.defaults("127.0.0.1", server.pagePort()));
                PageClient wrong = transport.client(
                        server,
                        2,
                        ClientOptions.defaults("127.0.0.1", server.pagePort()).withCredential("not-the-secret"))) {
            TimelineId main = TimelineId.random();
            server.store().createRoot(main, 0, 0);
            RefusedException missing = assertInstanceOf(
                    RefusedException.class, cause(none.attach(main.toString(), AttachMode.takeOver())));
            assertEquals(Code.UNAUTHENTICATED, missing.code());
            assertTrue(missing.getMessage().contains("no credential"), missing.getMessage());
            RefusedException refused =
                    assertInstanceOf(RefusedException.class, cause(wrong.attach(main.toString(), AttachMode.head())));
            assertEquals(Code.UNAUTHENTICATED, refused.code());
            assertFalse(
                    ClientOptions.defaults("h", 1)
                            .withCredential("s3cr3t")
                            .toString()
                            .contains("s3cr3t"),
                    "options never print the credential");
            assertEquals(0, server.store().writerGeneration(main), "no writer was let in");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aSecondComputeFencesTheFirstWhichGetsFencedExceptionsAndTheSecondKeepsWorking(Transport transport) {
        try (Pageserver server = Pageserver.start(PageserverConfig.defaults(dir).withEphemeralPorts());
                PageClient first = transport.client(server, 1, options(server));
                PageClient second = transport.client(server, 2, options(server))) {
            TimelineId main = TimelineId.random();
            server.store().createRoot(main, 0, 0);
            PageSession a = first.attach(main.toString(), AttachMode.takeOver()).join();
            long file = a.create("/rel", 0600, 0, 0).join().fileId();
            a.commit(
                            List.of(write(file, 0, page(1))),
                            List.of(Resize.newBuilder()
                                    .setFileId(file)
                                    .setSize(8192)
                                    .build()))
                    .join();

            PageSession b =
                    second.attach(main.toString(), AttachMode.takeOver()).join();
            assertTrue(b.generation() > a.generation());

            Throwable fenced = cause(a.commit(List.of(write(file, 0, page(2))), List.of()));
            assertInstanceOf(FencedException.class, fenced);
            assertTrue(fenced.getMessage().contains("generation " + b.generation()), fenced.getMessage());
            assertTrue(a.isFenced());
            assertInstanceOf(FencedException.class, cause(a.create("/other", 0600, 0, 0)));

            b.commit(List.of(write(file, 0, page(3))), List.of()).join();
            assertArrayEquals(page(3), read(b, file, 0));
            // Many pipelined reads and a commit on the surviving session all answer.
            List<CompletableFuture<?>> inFlight = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                inFlight.add(b.getPages(
                        PageSession.SESSION_LSN,
                        List.of(PageRef.newBuilder().setFileId(file).setBlock(0).build())));
            }
            inFlight.add(b.commit(List.of(write(file, 0, page(4))), List.of()));
            inFlight.forEach(CompletableFuture::join);
            assertArrayEquals(page(4), read(b, file, 0));

            RefusedException unknown = assertInstanceOf(
                    RefusedException.class,
                    cause(second.attach(TimelineId.random().toString(), AttachMode.takeOver())));
            assertEquals(Code.UNKNOWN_TIMELINE, unknown.code());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void anExclusiveAttachIsRefusedWhileAWriterIsConnectedAndSucceedsOnceItsConnectionIsGone(Transport transport) {
        try (Pageserver server = Pageserver.start(PageserverConfig.defaults(dir).withEphemeralPorts());
                PageClient second = transport.client(server, 2, options(server))) {
            TimelineId main = TimelineId.random();
            server.store().createRoot(main, 0, 0);
            PageClient first = transport.client(server, 1, options(server));
            PageSession a =
                    first.attach(main.toString(), AttachMode.exclusive()).join();
            long file = a.create("/rel", 0600, 0, 0).join().fileId();

            RefusedException busy = assertInstanceOf(
                    RefusedException.class, cause(second.attach(main.toString(), AttachMode.exclusive())));
            assertEquals(Code.WRITER_ATTACHED, busy.code());
            assertTrue(busy.getMessage().contains("already has a writer"), busy.getMessage());
            // The refusal changed nothing: the first writer keeps its generation and keeps committing.
            assertFalse(a.isFenced());
            a.commit(
                            List.of(write(file, 0, page(1))),
                            List.of(Resize.newBuilder()
                                    .setFileId(file)
                                    .setSize(8192)
                                    .build()))
                    .join();
            assertEquals(a.generation(), server.store().writerGeneration(main));

            first.close(); // the writer's process is gone: its connection closes and its claim with it
            PageSession b = null;
            for (int i = 0; i < 100 && b == null; i++) {
                try {
                    b = second.attach(main.toString(), AttachMode.exclusive()).join();
                } catch (CompletionException e) {
                    assertEquals(
                            Code.WRITER_ATTACHED,
                            assertInstanceOf(RefusedException.class, e.getCause())
                                    .code());
                    LockSupport.parkNanos(20_000_000);
                }
            }
            assertNotNull(b, "the exclusive attach was still refused 2 s after the first writer disconnected");
            assertTrue(b.generation() > a.generation());
            assertArrayEquals(page(1), read(b, file, 0));
        }
    }

    @Test
    void anInProcessSessionIsRefusedAfterDetachAndAfterThePageserverStops() {
        Pageserver server = Pageserver.start(PageserverConfig.defaults(dir).withEphemeralPorts());
        try (PageClient client = PageClient.inProcess(server.inProcess(), options(server))) {
            TimelineId main = TimelineId.random();
            server.store().createRoot(main, 0, 0);
            PageSession a =
                    client.attach(main.toString(), AttachMode.takeOver()).join();
            long file = a.create("/rel", 0600, 0, 0).join().fileId();
            PageSession b = client.attach(main.toString(), AttachMode.head()).join();
            b.detach().join();
            RefusedException detached = assertInstanceOf(RefusedException.class, cause(b.lookup(0, "/rel")));
            assertEquals(Code.NOT_ATTACHED, detached.code());
            assertTrue(a.lookup(0, "/rel").join().isPresent(), "the other session goes on");

            server.close();
            RefusedException closed = assertInstanceOf(
                    RefusedException.class, cause(a.commit(List.of(write(file, 0, page(1))), List.of())));
            assertEquals(Code.CLOSED, closed.code());
            assertTrue(closed.getMessage().contains("shutting down"), closed.getMessage());
        } finally {
            server.close();
        }
    }

    @Test
    void aSessionSurvivesAPageserverRestartAndIsFencedIfReplacedMeanwhile() throws Exception {
        Pageserver server = Pageserver.start(PageserverConfig.defaults(dir).withEphemeralPorts());
        int pagePort = server.pagePort();
        int httpPort = server.httpPort();
        TimelineId main = TimelineId.random();
        TimelineId other = TimelineId.random();
        server.store().createRoot(main, 0, 0);
        server.store().createRoot(other, 0, 0);
        ClientOptions options = ClientOptions.defaults("127.0.0.1", pagePort)
                .withMaxReconnectTime(Duration.ofSeconds(30))
                .withCredential(server.credentials().pageService().value());
        try (PageClient client = PageClient.connect(options)) {
            PageSession writer =
                    client.attach(main.toString(), AttachMode.takeOver()).join();
            PageSession replaced =
                    client.attach(other.toString(), AttachMode.takeOver()).join();
            long file = writer.create("/f", 0600, 0, 0).join().fileId();
            writer.commit(
                            List.of(write(file, 0, page(7))),
                            List.of(Resize.newBuilder()
                                    .setFileId(file)
                                    .setSize(8192)
                                    .build()))
                    .join();

            server.close();
            server = Pageserver.start(PageserverConfig.defaults(dir).withPorts(pagePort, httpPort));
            // While the client is away, another compute takes `other` over.
            try (PageClient intruder = PageClient.connect(ClientOptions.defaults("127.0.0.1", pagePort)
                    .withCredential(server.credentials().pageService().value()))) {
                intruder.attach(other.toString(), AttachMode.takeOver()).join();
            }
            // The client reconnects by itself and resumes `main` with the generation it holds.
            long lsn = retryUntilReattached(() -> writer.commit(List.of(write(file, 0, page(8))), List.of()));
            assertTrue(lsn > 0);
            assertArrayEquals(page(8), read(writer, file, 0));
            assertInstanceOf(FencedException.class, cause(replaced.create("/x", 0600, 0, 0)));
        } finally {
            server.close();
        }
    }

    /** The first call after the restart may fail with ConnectionLost (it was in flight or sent as the link broke). */
    private static long retryUntilReattached(java.util.function.Supplier<CompletableFuture<Long>> call)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                return call.get().join();
            } catch (CompletionException e) {
                if (!(e.getCause() instanceof dev.sprout.protocol.client.ConnectionLostException)
                        || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }
}
