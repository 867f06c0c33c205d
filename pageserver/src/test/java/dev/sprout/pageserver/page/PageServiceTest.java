package dev.sprout.pageserver.page;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.RawClient;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.protocol.v1.Attach;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.Commit;
import dev.sprout.protocol.v1.Create;
import dev.sprout.protocol.v1.GetAttr;
import dev.sprout.protocol.v1.GetPages;
import dev.sprout.protocol.v1.Mkdir;
import dev.sprout.protocol.v1.PageRef;
import dev.sprout.protocol.v1.PageResult;
import dev.sprout.protocol.v1.PageWrite;
import dev.sprout.protocol.v1.PutPages;
import dev.sprout.protocol.v1.ReadDir;
import dev.sprout.protocol.v1.Rename;
import dev.sprout.protocol.v1.Request;
import dev.sprout.protocol.v1.Resize;
import dev.sprout.protocol.v1.Response;
import dev.sprout.protocol.v1.Truncate;
import dev.sprout.protocol.v1.Unlink;
import dev.sprout.storage.timeline.TimelineId;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The page service end to end over a real socket: sessions, pages, namespace, caching, pipelining, refusals. */
class PageServiceTest {
    @TempDir
    Path dir;

    private Pageserver server;
    private final AtomicLong ids = new AtomicLong();
    private TimelineId main;

