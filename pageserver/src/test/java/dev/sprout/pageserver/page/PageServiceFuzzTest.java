package dev.sprout.pageserver.page;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
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
import dev.sprout.protocol.v1.PageWrite;
import dev.sprout.protocol.v1.PutPages;
import dev.sprout.protocol.v1.ReadDir;
import dev.sprout.protocol.v1.Rename;
import dev.sprout.protocol.v1.Request;
import dev.sprout.protocol.v1.Resize;
import dev.sprout.protocol.v1.Response;
import dev.sprout.protocol.v1.SetAttr;
import dev.sprout.protocol.v1.Truncate;
import dev.sprout.storage.timeline.TimelineId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input never crashes the server or harms other connections. Sends at least 10,000 frames: random
 * bytes, mutated valid requests (bit flips, cuts, splices, garbage appended), well-formed requests with bad
 * values (wrong page sizes, unknown timelines and sessions, huge blocks and sizes, odd paths), and streams
 * that cannot be resynchronised (oversized lengths, over-long varints, truncated frames). Every well-framed
 * frame must get exactly one answer; afterwards a valid client on another connection reads and writes
 * correctly. The seed is printed; replay with -Dsprout.seed=N.
 */
class PageServiceFuzzTest {
    private static final int FRAMES = 12_000;
    private static final int MAX_MESSAGE = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void tenThousandBadFramesLeaveTheServerServing() throws Exception {
        long seed = Long.getLong("sprout.seed", System.nanoTime());
        System.out.println("PageServiceFuzzTest seed " + seed + " (replay: -Dsprout.seed=" + seed + ")");
        Random rnd = new Random(seed);
        try (Pageserver server = Pageserver.start(PageserverConfig.defaults(dir)
                .withEphemeralPorts()
                .withPageCache(8 << 20)
                .withMaxMessageBytes(MAX_MESSAGE))) {
            TimelineId main = TimelineId.random();
            server.store().createRoot(main, 0, 0);
            TimelineId other = TimelineId.random();
            server.store().createRoot(other, 0, 0);

            String secret = server.credentials().pageService().value();
            // The bystander: attached before the fuzzing, used after it on its own connection.
            try (RawClient good = new RawClient(server.pagePort())) {
                long session = good.call(Request.newBuilder()
                                .setId(1)
                                .setAttach(Attach.newBuilder()
                                        .setCredential(secret)
                                        .setTimelineId(other.toString())
                                        .setMode(Attach.Mode.READ_WRITE))
                                .build())
                        .getAttached()
                        .getSession();
                long file = good.call(Request.newBuilder()
                                .setId(2)
                                .setSession(session)
                                .setCreate(Create.newBuilder().setPath("/data").setMode(0600))
                                .build())
                        .getChanged()
                        .getFileId();

                List<Request> valid = validRequests(rnd, main, secret);
                int sent = 0;
                int answered = 0;
                int brokenStreams = 0;
                while (sent < FRAMES) {
                    try (RawClient c = new RawClient(server.pagePort())) {
                        c.setTimeoutMillis(20_000);
                        int batch = 1 + rnd.nextInt(200);
                        List<byte[]> bodies = new ArrayList<>();
                        for (int i = 0; i < batch && sent < FRAMES; i++) {
                            byte[] b = body(rnd, valid);
                            bodies.add(b);
                            c.sendRaw(frame(b));
                            sent++;
                        }
                        for (int i = 0; i < bodies.size(); i++) {
                            Response r;
                            try {
                                r = c.receive();
                            } catch (java.net.SocketTimeoutException e) {
                                throw new AssertionError(
                                        bodies.size() - i + " of " + bodies.size()
                                                + " frames got no answer; the batch: " + describe(bodies),
                                        e);
                            }
                            assertNotNull(r, "the server closed a connection instead of answering a well-framed frame");
                            if (r.getStatus().getCode() == Code.INTERNAL) {
                                throw new AssertionError("the server failed on a fuzzed frame: "
                                        + r.getStatus().getMessage());
                            }
                            answered++;
                        }
                        if (rnd.nextInt(4) == 0) {
                            Unsyncable u = unsyncable(rnd);
                            c.sendRaw(u.bytes());
                            sent++;
                            brokenStreams++;
                            if (u.answered()) {
                                Response r = c.receive();
                                assertNotNull(r, "an oversized or corrupt length prefix is answered before the close");
                                assertEquals(0, r.getId());
                                assertTrue(
                                        r.getStatus().getCode() == Code.MESSAGE_TOO_LARGE
                                                || r.getStatus().getCode() == Code.MALFORMED_REQUEST,
                                        r::toString);
                                answered++;
                                assertEquals(null, c.receive(), "after an unsyncable frame the server closes");
                            }
                            // A truncated frame gets no answer: the server waits for its end until we close.
                        }
                    }
                }
                System.out.println("PageServiceFuzzTest: " + sent + " frames sent, " + answered + " answered, "
                        + brokenStreams + " unsyncable streams");
                assertTrue(sent >= 10_000);

                // The bystander still reads and writes correctly.
                byte[] page = new byte[8192];
                rnd.nextBytes(page);
                Response commit = good.call(Request.newBuilder()
                        .setId(3)
                        .setSession(session)
                        .setCommit(Commit.newBuilder()
                                .addResizes(Resize.newBuilder().setFileId(file).setSize(8192))
                                .addPages(PageWrite.newBuilder()
                                        .setFileId(file)
                                        .setBlock(0)
                                        .setData(ByteString.copyFrom(page))))
                        .build());
                assertEquals(Code.OK, commit.getStatus().getCode(), commit::toString);
                Response read = good.call(Request.newBuilder()
                        .setId(4)
                        .setSession(session)
                        .setGetPages(GetPages.newBuilder()
                                .addPages(PageRef.newBuilder().setFileId(file).setBlock(0)))
                        .build());
                assertArrayEquals(
                        page, read.getPages().getPages(0).getFound().getData().toByteArray());
            }
            // And a new connection still attaches.
            try (RawClient fresh = new RawClient(server.pagePort())) {
                Response r = fresh.call(Request.newBuilder()
                        .setId(1)
                        .setAttach(Attach.newBuilder()
                                .setCredential(secret)
                                .setTimelineId(main.toString())
                                .setMode(Attach.Mode.READ_ONLY))
                        .build());
                assertEquals(Code.OK, r.getStatus().getCode(), r::toString);
            }
        }
    }

