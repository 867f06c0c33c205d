package dev.sprout.protocol.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sprout.protocol.client.ScriptedPageServer.Received;
import dev.sprout.protocol.v1.Absent;
import dev.sprout.protocol.v1.Attach;
import dev.sprout.protocol.v1.ChangeResult;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.CommitResult;
import dev.sprout.protocol.v1.DirEntry;
import dev.sprout.protocol.v1.Empty;
import dev.sprout.protocol.v1.FileAttr;
import dev.sprout.protocol.v1.FileType;
import dev.sprout.protocol.v1.GetAttr;
import dev.sprout.protocol.v1.LookupResult;
import dev.sprout.protocol.v1.Page;
import dev.sprout.protocol.v1.PageRef;
import dev.sprout.protocol.v1.PageWrite;
import dev.sprout.protocol.v1.PagesResult;
import dev.sprout.protocol.v1.PingResult;
import dev.sprout.protocol.v1.PutResult;
import dev.sprout.protocol.v1.ReadDirResult;
import dev.sprout.protocol.v1.Request;
import dev.sprout.protocol.v1.Resize;
import dev.sprout.protocol.v1.Response;
import dev.sprout.protocol.v1.SetAttr;
import dev.sprout.protocol.v1.Status;
import dev.sprout.testkit.ManualClock;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The client against a {@link ScriptedPageServer}: pipelining, typed answers and errors, timeouts, connection
 * loss, reconnect with re-attach, fencing, the in-flight bound and close.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class PageClientTest {
    private static final String TIMELINE = "0b9a4a52-4f6d-4b8e-9a39-3c1c1b5a1f01";
    private static final int PAGE = 8192;

    private ScriptedPageServer server;
    private PageClient client;

    @BeforeEach
    void start() {
        server = ScriptedPageServer.start();
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        server.close();
    }

    private ClientOptions options() {
        return ClientOptions.defaults("127.0.0.1", server.port())
                .withRequestTimeout(Duration.ofSeconds(3))
                .withReconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(40))
                .withMaxReconnectTime(Duration.ofSeconds(3));
    }

    private PageSession attachWriter(PageClient c) throws InterruptedException {
        PageSession s = c.attach(TIMELINE, AttachMode.takeOver()).join();
        server.takeAttach();
        return s;
    }

    private static PageRef ref(long file, int block) {
        return PageRef.newBuilder().setFileId(file).setBlock(block).build();
    }

    private static ByteString page(int fill) {
        byte[] b = new byte[PAGE];
        Arrays.fill(b, (byte) fill);
        return ByteString.copyFrom(b);
    }

    private static PageWrite write(long file, int block, int fill) {
        return PageWrite.newBuilder()
                .setFileId(file)
                .setBlock(block)
                .setData(page(fill))
                .build();
    }

    /** The exception a future failed with, unwrapped from join()'s CompletionException. */
    private static Throwable failure(CompletableFuture<?> f) {
        CompletionException e = assertThrows(CompletionException.class, f::join);
        return e.getCause();
    }

    // ---- pipelining and typed answers ----------------------------------------------------------------------------

    @Test
    void manyRequestsInFlightAreAnsweredOutOfOrderEachWithItsOwnAnswer() throws Exception {
        client = PageClient.connect(options());
        PageSession s = attachWriter(client);
        int n = 200;
        List<CompletableFuture<PagesRead>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(s.getPages(PageSession.SESSION_LSN, List.of(ref(i, i))));
        }
        // All 200 reach the server before it answers any: they are in flight together.
        List<Received> received = new ArrayList<>(server.take(n));
        Set<Long> ids = new HashSet<>();
        for (Received r : received) {
            assertTrue(r.id() >= 1, "request ids start at 1 (0 is the server's)");
            assertTrue(ids.add(r.id()), "id " + r.id() + " used twice");
            assertEquals(s.sessionId(), r.request().getSession());
        }
        Collections.shuffle(received, new Random(42));
        for (Received r : received) {
            PageRef asked = r.request().getGetPages().getPages(0);
            int i = (int) asked.getFileId();
            dev.sprout.protocol.v1.PageResult result = i % 2 == 0
                    ? dev.sprout.protocol.v1.PageResult.newBuilder()
                            .setFound(Page.newBuilder().setData(page(i)).setLsn(1000 + i))
                            .build()
                    : dev.sprout.protocol.v1.PageResult.newBuilder()
                            .setAbsent(Absent.getDefaultInstance())
                            .build();
            r.reply(Response.newBuilder()
                    .setPages(PagesResult.newBuilder().setLsn(5000 + i).addPages(result)));
        }
        for (int i = 0; i < n; i++) {
            PagesRead read = futures.get(i).get(5, TimeUnit.SECONDS);
            assertEquals(5000 + i, read.lsn());
            assertEquals(1, read.pages().size());
            if (i % 2 == 0) {
                PageResult.Found found =
                        assertInstanceOf(PageResult.Found.class, read.pages().getFirst());
                assertEquals(page(i), found.data());
                assertEquals(1000 + i, found.lsn());
            } else {
                assertSame(PageResult.ABSENT, read.pages().getFirst());
            }
        }
    }

    @Test
    void everyOperationSendsItsRequestAndReturnsItsTypedResult() throws Exception {
        client = PageClient.connect(options());
        PageSession s = attachWriter(client);
        assertEquals(1, s.generation());

        var put = s.putPages(List.of(write(7, 0, 1)), List.of());
        Received r = server.take();
        assertEquals(7, r.request().getPutPages().getPages(0).getFileId());
        r.reply(Response.newBuilder().setPut(PutResult.newBuilder().setStagedPages(1)));
        assertEquals(1, put.join());

        var commit = s.commit(
                List.of(write(7, 1, 2)),
                List.of(Resize.newBuilder().setFileId(7).setSize(2 * PAGE).build()));
        r = server.take();
        assertEquals(1, r.request().getCommit().getPagesCount());
        assertEquals(2 * PAGE, r.request().getCommit().getResizes(0).getSize());
        r.reply(Response.newBuilder().setCommitted(CommitResult.newBuilder().setLsn(1234)));
        assertEquals(1234L, commit.join());

        var create = s.create("base/1/16384", 0600, 70, 71);
        r = server.take();
        assertEquals("base/1/16384", r.request().getCreate().getPath());
        assertEquals(0600, r.request().getCreate().getMode());
        r.reply(Response.newBuilder()
                .setChanged(ChangeResult.newBuilder().setLsn(1235).setFileId(99)));
        assertEquals(new Created(99, 1235), create.join());

        var rename = s.rename("a", "b");
        r = server.take();
        assertEquals("b", r.request().getRename().getTo());
        r.reply(Response.newBuilder().setChanged(ChangeResult.newBuilder().setLsn(1236)));
        assertEquals(1236L, rename.join());

        var setAttr = s.setAttr(SetAttr.newBuilder().setPath("b").setMode(0640).build());
        r = server.take();
        assertTrue(r.request().getSetAttr().hasMode());
        assertFalse(r.request().getSetAttr().hasUid(), "unset attributes stay unset");
        r.reply(Response.newBuilder().setChanged(ChangeResult.newBuilder().setLsn(1237)));
        assertEquals(1237L, setAttr.join());

        var byId = s.getAttr(17, 99L);
        r = server.take();
        assertEquals(GetAttr.TargetCase.FILE_ID, r.request().getGetAttr().getTargetCase());
        assertEquals(17, r.request().getGetAttr().getLsn());
        FileAttr attr = FileAttr.newBuilder()
                .setFileId(99)
                .setType(FileType.REGULAR)
                .setSize(PAGE)
                .build();
        r.reply(Response.newBuilder().setAttr(attr));
        assertEquals(attr, byId.join());

        var found = s.lookup(0, "b");
        var missing = s.lookup(0, "nope");
        List<Received> lookups = server.take(2);
        lookups.get(1).refuse(Code.NO_SUCH_FILE, "no file at nope");
        lookups.get(0)
                .reply(Response.newBuilder().setFound(LookupResult.newBuilder().setAttr(attr)));
        assertEquals(Optional.of(attr), found.join());
        assertEquals(Optional.empty(), missing.join(), "NO_SUCH_FILE is an empty lookup, not an error");

        var dir = s.readDir(0, "/");
        r = server.take();
        DirEntry entry = DirEntry.newBuilder()
                .setName("b")
                .setFileId(99)
                .setType(FileType.REGULAR)
                .build();
        r.reply(Response.newBuilder().setEntries(ReadDirResult.newBuilder().addEntries(entry)));
        assertEquals(List.of(entry), dir.join());

        var ping = client.ping();
        r = server.take();
        assertEquals(0, r.request().getSession(), "a client ping names no session");
        r.reply(Response.newBuilder().setPong(PingResult.newBuilder().setLastLsn(4321)));
        assertEquals(4321L, ping.join());

        var detach = s.detach();
        r = server.take();
        assertEquals(Request.OpCase.DETACH, r.request().getOpCase());
        r.reply(Response.newBuilder().setDone(Empty.getDefaultInstance()));
        detach.join();
        assertFalse(s.isOpen());
        assertEquals(
                Code.NOT_ATTACHED,
                assertInstanceOf(RefusedException.class, failure(s.ping())).code());
        s.detach().join(); // idempotent, and the server hears nothing more
        server.expectNothing(Duration.ofMillis(50));
    }

    // ---- errors --------------------------------------------------------------------------------------------------

    @Test
    void refusalsAreTypedAndNameTheRequestAndTheServersSentence() throws Exception {
        client = PageClient.connect(options());
        PageSession s = attachWriter(client);

        var unlink = s.unlink("nope");
        Received r = server.take();
        r.refuse(Code.NO_SUCH_FILE, "no file at nope");
        RefusedException refused = assertInstanceOf(RefusedException.class, failure(unlink));
        assertEquals(Code.NO_SUCH_FILE, refused.code());
        assertEquals(
                "request " + r.id() + " (Unlink) refused with NO_SUCH_FILE: no file at nope", refused.getMessage());

        var wrongKind = s.getPages(0, List.of(ref(1, 0)));
        server.take().reply(Response.newBuilder().setDone(Empty.getDefaultInstance()));
        RefusedException bug = assertInstanceOf(RefusedException.class, failure(wrongKind));
        assertEquals(Code.INTERNAL, bug.code());
        assertTrue(bug.getMessage().contains("answered with DONE, expected PAGES"), bug.getMessage());

        var tooFew = s.getPages(0, List.of(ref(1, 0), ref(1, 1)));
        server.take()
                .reply(Response.newBuilder()
                        .setPages(PagesResult.newBuilder()
                                .addPages(dev.sprout.protocol.v1.PageResult.newBuilder()
                                        .setAbsent(Absent.getDefaultInstance()))));
        assertEquals(
                Code.INTERNAL,
                assertInstanceOf(RefusedException.class, failure(tooFew)).code());
    }

    @Test
    void aFencedSessionStaysFencedWithoutAskingTheServerAgain() throws Exception {
        client = PageClient.connect(options());
        PageSession s = attachWriter(client);
        var commit = s.commit();
        server.take().refuse(Code.FENCED, "timeline was taken over by writer generation 2");
        FencedException fenced = assertInstanceOf(FencedException.class, failure(commit));
        assertEquals(Code.FENCED, fenced.code());
        assertTrue(s.isFenced());

        FencedException again = assertInstanceOf(FencedException.class, failure(s.getPages(0, List.of(ref(1, 0)))));
        assertTrue(again.getMessage().contains("was not sent"), again.getMessage());
        server.expectNothing(Duration.ofMillis(50));
    }

    @Test
    void theStatusFactoryPicksTheException() {
        Status fenced = Status.newBuilder()
                .setCode(Code.FENCED)
                .setMessage("taken over")
                .build();
        assertInstanceOf(FencedException.class, PageServiceException.refusal(fenced, "request 3 (Commit)"));
        RefusedException io = PageServiceException.refusal(
                Status.newBuilder()
                        .setCode(Code.IO_ERROR)
                        .setMessage("disk full")
                        .build(),
                "request 4 (Commit)");
        assertEquals(Code.IO_ERROR, io.code());
        assertEquals("request 4 (Commit) refused with IO_ERROR: disk full", io.getMessage());
        assertThrows(
                IllegalArgumentException.class, () -> PageServiceException.refusal(Status.getDefaultInstance(), "x"));
    }

    @Test
    void aRequestWithoutAnswerTimesOutAndItsLateAnswerIsDropped() throws Exception {
        client = PageClient.connect(options().withRequestTimeout(Duration.ofMillis(200)));
        var ping = client.ping();
        Received r = server.take();
        RequestTimeoutException timeout = assertInstanceOf(RequestTimeoutException.class, failure(ping));
        assertEquals("request " + r.id() + " (Ping) timed out after 200 ms", timeout.getMessage());

        r.reply(Response.newBuilder().setPong(PingResult.newBuilder().setLastLsn(1))); // late: dropped
        var next = client.ping();
        server.take()
                .reply(Response.newBuilder().setPong(PingResult.newBuilder().setLastLsn(2)));
        assertEquals(2L, next.join(), "the connection outlives a timeout");
    }

    @Test
    void anIdZeroAnswerFailsEveryRequestInFlightWithItsCode() throws Exception {
        client = PageClient.connect(options());
        PageSession s = attachWriter(client);
        var a = s.commit();
        var b = s.getPages(0, List.of(ref(1, 0)));
        List<Received> both = server.take(2);
        Received any = both.getFirst();
        any.channel()
                .writeAndFlush(Response.newBuilder()
                        .setId(0)
                        .setStatus(Status.newBuilder()
                                .setCode(Code.MALFORMED_REQUEST)
                                .setMessage("a frame of 3 bytes is not a Request"))
                        .build());

        RefusedException ea = assertInstanceOf(RefusedException.class, failure(a));
        assertEquals(Code.MALFORMED_REQUEST, ea.code());
        assertTrue(ea.getMessage().contains("a frame of 3 bytes is not a Request"), ea.getMessage());
        assertTrue(
                ea.getMessage().contains("(Commit) was in flight; it may or may not have been applied"),
                ea.getMessage());
        assertEquals(
                Code.MALFORMED_REQUEST,
                assertInstanceOf(RefusedException.class, failure(b)).code());

        // MALFORMED_REQUEST leaves the connection open: the next request goes out on it.
        var ping = s.ping();
        server.take()
                .reply(Response.newBuilder().setPong(PingResult.newBuilder().setLastLsn(9)));
        assertEquals(9L, ping.join());
        assertEquals(1, server.connectionsAccepted());
    }

    @Test
    void messageTooLargeFailsWhatIsInFlightWithItsCodeThenTheClientReconnects() throws Exception {
        client = PageClient.connect(options());
        PageSession s = attachWriter(client);
        var put = s.putPages(List.of(write(1, 0, 1)), List.of());
        Received r = server.take();
        r.channel()
                .writeAndFlush(Response.newBuilder()
                        .setId(0)
                        .setStatus(Status.newBuilder()
                                .setCode(Code.MESSAGE_TOO_LARGE)
                                .setMessage("frame of 70000000 bytes exceeds the maximum of 67108864 bytes"))
                        .build())
                .addListener(f -> r.channel().close());
        RefusedException e = assertInstanceOf(RefusedException.class, failure(put));
        assertEquals(Code.MESSAGE_TOO_LARGE, e.code());
        assertTrue(e.getMessage().contains("frame of 70000000 bytes"), e.getMessage());

        assertEquals(1, server.takeAttach().getAttach().getGeneration(), "re-attached on a new connection");
        var ping = s.ping();
        server.take().reply(Response.newBuilder().setPong(PingResult.getDefaultInstance()));
        ping.join();
    }

    @Test
    void anAnswerLongerThanMaxFrameBytesBreaksTheConnectionNamingItsLength() throws Exception {
        client = PageClient.connect(options().withMaxFrameBytes(10_000));
        PageSession s = attachWriter(client);
        var read = s.getPages(0, List.of(ref(1, 0), ref(1, 1)));
        Received r = server.take();
        dev.sprout.protocol.v1.PageResult found = dev.sprout.protocol.v1.PageResult.newBuilder()
                .setFound(Page.newBuilder().setData(page(1)).setLsn(1))
                .build();
        r.reply(Response.newBuilder()
                .setPages(PagesResult.newBuilder().addPages(found).addPages(found)));
        ConnectionLostException e = assertInstanceOf(ConnectionLostException.class, failure(read));
        assertTrue(
                e.getMessage()
                        .matches(".*lost \\(.*TooLongFrameException: frame of \\d+ bytes exceeds the maximum of "
                                + "10000 bytes\\) while request \\d+ \\(GetPages\\) was in flight"),
                e.getMessage());
    }

    @Test
    void anAnswerWithAnUnknownIdIsDropped() throws Exception {
        client = PageClient.connect(options());
        var ping = client.ping();
        Received r = server.take();
        r.channel()
                .writeAndFlush(Response.newBuilder()
                        .setId(r.id() + 1000)
                        .setPong(PingResult.newBuilder().setLastLsn(666))
                        .build());
        r.reply(Response.newBuilder().setPong(PingResult.newBuilder().setLastLsn(7)));
        assertEquals(7L, ping.join());
    }

    @Test
    void anOversizedRequestIsRefusedBeforeItIsSent() throws Exception {
        client = PageClient.connect(options().withMaxFrameBytes(10_000));
        PageSession s = attachWriter(client);
        RefusedException e = assertInstanceOf(
                RefusedException.class, failure(s.putPages(List.of(write(1, 0, 1), write(1, 1, 1)), List.of())));
        assertEquals(Code.MESSAGE_TOO_LARGE, e.code());
        assertTrue(e.getMessage().contains("more than the maximum frame of 10000 bytes"), e.getMessage());
        server.expectNothing(Duration.ofMillis(50));
        var ping = s.ping();
        server.take().reply(Response.newBuilder().setPong(PingResult.getDefaultInstance()));
        ping.join();
    }

    @Test
    void aBrokenResponseStreamFailsWhatIsInFlightAndReconnects() throws Exception {
        client = PageClient.connect(options());
        var ping = client.ping();
        Received r = server.take();
        server.sendRaw(r.channel(), Unpooled.wrappedBuffer(new byte[] {3, (byte) 0xff, (byte) 0xff, (byte) 0xff}));
        ConnectionLostException lost = assertInstanceOf(ConnectionLostException.class, failure(ping));
        assertTrue(lost.getMessage().contains("(Ping) was in flight"), lost.getMessage());

        var next = client.ping();
        Received again = server.take();
        assertNotEquals(r.channel(), again.channel());
        again.reply(Response.newBuilder().setPong(PingResult.getDefaultInstance()));
        next.join();
    }

    // ---- connection loss and reconnect ---------------------------------------------------------------------------

    @Test
    void connectionLossFailsInFlightRequestsAndReattachesEverySessionAsItWas() throws Exception {
        client = PageClient.connect(options());
        PageSession writer = attachWriter(client);
        PageSession reader = client.attach(TIMELINE, AttachMode.at(42)).join();
        server.takeAttach();
        long writerId = writer.sessionId();
        long readerId = reader.sessionId();

        var commit = writer.commit(List.of(write(1, 0, 1)), List.of());
        var read = reader.getPages(0, List.of(ref(1, 0)));
        server.take(2);
        server.dropConnections();

        ConnectionLostException lost = assertInstanceOf(ConnectionLostException.class, failure(commit));
        assertTrue(
                lost.getMessage()
                        .matches("connection to 127\\.0\\.0\\.1:\\d+ lost \\(closed by the server\\) while "
                                + "request \\d+ \\(Commit\\) was in flight; it may or may not have been applied"),
                lost.getMessage());
        assertInstanceOf(ConnectionLostException.class, failure(read));

        // Re-attached in order: the writer resumes generation 1, the reader its LSN.
        Request again = server.takeAttach();
        assertEquals(Attach.Mode.READ_WRITE, again.getAttach().getMode());
        assertEquals(1, again.getAttach().getGeneration());
        again = server.takeAttach();
        assertEquals(Attach.Mode.READ_ONLY, again.getAttach().getMode());
        assertEquals(42, again.getAttach().getLsn());

        var after = writer.getPages(0, List.of(ref(1, 0)));
        var afterRead = reader.getPages(0, List.of(ref(1, 0)));
        for (Received r : server.take(2)) {
            assertTrue(
                    r.request().getSession() != writerId && r.request().getSession() != readerId,
                    "requests carry the new session ids");
            r.reply(Response.newBuilder()
                    .setPages(PagesResult.newBuilder()
                            .addPages(dev.sprout.protocol.v1.PageResult.newBuilder()
                                    .setAbsent(Absent.getDefaultInstance()))));
        }
        after.join();
        afterRead.join();
        assertEquals(1, writer.generation());
        assertEquals(2, server.connectionsAccepted());
    }

    @Test
    void callsMadeWhileReconnectingWaitForTheReattachThenGoOut() throws Exception {
        client = PageClient.connect(options());
        PageSession s = attachWriter(client);
        server.answerAttaches(false);
        server.dropConnections();
        Received reattach = server.take();
        assertEquals(Request.OpCase.ATTACH, reattach.request().getOpCase());

        var read = s.getPages(0, List.of(ref(3, 3)));
        server.expectNothing(Duration.ofMillis(100)); // held back until the session is attached again
        server.attach(reattach);
        Received r = server.take();
        assertEquals(3, r.request().getGetPages().getPages(0).getFileId());
        assertNotEquals(0, r.request().getSession());
        r.reply(Response.newBuilder()
                .setPages(PagesResult.newBuilder()
                        .addPages(dev.sprout.protocol.v1.PageResult.newBuilder()
                                .setAbsent(Absent.getDefaultInstance()))));
        assertSame(PageResult.ABSENT, read.join().pages().getFirst());
    }

    @Test
    void aSessionFencedWhileDisconnectedStaysFencedAndOtherSessionsGoOn() throws Exception {
        client = PageClient.connect(options());
        PageSession writer = attachWriter(client);
        PageSession reader = client.attach(TIMELINE, AttachMode.head()).join();
        server.takeAttach();
        server.takeOver(TIMELINE); // another compute attached read-write meanwhile
        server.dropConnections();
        server.takeAttach();
        server.takeAttach();

        FencedException fenced = assertInstanceOf(FencedException.class, failure(writer.commit()));
        assertTrue(fenced.getMessage().contains("could not resume writer generation 1"), fenced.getMessage());
        assertTrue(writer.isFenced());
        assertInstanceOf(FencedException.class, failure(writer.getPages(0, List.of(ref(1, 0)))));

        var read = reader.ping();
        server.take().reply(Response.newBuilder().setPong(PingResult.getDefaultInstance()));
        read.join();

        server.dropConnections(); // a fenced session is not re-attached again
        Request reattach = server.takeAttach();
        assertEquals(Attach.Mode.READ_ONLY, reattach.getAttach().getMode());
        var ping = reader.ping();
        server.take().reply(Response.newBuilder().setPong(PingResult.getDefaultInstance()));
        ping.join();
        server.expectNoAttach();
    }

    @Test
    void aRequestWaitingForTheReconnectTimesOutAndAStuckReattachIsRetried() throws Exception {
        client = PageClient.connect(options().withRequestTimeout(Duration.ofMillis(300)));
        PageSession s = attachWriter(client);
        server.answerAttaches(false);
        server.dropConnections();
        Received stuck = server.take(); // the re-attach, which the server never answers
        assertEquals(Request.OpCase.ATTACH, stuck.request().getOpCase());

        RequestTimeoutException e = assertInstanceOf(RequestTimeoutException.class, failure(s.ping()));
        assertTrue(
                e.getMessage()
                        .matches("request \\d+ \\(Ping\\) timed out after 300 ms waiting for the connection to "
                                + "127\\.0\\.0\\.1:\\d+ to come back"),
                e.getMessage());

        // The unanswered re-attach timed out too: the client dropped that connection and tries a new one.
        Received retry = server.take();
        assertEquals(Request.OpCase.ATTACH, retry.request().getOpCase());
        assertEquals(1, retry.request().getAttach().getGeneration());
        assertNotEquals(stuck.channel(), retry.channel());
        server.attach(retry);
        var ping = s.ping();
        server.take().reply(Response.newBuilder().setPong(PingResult.getDefaultInstance()));
        ping.join();
    }

    @Test
    void aSessionWhoseReattachIsRefusedFailsWithThatRefusal() throws Exception {
        client = PageClient.connect(options());
        PageSession reader = client.attach(TIMELINE, AttachMode.at(42)).join();
        server.takeAttach();
        server.answerAttaches(false);
        server.dropConnections();
        Received reattach = server.take();
        assertEquals(42, reattach.request().getAttach().getLsn());
        reattach.refuse(Code.LSN_OUT_OF_RANGE, "LSN 42 is below the GC horizon 50");

        RefusedException e = assertInstanceOf(RefusedException.class, failure(reader.getPages(0, List.of(ref(1, 0)))));
        assertEquals(Code.LSN_OUT_OF_RANGE, e.code());
        assertTrue(e.getMessage().contains("could not be re-attached after the reconnect"), e.getMessage());
        assertTrue(e.getMessage().contains("LSN 42 is below the GC horizon 50"), e.getMessage());
        assertFalse(reader.isOpen());
        server.expectNothing(Duration.ofMillis(50));
    }

    @Test
    void pagesStagedOnALostConnectionCannotBeCommittedByHalves() throws Exception {
        client = PageClient.connect(options());
        PageSession s = attachWriter(client);
        var put = s.putPages(List.of(write(1, 0, 1)), List.of());
        server.take().reply(Response.newBuilder().setPut(PutResult.newBuilder().setStagedPages(1)));
        put.join();
        server.dropConnections();
        server.takeAttach();

        ConnectionLostException e = assertInstanceOf(ConnectionLostException.class, failure(s.commit()));
        assertTrue(e.getMessage().contains("were discarded by the server"), e.getMessage());
        assertInstanceOf(ConnectionLostException.class, failure(s.putPages(List.of(write(1, 1, 1)), List.of())));
        server.expectNothing(Duration.ofMillis(50));

        s.resetBatch();
        var commit = s.commit(List.of(write(1, 0, 1)), List.of());
        server.take()
                .reply(Response.newBuilder()
                        .setCommitted(CommitResult.newBuilder().setLsn(77)));
        assertEquals(77L, commit.join());
    }

    @Test
    void aReconnectWaitsForItsBackoffDelayThenReattaches() throws Exception {
        ManualReconnects timer = new ManualReconnects();
        client = PageClient.connect(
                options().withReconnectBackoff(Duration.ofMillis(100), Duration.ofMillis(400)), timer.timer());
        PageSession s = attachWriter(client);
        server.dropConnections();

        Duration delay = timer.next(); // the first attempt: equal jitter, between half the minimum and the minimum
        assertTrue(
                delay.compareTo(Duration.ofMillis(50)) >= 0 && delay.compareTo(Duration.ofMillis(100)) <= 0,
                delay.toString());
        var ping = s.ping(); // waits for the reconnect, which does not happen before its time
        assertEquals(1, server.connectionsAccepted());
        server.expectNoAttach();

        timer.fire(delay);
        assertEquals(1, server.takeAttach().getAttach().getGeneration(), "re-attached on the new connection");
        server.take().reply(Response.newBuilder().setPong(PingResult.getDefaultInstance()));
        ping.join();
        assertEquals(2, server.connectionsAccepted());
        assertTrue(timer.scheduled.isEmpty(), "no further attempt: " + timer.scheduled);
    }

    @Test
    void afterMaxReconnectTimeEveryCallFailsSayingHowLongItTried() throws Exception {
        ManualReconnects timer = new ManualReconnects();
        Duration max = Duration.ofSeconds(1);
        client = PageClient.connect(
                options()
                        .withReconnectBackoff(Duration.ofMillis(100), Duration.ofMillis(400))
                        .withMaxReconnectTime(max),
                timer.timer());
        PageSession s = attachWriter(client);
        var inFlight = s.ping();
        server.take();
        server.close(); // the pageserver is gone for good: connects are refused
        assertTrue(failure(inFlight).getMessage().contains("was in flight"));

        // Each attempt fails; the backoff doubles (with equal jitter) up to its maximum, the last one is cut to what
        // is left of maxReconnectTime, and then the client gives up.
        Duration elapsed = Duration.ZERO;
        Duration backoff = Duration.ofMillis(100);
        int attempts = 0;
        while (elapsed.compareTo(max) < 0) {
            Duration delay = timer.next();
            Duration left = max.minus(elapsed);
            if (delay.equals(left)) {
                assertTrue(delay.compareTo(backoff) <= 0, "cut to the time left: " + delay + " of " + backoff);
            } else {
                assertTrue(
                        delay.compareTo(backoff.dividedBy(2)) >= 0 && delay.compareTo(backoff) <= 0,
                        "attempt " + (attempts + 1) + " after " + delay + ", expected " + backoff.dividedBy(2) + ".."
                                + backoff);
            }
            timer.fire(delay);
            elapsed = elapsed.plus(delay);
            attempts++;
            backoff = backoff.multipliedBy(2).compareTo(Duration.ofMillis(400)) > 0
                    ? Duration.ofMillis(400)
                    : backoff.multipliedBy(2);
        }

        ConnectionLostException e =
                assertInstanceOf(ConnectionLostException.class, failure(s.getPages(0, List.of(ref(1, 0)))));
        assertTrue(
                e.getMessage()
                        .matches("gave up reconnecting to 127\\.0\\.0\\.1:\\d+ after 1000 ms and " + attempts
                                + " attempts \\(last error: .*\\); request \\d+ \\(GetPages\\) was not sent"),
                e.getMessage());
        assertInstanceOf(ConnectionLostException.class, failure(client.ping()));
        assertFalse(s.isOpen());
        assertTrue(timer.scheduled.isEmpty(), "no attempt after giving up: " + timer.scheduled);
        server = ScriptedPageServer.start(); // for stop()
    }

    /**
     * Reconnect timing the test drives: outages are measured on a {@link ManualClock}, and each reconnect attempt
     * waits in a queue with its delay until the test moves the clock by that delay and fires it.
     */
    private static final class ManualReconnects {
        private record Scheduled(Runnable attempt, Duration delay) {}

        final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        final BlockingQueue<Scheduled> scheduled = new LinkedBlockingQueue<>();
        private Scheduled next;

        ReconnectTimer timer() {
            return new ReconnectTimer(clock, (attempt, delay) -> scheduled.add(new Scheduled(attempt, delay)));
        }

        /** The delay of the next attempt the client scheduled (waiting for the client to schedule it). */
        Duration next() throws InterruptedException {
            next = scheduled.poll(5, TimeUnit.SECONDS);
            assertTrue(next != null, "no reconnect attempt was scheduled");
            return next.delay();
        }

        /** Moves the clock by the attempt's delay and runs it. */
        void fire(Duration delay) {
            clock.advance(delay);
            next.attempt().run();
        }
    }

    // ---- in-flight bound, executors, close -----------------------------------------------------------------------

    @Test
    void beyondMaxInFlightACallWaitsForASlot() throws Exception {
        client = PageClient.connect(options().withMaxInFlight(2));
        var first = client.ping();
        var second = client.ping();
        List<Received> two = server.take(2);

        ExecutorService caller = Executors.newSingleThreadExecutor();
        try {
            var third = caller.submit(() -> client.ping());
            server.expectNothing(Duration.ofMillis(100)); // the third caller is blocked
            assertFalse(third.isDone());
            two.getFirst().reply(Response.newBuilder().setPong(PingResult.getDefaultInstance()));
            Received r3 = server.take(); // the first answer's slot went to the third call
            first.join();
            r3.reply(Response.newBuilder().setPong(PingResult.newBuilder().setLastLsn(3)));
            two.get(1).reply(Response.newBuilder().setPong(PingResult.getDefaultInstance()));
            assertEquals(3L, third.get(5, TimeUnit.SECONDS).join());
            second.join();
        } finally {
            caller.shutdownNow();
        }
    }

    @Test
    void aCallbackOnTheEventLoopFailsAtOnceInsteadOfWaitingForASlot() throws Exception {
        client = PageClient.connect(options().withMaxInFlight(2));
        var first = client.ping();
        var second = client.ping();
        // When the first is answered its slot frees: the callback's first call takes it, its second finds none.
        var fromLoop = first.thenApply(v -> List.of(client.ping(), client.ping()));
        List<Received> two = server.take(2);
        two.getFirst().reply(Response.newBuilder().setPong(PingResult.getDefaultInstance()));
        List<CompletableFuture<Long>> calls = fromLoop.get(5, TimeUnit.SECONDS);
        Throwable t = failure(calls.get(1));
        assertInstanceOf(RequestTimeoutException.class, t);
        assertTrue(
                t.getMessage()
                        .contains("all 2 in-flight slots are taken and the caller runs on the client's event loop"),
                t.getMessage());
        Received r = server.take();
        r.reply(Response.newBuilder().setPong(PingResult.newBuilder().setLastLsn(5)));
        assertEquals(5L, calls.getFirst().join());
        two.get(1).reply(Response.newBuilder().setPong(PingResult.getDefaultInstance()));
        second.join();
    }

    @Test
    void aCallbackExecutorCompletesTheFutures() throws Exception {
        ExecutorService callbacks = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-callbacks"));
        try {
            client = PageClient.connect(options().withCallbackExecutor(callbacks));
            var thread = client.ping().thenApply(v -> Thread.currentThread().getName());
            server.take().reply(Response.newBuilder().setPong(PingResult.getDefaultInstance()));
            assertEquals("test-callbacks", thread.get(5, TimeUnit.SECONDS));
        } finally {
            client.close();
            callbacks.shutdownNow();
        }
    }

    @Test
    void closeFailsPendingRequestsIsIdempotentAndRefusesLaterCalls() throws Exception {
        client = PageClient.connect(options());
        PageSession s = attachWriter(client);
        var commit = s.commit();
        Received r = server.take();
        client.close();
        client.close();

        ClientClosedException closed = assertInstanceOf(ClientClosedException.class, failure(commit));
        assertTrue(
                closed.getMessage()
                        .matches("client to 127\\.0\\.0\\.1:\\d+ closed while request \\d+ \\(Commit\\) "
                                + "was in flight; it may or may not have been applied"),
                closed.getMessage());
        ClientClosedException later =
                assertInstanceOf(ClientClosedException.class, failure(s.getPages(0, List.of(ref(1, 0)))));
        assertTrue(later.getMessage().contains("is closed"), later.getMessage());
        assertInstanceOf(ClientClosedException.class, failure(client.attach(TIMELINE, AttachMode.head())));
        assertTrue(r.channel().closeFuture().await(5, TimeUnit.SECONDS), "the connection is closed");
        assertEquals(1, server.connectionsAccepted(), "a closed client does not reconnect");
    }

    @Test
    void connectFailsWithTheAddressWhenNothingListens() {
        int port = server.port();
        server.close();
        ConnectionLostException e = assertThrows(
                ConnectionLostException.class, () -> PageClient.connect(ClientOptions.defaults("127.0.0.1", port)));
        assertTrue(e.getMessage().startsWith("could not connect to 127.0.0.1:" + port), e.getMessage());
        server = ScriptedPageServer.start();
    }

    @Test
    void optionsRefuseNonsenseNamingTheValue() {
        ClientOptions o = ClientOptions.defaults("localhost", 6400);
        assertEquals(
                "maxInFlight: 0 (expected: > 0)",
                assertThrows(IllegalArgumentException.class, () -> o.withMaxInFlight(0))
                        .getMessage());
        assertEquals(
                "port: 70000 (expected: 1..65535)",
                assertThrows(IllegalArgumentException.class, () -> ClientOptions.defaults("h", 70000))
                        .getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> o.withReconnectBackoff(Duration.ofSeconds(2), Duration.ofMillis(1)));
        assertThrows(IllegalArgumentException.class, () -> o.withRequestTimeout(Duration.ZERO));
    }
}