    @BeforeEach
    void start() {
        server = Pageserver.start(
                PageserverConfig.defaults(dir).withEphemeralPorts().withPageCache(16 << 20));
        main = TimelineId.random();
        server.store().createRoot(main, 0, 0);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    static byte[] page(int seed) {
        byte[] p = new byte[8192];
        for (int i = 0; i < p.length; i++) {
            p[i] = (byte) (seed * 31 + i);
        }
        return p;
    }

    private Request.Builder req(long session) {
        return Request.newBuilder().setId(ids.incrementAndGet()).setSession(session);
    }

    private long attachRw(RawClient c, TimelineId tl) throws Exception {
        Response r =
                ok(c.call(req(0).setAttach(attach().setTimelineId(tl.toString()).setMode(Attach.Mode.READ_WRITE))
                        .build()));
        assertTrue(r.getAttached().getGeneration() > 0);
        return r.getAttached().getSession();
    }

    static Response ok(Response r) {
        assertEquals(
                Code.OK,
                r.getStatus().getCode(),
                () -> "refused: " + r.getStatus().getMessage());
        return r;
    }

    static PageWrite write(long file, int block, byte[] data) {
        return PageWrite.newBuilder()
                .setFileId(file)
                .setBlock(block)
                .setData(ByteString.copyFrom(data))
                .build();
    }

    private PageResult read(RawClient c, long session, long lsn, long file, int block) throws Exception {
        return ok(c.call(req(session)
                        .setGetPages(GetPages.newBuilder()
                                .setLsn(lsn)
                                .addPages(PageRef.newBuilder().setFileId(file).setBlock(block)))
                        .build()))
                .getPages()
                .getPages(0);
    }

    private long create(RawClient c, long session, String path) throws Exception {
        return ok(c.call(req(session)
                        .setCreate(Create.newBuilder().setPath(path).setMode(0600))
                        .build()))
                .getChanged()
                .getFileId();
    }

    private long commit(RawClient c, long session, Commit.Builder commit) throws Exception {
        return ok(c.call(req(session).setCommit(commit).build())).getCommitted().getLsn();
    }

    private static void assertPage(byte[] expected, PageResult r) {
        assertTrue(r.hasFound(), () -> "expected a page, got " + r);
        assertArrayEquals(expected, r.getFound().getData().toByteArray());
    }

    @Test
    void pagesRoundTripThroughStagingCommitCacheAndBranches() throws Exception {
        try (RawClient c = new RawClient(server.pagePort());
                RawClient other = new RawClient(server.pagePort())) {
            long s = attachRw(c, main);
            ok(c.call(req(s).setMkdir(Mkdir.newBuilder().setPath("/base").setMode(0700))
                    .build()));
            long file = create(c, s, "/base/1");

            // Staged pages are neither visible nor durable before Commit.
            assertEquals(
                    2,
                    ok(c.call(req(s).setPutPages(PutPages.newBuilder()
                                            .addResizes(Resize.newBuilder()
                                                    .setFileId(file)
                                                    .setSize(3 * 8192))
                                            .addPages(write(file, 0, page(0)))
                                            .addPages(write(file, 1, page(1))))
                                    .build()))
                            .getPut()
                            .getStagedPages());
            assertTrue(read(c, s, 0, file, 0).hasAbsent(), "a staged page is not visible before its commit");
            long lsn1 = commit(c, s, Commit.newBuilder().addPages(write(file, 2, page(2))));
            for (int round = 0; round < 2; round++) { // a miss that fills the cache, then hits
                assertPage(page(0), read(c, s, 0, file, 0));
                assertPage(page(1), read(c, s, 0, file, 1));
                assertPage(page(2), read(c, s, 0, file, 2));
            }
            assertEquals(lsn1, read(c, s, 0, file, 1).getFound().getLsn());

            long lsn2 = commit(c, s, Commit.newBuilder().addPages(write(file, 1, page(11))));
            assertTrue(lsn2 > lsn1);
            assertPage(page(11), read(c, s, 0, file, 1));
            assertPage(page(1), read(c, s, lsn1, file, 1));

            // A read-only session at lsn1 on another connection sees the old version.
            long ro = ok(other.call(req(0).setAttach(attach().setTimelineId(main.toString())
                                    .setMode(Attach.Mode.READ_ONLY)
                                    .setLsn(lsn1))
                            .build()))
                    .getAttached()
                    .getSession();
            assertPage(page(1), read(other, ro, 0, file, 1));
            Response refused = other.call(req(ro).setCommit(Commit.newBuilder().addPages(write(file, 0, page(5))))
                    .build());
            assertEquals(Code.READ_ONLY, refused.getStatus().getCode());

            // A branch at lsn1 reads through to main's versions and keeps its own writes to itself.
            TimelineId child = TimelineId.random();
            server.store().branch(child, main, lsn1);
            long cs = attachRw(other, child);
            assertPage(page(1), read(other, cs, 0, file, 1));
            commit(other, cs, Commit.newBuilder().addPages(write(file, 1, page(21))));
            assertPage(page(21), read(other, cs, 0, file, 1));
            assertPage(page(11), read(c, s, 0, file, 1));
        }
        String metrics = server.metrics().scrape();
        for (String expected : new String[] {
            "sprout_page_service_requests_seconds_count{code=\"OK\",op=\"get_pages\"}",
            "sprout_page_service_requests_seconds_count{code=\"READ_ONLY\",op=\"commit\"}",
            "sprout_page_service_bytes_in_bytes_total",
            "sprout_page_service_bytes_out_bytes_total",
            "cache_gets_total{cache=\"sprout.page.cache\",result=\"hit\"}",
            "sprout_page_cache_bytes",
            "sprout_page_cache_hit_ratio"
        }) {
            assertTrue(metrics.contains(expected), expected + " missing from /metrics:\n" + metrics);
        }
    }

    @Test
    void afterARestartAReadAtAnOldLsnDoesNotHideNewerVersions() throws Exception {
        long file;
        long lsn1;
        long lsn2;
        try (RawClient c = new RawClient(server.pagePort())) {
            long s = attachRw(c, main);
            file = create(c, s, "/f");
            lsn1 = commit(
                    c,
                    s,
                    Commit.newBuilder()
                            .addResizes(Resize.newBuilder().setFileId(file).setSize(8192))
                            .addPages(write(file, 0, page(1))));
            lsn2 = commit(c, s, Commit.newBuilder().addPages(write(file, 0, page(2))));
        }
        server.close();
        server = Pageserver.start(
                PageserverConfig.defaults(dir).withEphemeralPorts().withPageCache(16 << 20));
        try (RawClient c = new RawClient(server.pagePort())) {
            long s = attachRw(c, main);
            // The new process never saw the commit at lsn2: reading at lsn1 first must not leave an entry that
            // would answer for lsn2 or the head.
            assertPage(page(1), read(c, s, lsn1, file, 0));
            assertPage(page(2), read(c, s, lsn2, file, 0));
            assertPage(page(2), read(c, s, 0, file, 0));
            assertPage(page(1), read(c, s, lsn1, file, 0));
        }
    }

    @Test
    void truncationAndReplacementAreNeverHiddenByTheCache() throws Exception {
        try (RawClient c = new RawClient(server.pagePort())) {
            long s = attachRw(c, main);
            long a = create(c, s, "/a");
            commit(
                    c,
                    s,
                    Commit.newBuilder()
                            .addResizes(Resize.newBuilder().setFileId(a).setSize(3 * 8192))
                            .addPages(write(a, 0, page(0)))
                            .addPages(write(a, 1, page(1)))
                            .addPages(write(a, 2, page(2))));
            for (int b = 0; b < 3; b++) {
                assertPage(page(b), read(c, s, 0, a, b)); // cached now
            }
            ok(c.call(req(s).setTruncate(Truncate.newBuilder().setPath("/a").setSize(8192))
                    .build()));
            assertPage(page(0), read(c, s, 0, a, 0));
            assertTrue(read(c, s, 0, a, 1).hasAbsent(), "a truncated block must not come back from the cache");
            // Re-extend without writing: the cut blocks read as absent (zeros), not as their old images.
            commit(
                    c,
                    s,
                    Commit.newBuilder()
                            .addResizes(Resize.newBuilder().setFileId(a).setSize(3 * 8192)));
            assertTrue(read(c, s, 0, a, 2).hasAbsent());

            // Within one commit: write block 1, shrink below it, grow again: block 1 is absent afterwards.
            commit(c, s, Commit.newBuilder().addPages(write(a, 1, page(7))));
            assertPage(page(7), read(c, s, 0, a, 1));
            ok(c.call(req(s).setPutPages(PutPages.newBuilder().addPages(write(a, 1, page(8))))
                    .build()));
            ok(c.call(req(s).setPutPages(PutPages.newBuilder()
                            .addResizes(Resize.newBuilder().setFileId(a).setSize(8192)))
                    .build()));
            commit(
                    c,
                    s,
                    Commit.newBuilder()
                            .addResizes(Resize.newBuilder().setFileId(a).setSize(2 * 8192)));
            assertTrue(read(c, s, 0, a, 1).hasAbsent(), "block 1 was cut after its write in the same batch");
            assertPage(page(0), read(c, s, 0, a, 0));

            // Rename over a cached file: reads of the replaced file's id no longer return its pages.
            long b = create(c, s, "/b");
            commit(
                    c,
                    s,
                    Commit.newBuilder()
                            .addResizes(Resize.newBuilder().setFileId(b).setSize(8192))
                            .addPages(write(b, 0, page(30))));
            assertPage(page(30), read(c, s, 0, b, 0));
            ok(c.call(req(s).setRename(Rename.newBuilder().setFrom("/a").setTo("/b"))
                    .build()));
            assertEquals(
                    a,
                    ok(c.call(req(s).setGetAttr(GetAttr.newBuilder().setPath("/b"))
                                    .build()))
                            .getAttr()
                            .getFileId());
            Response gone =
                    c.call(req(s).setGetAttr(GetAttr.newBuilder().setFileId(b)).build());
            assertEquals(Code.NO_SUCH_FILE, gone.getStatus().getCode(), gone::toString);
            ok(c.call(req(s).setUnlink(Unlink.newBuilder().setPath("/b")).build()));
            Response listing = ok(
                    c.call(req(s).setReadDir(ReadDir.newBuilder().setPath("/")).build()));
            assertEquals(0, listing.getEntries().getEntriesCount(), listing::toString);
        }
    }

    @Test
    void manyRequestsInFlightAreAnsweredEachWithItsOwnId() throws Exception {
        try (RawClient c = new RawClient(server.pagePort())) {
            long s = attachRw(c, main);
            long f = create(c, s, "/f");
            Commit.Builder commit = Commit.newBuilder()
                    .addResizes(Resize.newBuilder().setFileId(f).setSize(64 * 8192));
            for (int b = 0; b < 64; b++) {
                commit.addPages(write(f, b, page(b)));
            }
            commit(c, s, commit);
            Map<Long, Integer> blockOf = new HashMap<>();
            for (int i = 0; i < 500; i++) {
                Request r = req(s).setGetPages(GetPages.newBuilder()
                                .addPages(PageRef.newBuilder().setFileId(f).setBlock(i % 64)))
                        .build();
                blockOf.put(r.getId(), i % 64);
                c.send(r); // no waiting: all 500 are in flight together
            }
            for (int i = 0; i < 500; i++) {
                Response r = ok(c.receive());
                Integer block = blockOf.remove(r.getId());
                assertNotEquals(null, block, "an answer to an unknown or repeated id " + r.getId());
                assertPage(page(block), r.getPages().getPages(0));
            }
            assertTrue(blockOf.isEmpty());
        }
    }

    @Test
    void anAttachWithoutThePageserversSecretIsRefusedAndOpensNothing() throws Exception {
        String secret = server.credentials().pageService().value();
        try (RawClient c = new RawClient(server.pagePort())) {
            for (Attach.Mode mode : new Attach.Mode[] {Attach.Mode.READ_WRITE, Attach.Mode.READ_ONLY}) {
                Response none = c.call(req(0).setAttach(Attach.newBuilder()
                                .setTimelineId(main.toString())
                                .setMode(mode))
                        .build());
                assertEquals(Code.UNAUTHENTICATED, none.getStatus().getCode(), none::toString);
                assertTrue(
                        none.getStatus().getMessage().contains("carries no credential")
                                && none.getStatus().getMessage().contains("page-service.secret"),
                        none.getStatus().getMessage());
                for (String wrong :
                        new String[] {secret + "x", secret.substring(1), secret.toUpperCase(java.util.Locale.ROOT), " "
                        }) {
                    Response r = c.call(req(0).setAttach(Attach.newBuilder()
                                    .setCredential(wrong)
                                    .setTimelineId(main.toString())
                                    .setMode(mode))
                            .build());
                    assertEquals(Code.UNAUTHENTICATED, r.getStatus().getCode(), r::toString);
                    assertTrue(
                            r.getStatus().getMessage().contains("not this pageserver's"),
                            r.getStatus().getMessage());
                    assertFalse(r.getStatus().getMessage().contains(secret), "a refusal never shows the secret");
                }
            }
            // Nothing was opened: no session to use, and the timeline's writer generation did not move.
            Response read = c.call(req(1).setGetPages(
                            GetPages.newBuilder().addPages(PageRef.newBuilder().setFileId(1)))
                    .build());
            assertEquals(Code.NOT_ATTACHED, read.getStatus().getCode(), read::toString);
            assertEquals(0, server.store().writerGeneration(main));
            // The same connection then attaches with the secret.
            assertTrue(attachRw(c, main) > 0);
        }
    }

    @Test
    void aTimelinesCredentialOpensThatTimelineAndNoOther() throws Exception {
        TimelineId other = TimelineId.random();
        server.store().createRoot(other, 0, 0);
        String mine = server.credentials().forTimeline(main.toString());
        assertFalse(mine.equals(server.credentials().pageService().value()), "not the secret itself");
        assertFalse(mine.equals(server.credentials().forTimeline(other.toString())));
        try (RawClient c = new RawClient(server.pagePort())) {
            for (Attach.Mode mode : new Attach.Mode[] {Attach.Mode.READ_ONLY, Attach.Mode.READ_WRITE}) {
                Response refused = c.call(req(0).setAttach(Attach.newBuilder()
                                .setCredential(mine)
                                .setTimelineId(other.toString())
                                .setMode(mode))
                        .build());
                assertEquals(Code.UNAUTHENTICATED, refused.getStatus().getCode(), refused::toString);
                assertTrue(
                        refused.getStatus().getMessage().contains("nor the credential of timeline " + other),
                        refused.getStatus().getMessage());
                assertFalse(refused.getStatus().getMessage().contains(mine), "a refusal never shows a credential");
            }
            assertEquals(0, server.store().writerGeneration(other), "nothing was opened on the other timeline");
            Response opened = c.call(req(1).setAttach(Attach.newBuilder()
                            .setCredential(mine)
                            .setTimelineId(main.toString())
                            .setMode(Attach.Mode.READ_WRITE))
                    .build());
            assertTrue(opened.hasAttached(), opened::toString);
        }
    }

    @Test
    void refusalsCarryACodeAndASentenceAndTheConnectionGoesOn() throws Exception {
        try (RawClient c = new RawClient(server.pagePort())) {
            Response r = c.call(
                    req(0).setAttach(attach().setTimelineId(TimelineId.random().toString())
                                    .setMode(Attach.Mode.READ_WRITE))
                            .build());
            assertEquals(Code.UNKNOWN_TIMELINE, r.getStatus().getCode());
            r = c.call(req(0).setAttach(attach().setTimelineId("main").setMode(Attach.Mode.READ_WRITE))
                    .build());
            assertEquals(Code.INVALID_ARGUMENT, r.getStatus().getCode());
            assertTrue(
                    r.getStatus().getMessage().contains("\"main\""),
                    r.getStatus().getMessage());
            r = c.call(req(0).setAttach(attach().setTimelineId(main.toString())).build());
            assertEquals(Code.MALFORMED_REQUEST, r.getStatus().getCode(), "attach without a mode");
            r = c.call(req(42).setGetPages(
                            GetPages.newBuilder().addPages(PageRef.newBuilder().setFileId(1)))
                    .build());
            assertEquals(Code.NOT_ATTACHED, r.getStatus().getCode());
            assertTrue(
                    r.getStatus().getMessage().contains("session 42"),
                    r.getStatus().getMessage());
            r = c.call(req(0).build());
            assertEquals(Code.MALFORMED_REQUEST, r.getStatus().getCode(), "a request without an operation");

            long s = attachRw(c, main);
            long f = create(c, s, "/f");
            r = c.call(req(s).setCommit(Commit.newBuilder()
                            .addPages(PageWrite.newBuilder()
                                    .setFileId(f)
                                    .setBlock(0)
                                    .setData(ByteString.copyFrom(new byte[100]))))
                    .build());
            assertEquals(Code.INVALID_PAGE, r.getStatus().getCode());
            assertTrue(
                    r.getStatus().getMessage().contains("100 bytes"),
                    r.getStatus().getMessage());
            r = c.call(req(s).setCommit(Commit.newBuilder().addPages(write(f, 5, page(5))))
                    .build());
            assertEquals(Code.INVALID_PAGE, r.getStatus().getCode(), "a block beyond the file's size: " + r);
            r = c.call(req(s).setCreate(Create.newBuilder().setPath("/f").setMode(0600))
                    .build());
            assertEquals(Code.FILE_EXISTS, r.getStatus().getCode());
            r = c.call(
                    req(s).setCreate(Create.newBuilder().setPath("/no/such/dir").setMode(0600))
                            .build());
            assertEquals(Code.NO_SUCH_FILE, r.getStatus().getCode(), r::toString);

            // A frame that is not a Request: answered with id 0, and the connection still serves.
            c.sendRaw(new byte[] {3, (byte) 0xff, (byte) 0xff, (byte) 0xff});
            r = c.receive();
            assertEquals(0, r.getId());
            assertEquals(Code.MALFORMED_REQUEST, r.getStatus().getCode());
            commit(
                    c,
                    s,
                    Commit.newBuilder()
                            .addResizes(Resize.newBuilder().setFileId(f).setSize(8192))
                            .addPages(write(f, 0, page(9))));
            assertPage(page(9), read(c, s, 0, f, 0));
        }
    }

    @Test
    void anOversizedFrameIsRefusedBeforeItsBodyArrivesAndOthersAreUnharmed() throws Exception {
        try (RawClient bad = new RawClient(server.pagePort());
                RawClient good = new RawClient(server.pagePort())) {
            long s = attachRw(good, main);
            // Announce a 2 GiB - 1 frame and send none of it: the answer must come without the body.
            bad.sendRaw(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07});
            Response r = bad.receive();
            assertEquals(Code.MESSAGE_TOO_LARGE, r.getStatus().getCode());
            assertTrue(
                    r.getStatus().getMessage().contains("2147483647"),
                    r.getStatus().getMessage());
            assertEquals(null, bad.receive(), "the server closes a stream it cannot resynchronise");
            long f = create(good, s, "/f");
            assertTrue(f > 0);
            assertFalse(server.store().timelines().isEmpty());
        }
    }