    /** Plausible requests to mutate; several name sessions 1..3, which attaches earlier in a stream may have opened. */
    private static List<Request> validRequests(Random rnd, TimelineId main, String secret) {
        List<Request> out = new ArrayList<>();
        byte[] page = new byte[8192];
        rnd.nextBytes(page);
        long s = 1L + rnd.nextInt(3);
        out.add(Request.newBuilder()
                .setId(5)
                .setAttach(Attach.newBuilder().setTimelineId(main.toString()).setMode(Attach.Mode.READ_WRITE))
                .build());
        out.add(Request.newBuilder()
                .setId(6)
                .setAttach(Attach.newBuilder()
                        .setCredential(secret + "x")
                        .setTimelineId(main.toString())
                        .setMode(Attach.Mode.READ_WRITE))
                .build());
        out.add(Request.newBuilder()
                .setId(7)
                .setAttach(Attach.newBuilder()
                        .setCredential(secret)
                        .setTimelineId(main.toString())
                        .setMode(Attach.Mode.READ_WRITE))
                .build());
        out.add(Request.newBuilder()
                .setId(8)
                .setAttach(Attach.newBuilder()
                        .setCredential(secret)
                        .setTimelineId(main.toString())
                        .setMode(Attach.Mode.READ_ONLY)
                        .setLsn(1))
                .build());
        out.add(Request.newBuilder()
                .setId(9)
                .setAttach(Attach.newBuilder()
                        .setCredential(secret)
                        .setTimelineId(TimelineId.random().toString())
                        .setMode(Attach.Mode.READ_WRITE))
                .build());
        out.add(Request.newBuilder()
                .setId(10)
                .setSession(s)
                .setGetPages(GetPages.newBuilder()
                        .addPages(PageRef.newBuilder().setFileId(2).setBlock(0))
                        .addPages(PageRef.newBuilder().setFileId(2).setBlock(-1)))
                .build());
        out.add(Request.newBuilder()
                .setId(11)
                .setSession(s)
                .setPutPages(PutPages.newBuilder()
                        .addPages(
                                PageWrite.newBuilder().setFileId(2).setBlock(3).setData(ByteString.copyFrom(page)))
                        .addResizes(Resize.newBuilder().setFileId(2).setSize(4 * 8192)))
                .build());
        out.add(Request.newBuilder()
                .setId(12)
                .setSession(s)
                .setCommit(Commit.newBuilder()
                        .addPages(PageWrite.newBuilder()
                                .setFileId(2)
                                .setBlock(1)
                                .setData(ByteString.copyFrom(page, 0, 8000))))
                .build());
        out.add(Request.newBuilder()
                .setId(13)
                .setSession(s)
                .setCommit(Commit.newBuilder()
                        .addResizes(Resize.newBuilder().setFileId(2).setSize(-1)))
                .build());
        out.add(Request.newBuilder()
                .setId(14)
                .setSession(s)
                .setCreate(Create.newBuilder().setPath("/x" + rnd.nextInt(50)).setMode(0600))
                .build());
        out.add(Request.newBuilder()
                .setId(15)
                .setSession(s)
                .setMkdir(Mkdir.newBuilder().setPath("/d/../..").setMode(0700))
                .build());
        out.add(Request.newBuilder()
                .setId(16)
                .setSession(s)
                .setRename(Rename.newBuilder().setFrom("/x1").setTo("/x1/x2"))
                .build());
        out.add(Request.newBuilder()
                .setId(17)
                .setSession(s)
                .setTruncate(Truncate.newBuilder().setPath("/x2").setSize(Long.MAX_VALUE))
                .build());
        out.add(Request.newBuilder()
                .setId(18)
                .setSession(s)
                .setSetAttr(SetAttr.newBuilder().setPath("/x3").setUid(5))
                .build());
        out.add(Request.newBuilder()
                .setId(19)
                .setSession(s)
                .setGetAttr(GetAttr.newBuilder().setFileId(Long.MAX_VALUE).setLsn(-1))
                .build());
        out.add(Request.newBuilder()
                .setId(20)
                .setSession(s)
                .setReadDir(ReadDir.newBuilder().setPath("/\u0000"))
                .build());
        return out;
    }

