package dev.sprout.node.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sprout.http.Secret;
import dev.sprout.node.PageserverMain;
import dev.sprout.pageserver.RawClient;
import dev.sprout.pageserver.auth.Credentials;
import dev.sprout.protocol.v1.Attach;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.Commit;
import dev.sprout.protocol.v1.GetPages;
import dev.sprout.protocol.v1.PageRef;
import dev.sprout.protocol.v1.PageResult;
import dev.sprout.protocol.v1.PageWrite;
import dev.sprout.protocol.v1.Request;
import dev.sprout.protocol.v1.Response;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.StoreOptions;
import dev.sprout.storage.page.PageBatch;
import dev.sprout.storage.timeline.TimelineId;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Commit answer means synced: a real pageserver process is killed with SIGKILL while three clients stream
 * synced commits to three timelines, 20 times. After each restart every acknowledged commit is present at its
 * LSN, whole, and the head of each timeline holds one whole batch (an acknowledged one, or a later one that was
 * committed but whose answer the kill swallowed): no batch is ever partly visible.
 */
class PageserverKillTest {
    private static final int ROUNDS = 20;
    private static final int WRITERS = 3;
    private static final int BLOCKS = 8;

    @TempDir
    Path dir;

    private record Ack(long seq, long lsn) {}

    @Test
    void everyAcknowledgedCommitSurvivesSigkill() throws Exception {
        long seed = Long.getLong("sprout.seed", System.nanoTime());
        System.out.println("PageserverKillTest seed " + seed);
        Random rnd = new Random(seed);
        Path data = dir.resolve("data");
        TimelineId[] timelines = new TimelineId[WRITERS];
        long[] files = new long[WRITERS];
        try (PageStore store = PageStore.open(StoreOptions.defaults(data))) {
            for (int w = 0; w < WRITERS; w++) {
                timelines[w] = TimelineId.random();
                store.createRoot(timelines[w], 0, 0);
                files[w] = store.create(timelines[w], "/f", 0600, 0, 0).fileId();
                PageBatch batch = new PageBatch(timelines[w]).resize(files[w], BLOCKS * 8192L);
                for (int b = 0; b < BLOCKS; b++) {
                    batch.write(files[w], b, page(w, 0, b));
                }
                store.commit(batch);
            }
        }
        long[] nextSeq = new long[WRITERS];
        Arrays.fill(nextSeq, 1);
        long acknowledged = 0;
        long unacknowledgedButCommitted = 0;
        List<List<Ack>> previous = null;
        for (int round = 0; round <= ROUNDS; round++) {
            try (Child child = Child.start(data, dir.resolve("round-" + round))) {
                if (previous != null) {
                    // The restart after a kill: check everything the killed process acknowledged.
                    try (RawClient c = new RawClient(child.pagePort)) {
                        AtomicLong ids = new AtomicLong();
                        for (int w = 0; w < WRITERS; w++) {
                            Response attached = c.call(Request.newBuilder()
                                    .setId(ids.incrementAndGet())
                                    .setAttach(Attach.newBuilder()
                                            .setCredential(child.secret)
                                            .setTimelineId(timelines[w].toString())
                                            .setMode(Attach.Mode.READ_ONLY))
                                    .build());
                            assertEquals(Code.OK, attached.getStatus().getCode(), attached::toString);
                            long session = attached.getAttached().getSession();
                            List<Ack> acks = previous.get(w);
                            for (Ack ack : acks) {
                                assertBatch(
                                        read(c, ids, session, files[w], ack.lsn()),
                                        w,
                                        ack.seq(),
                                        "after kill " + round + ": acknowledged commit " + ack + " of writer " + w);
                            }
                            long lastAcked = acks.isEmpty()
                                    ? nextSeq[w] - 1
                                    : acks.getLast().seq();
                            List<PageResult> head = read(c, ids, session, files[w], 0);
                            long headSeq = ByteBuffer.wrap(
                                            head.getFirst().getFound().getData().toByteArray())
                                    .getLong(8);
                            assertTrue(
                                    headSeq >= lastAcked,
                                    "after kill " + round + ": writer " + w + " head holds batch " + headSeq
                                            + ", older than the acknowledged " + lastAcked);
                            assertBatch(head, w, headSeq, "after kill " + round + ": head of writer " + w);
                            acknowledged += acks.size();
                            unacknowledgedButCommitted += headSeq - lastAcked;
                            nextSeq[w] = headSeq + 1;
                        }
                    }
                }
                if (round == ROUNDS) {
                    break;
                }
                List<List<Ack>> acks = new ArrayList<>();
                List<Thread> writers = new ArrayList<>();
                for (int w = 0; w < WRITERS; w++) {
                    List<Ack> mine = new CopyOnWriteArrayList<>();
                    acks.add(mine);
                    int writer = w;
                    long first = nextSeq[w];
                    writers.add(Thread.ofPlatform()
                            .start(() -> write(
                                    child.pagePort,
                                    child.secret,
                                    timelines[writer],
                                    files[writer],
                                    writer,
                                    first,
                                    mine)));
                }
                // Kill once every writer is streaming (a cold JVM takes a moment to answer its first commit).
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (acks.stream().anyMatch(List::isEmpty) && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                Thread.sleep(50 + rnd.nextInt(400));
                child.kill();
                for (Thread t : writers) {
                    t.join(30_000);
                }
                previous = acks;
            }
        }
        System.out.println("PageserverKillTest: " + ROUNDS + " SIGKILLs, " + acknowledged
                + " acknowledged commits all present and whole; " + unacknowledgedButCommitted
                + " committed batches whose answer the kill swallowed, found whole");
        assertTrue(
                acknowledged >= ROUNDS * WRITERS,
                "too few commits were acknowledged to prove anything: " + acknowledged);
    }

    /** Streams synced commits until the connection dies; records each acknowledged (seq, LSN). */
    private static void write(
            int port, String secret, TimelineId tl, long file, int writer, long firstSeq, List<Ack> acks) {
        try (RawClient c = new RawClient(port)) {
            Response attached = c.call(Request.newBuilder()
                    .setId(1)
                    .setAttach(Attach.newBuilder()
                            .setCredential(secret)
                            .setTimelineId(tl.toString())
                            .setMode(Attach.Mode.READ_WRITE))
                    .build());
            if (attached.getStatus().getCode() != Code.OK) {
                System.err.println("writer " + writer + ": attach refused: " + attached.getStatus());
                return;
            }
            long session = attached.getAttached().getSession();
            for (long seq = firstSeq; ; seq++) {
                Commit.Builder commit = Commit.newBuilder();
                for (int b = 0; b < BLOCKS; b++) {
                    commit.addPages(PageWrite.newBuilder()
                            .setFileId(file)
                            .setBlock(b)
                            .setData(ByteString.copyFrom(page(writer, seq, b))));
                }
                Response r = c.call(Request.newBuilder()
                        .setId(seq + 1)
                        .setSession(session)
                        .setCommit(commit)
                        .build());
                if (r.getStatus().getCode() != Code.OK) {
                    System.err.println("writer " + writer + ": commit refused: " + r.getStatus());
                    return;
                }
                acks.add(new Ack(seq, r.getCommitted().getLsn()));
            }
        } catch (IOException expected) {
            // the pageserver was killed
        }
    }

    private static List<PageResult> read(RawClient c, AtomicLong ids, long session, long file, long lsn)
            throws IOException {
        GetPages.Builder g = GetPages.newBuilder().setLsn(lsn);
        for (int b = 0; b < BLOCKS; b++) {
            g.addPages(PageRef.newBuilder().setFileId(file).setBlock(b));
        }
        Response r = c.call(Request.newBuilder()
                .setId(ids.incrementAndGet())
                .setSession(session)
                .setGetPages(g)
                .build());
        assertEquals(Code.OK, r.getStatus().getCode(), r::toString);
        return r.getPages().getPagesList();
    }

    private static void assertBatch(List<PageResult> pages, int writer, long seq, String what) {
        for (int b = 0; b < BLOCKS; b++) {
            PageResult p = pages.get(b);
            assertTrue(p.hasFound(), what + ": block " + b + " is missing");
            byte[] expected = page(writer, seq, b);
            if (!Arrays.equals(expected, p.getFound().getData().toByteArray())) {
                long found =
                        ByteBuffer.wrap(p.getFound().getData().toByteArray()).getLong(8);
                throw new AssertionError(what + ": block " + b + " holds batch " + found + ", expected batch " + seq);
            }
        }
    }

    /** Page {@code block} of batch {@code seq} of one writer: a header naming them, then bytes derived from them. */
    static byte[] page(int writer, long seq, int block) {
        byte[] p = new byte[8192];
        new Random(writer * 1_000_003L + seq * 31 + block).nextBytes(p);
        ByteBuffer.wrap(p).putLong(writer).putLong(seq).putInt(block);
        return p;
    }

    /** A pageserver in its own JVM, started with --ready-file; {@link #kill} sends SIGKILL. */
    private static final class Child implements AutoCloseable {
        final Process process;
        final int pagePort;
        /** The child's page-service secret, read from the file it made in the data directory. */
        final String secret;

        private Child(Process process, int pagePort, String secret) {
            this.secret = secret;
            this.process = process;
            this.pagePort = pagePort;
        }

        static Child start(Path data, Path logs) throws Exception {
            Path ready = logs.resolveSibling(logs.getFileName() + ".ready");
            // The child's temporary directory is the test's: RocksDB unpacks its 15 MB native library there, and a
            // JVM killed with SIGKILL cannot delete it, so it goes with the test's directory instead of piling up.
            Path tmp = Files.createDirectories(logs.resolveSibling("tmp"));
            List<String> cmd = List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED",
                    "-Xmx256m",
                    "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1",
                    "-Djava.io.tmpdir=" + tmp,
                    "-cp",
                    System.getProperty("java.class.path"),
                    PageserverMain.class.getName(),
                    "--data-dir",
                    data.toString(),
                    "--page-port",
                    "0",
                    "--http-port",
                    "0",
                    "--gc-interval",
                    "0s",
                    "--page-cache",
                    "8MiB",
                    "--ready-file",
                    ready.toString());
            Process p = new ProcessBuilder(cmd)
                    .redirectOutput(
                            logs.resolveSibling(logs.getFileName() + ".out").toFile())
                    .redirectError(
                            logs.resolveSibling(logs.getFileName() + ".err").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(ready)) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    throw new AssertionError("the pageserver did not start: "
                            + Files.readString(logs.resolveSibling(logs.getFileName() + ".err")));
                }
                Thread.sleep(10);
            }
            return new Child(
                    p,
                    Integer.parseInt(Files.readString(ready).trim().split(" ", -1)[0]),
                    Secret.read(Credentials.pageServiceFile(data)));
        }

        void kill() {
            process.destroyForcibly(); // SIGKILL on Linux
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the killed pageserver to exit", e);
            }
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                kill();
            }
        }
    }
}