    @Test
    void aSecondWriterFencesTheFirst() throws Exception {
        try (RawClient first = new RawClient(server.pagePort());
                RawClient second = new RawClient(server.pagePort())) {
            Response a1 = ok(first.call(
                    req(0).setAttach(attach().setTimelineId(main.toString()).setMode(Attach.Mode.READ_WRITE))
                            .build()));
            long s1 = a1.getAttached().getSession();
            long f = create(first, s1, "/f");
            commit(
                    first,
                    s1,
                    Commit.newBuilder()
                            .addResizes(Resize.newBuilder().setFileId(f).setSize(8192))
                            .addPages(write(f, 0, page(1))));
            ok(first.call(req(s1).setPutPages(PutPages.newBuilder().addPages(write(f, 0, page(2))))
                    .build()));

            Response a2 = ok(second.call(
                    req(0).setAttach(attach().setTimelineId(main.toString()).setMode(Attach.Mode.READ_WRITE))
                            .build()));
            assertTrue(a2.getAttached().getGeneration() > a1.getAttached().getGeneration());
            long s2 = a2.getAttached().getSession();

            Response fenced = first.call(req(s1).setCommit(Commit.newBuilder()).build());
            assertEquals(Code.FENCED, fenced.getStatus().getCode());
            assertTrue(
                    fenced.getStatus()
                            .getMessage()
                            .contains("generation " + a2.getAttached().getGeneration()),
                    fenced.getStatus().getMessage());
            assertEquals(
                    Code.FENCED,
                    first.call(req(s1).setCreate(
                                            Create.newBuilder().setPath("/g").setMode(0600))
                                    .build())
                            .getStatus()
                            .getCode());
            // Resuming with the old generation (as a reconnecting client would) is refused too.
            Response resume = first.call(req(0).setAttach(attach().setTimelineId(main.toString())
                            .setMode(Attach.Mode.READ_WRITE)
                            .setGeneration(a1.getAttached().getGeneration()))
                    .build());
            assertEquals(Code.FENCED, resume.getStatus().getCode());

            assertPage(page(1), read(second, s2, 0, f, 0)); // the fenced session's staged page never landed
            commit(second, s2, Commit.newBuilder().addPages(write(f, 0, page(3))));
            assertPage(page(3), read(second, s2, 0, f, 0));
            assertPage(page(3), read(first, s1, 0, f, 0)); // the fenced session may still read
            assertEquals(
                    a2.getAttached().getGeneration(),
                    server.store().writerGeneration(main),
                    "the generation is in the store");
        }
    }

    /** An Attach carrying this pageserver's page-service secret. */
    private Attach.Builder attach() {
        return Attach.newBuilder()
                .setCredential(server.credentials().pageService().value());
    }
}