    private static String describe(List<byte[]> bodies) {
        StringBuilder out = new StringBuilder();
        for (byte[] b : bodies) {
            try {
                out.append("\n  ").append(Request.parseFrom(b).toString().replace('\n', ' '));
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                out.append("\n  (not a Request: ").append(b.length).append(" bytes)");
            }
        }
        return out.toString();
    }

    /** The body of one well-framed frame. */
    private static byte[] body(Random rnd, List<Request> valid) {
        byte[] base = valid.get(rnd.nextInt(valid.size())).toByteArray();
        switch (rnd.nextInt(6)) {
            case 0 -> { // random bytes
                byte[] b = new byte[rnd.nextInt(300)];
                rnd.nextBytes(b);
                return b;
            }
            case 1 -> { // bit flips
                byte[] b = base.clone();
                for (int i = 0, n = 1 + rnd.nextInt(8); i < n && b.length > 0; i++) {
                    b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                }
                return b;
            }
            case 2 -> { // cut short
                return java.util.Arrays.copyOf(base, rnd.nextInt(base.length + 1));
            }
            case 3 -> { // garbage appended: unknown or clashing fields
                byte[] junk = new byte[1 + rnd.nextInt(40)];
                rnd.nextBytes(junk);
                byte[] b = java.util.Arrays.copyOf(base, base.length + junk.length);
                System.arraycopy(junk, 0, b, base.length, junk.length);
                return b;
            }
            case 4 -> { // two requests spliced
                byte[] other = valid.get(rnd.nextInt(valid.size())).toByteArray();
                int cut = rnd.nextInt(base.length + 1);
                byte[] b = java.util.Arrays.copyOf(
                        base, cut + other.length - Math.min(other.length, rnd.nextInt(other.length + 1)));
                System.arraycopy(other, other.length - (b.length - cut), b, cut, b.length - cut);
                return b;
            }
            default -> { // well-formed, bad values
                return base;
            }
        }
    }

    private static byte[] frame(byte[] body) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CodedOutputStream coded = CodedOutputStream.newInstance(out);
        coded.writeUInt32NoTag(body.length);
        coded.writeRawBytes(body);
        coded.flush();
        return out.toByteArray();
    }

    /** A frame the stream cannot recover from: too long, an over-long varint, or a body that never ends. */
    private record Unsyncable(byte[] bytes, boolean answered) {}

    private static Unsyncable unsyncable(Random rnd) throws IOException {
        return switch (rnd.nextInt(3)) {
            case 0 -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                CodedOutputStream coded = CodedOutputStream.newInstance(out);
                coded.writeUInt32NoTag(MAX_MESSAGE + 1 + rnd.nextInt(Integer.MAX_VALUE - MAX_MESSAGE - 1));
                coded.flush();
                yield new Unsyncable(out.toByteArray(), true);
            }
            case 1 ->
                new Unsyncable(
                        new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01}, true);
            default -> {
                byte[] partial = frame(new byte[100]);
                yield new Unsyncable(
                        java.util.Arrays.copyOf(partial, 1 + rnd.nextInt(50)), false); // closed before the rest
            }
        };
    }
}
