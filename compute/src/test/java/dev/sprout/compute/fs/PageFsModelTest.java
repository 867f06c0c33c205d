package dev.sprout.compute.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.protocol.client.AttachMode;
import dev.sprout.protocol.client.ClientOptions;
import dev.sprout.protocol.client.PageClient;
import dev.sprout.protocol.client.PageSession;
import dev.sprout.storage.timeline.TimelineId;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PageFs}'s data path (its page cache and write-back buffer: partial pages, writes past the end, truncation
 * down and up, commits forced by a small dirty limit, fsync) against a plain byte array per file, over a real
 * pageserver. Random operations; after each read the bytes must equal the model's, and after {@code syncAll} a new
 * {@code PageFs} on a new session (nothing cached) must read exactly the model. Replay a failure with
 * {@code -Dsprout.seed=N}.
 */
class PageFsModelTest {
    private static final int FILES = 3;
    private static final int OPS = 3_000;
    /** Files stay under 40 pages, so that writes and truncations often meet the same pages. */
    private static final int MAX_SIZE = 40 * PageFs.PAGE_SIZE;

    @TempDir
    Path dir;

    @Test
    void randomWritesTruncatesAndReadsMatchAByteArrayAndSurviveANewSession() {
        long seed = Long.getLong("sprout.seed", System.nanoTime());
        System.out.println("PageFsModelTest seed " + seed + " (replay: -Dsprout.seed=" + seed + ")");
        Random rnd = new Random(seed);
        try (Pageserver server = Pageserver.start(
                        PageserverConfig.defaults(dir.resolve("pages")).withEphemeralPorts());
                PageClient client = PageClient.connect(ClientOptions.defaults("127.0.0.1", server.pagePort())
                        .withCredential(server.credentials().pageService().value()))) {
            TimelineId timeline = TimelineId.random();
            server.store().createRoot(timeline, 0, 0);
            PageFs fs = open(client, timeline);
            List<Long> ids = new ArrayList<>();
            byte[][] model = new byte[FILES][];
            for (int f = 0; f < FILES; f++) {
                ids.add(fs.create("/f" + f, 0600));
                model[f] = new byte[0];
            }
            for (int op = 0; op < OPS; op++) {
                int f = rnd.nextInt(FILES);
                long id = ids.get(f);
                String what = "seed " + seed + ", op " + op + ", file " + f;
                int kind = rnd.nextInt(100);
                if (kind < 45) { // write: often inside one page, sometimes across pages or past the end
                    int offset = rnd.nextInt(MAX_SIZE - 1);
                    int length = 1 + rnd.nextInt(rnd.nextBoolean() ? 600 : 3 * PageFs.PAGE_SIZE);
                    length = Math.min(length, MAX_SIZE - offset);
                    byte[] data = new byte[length];
                    rnd.nextBytes(data);
                    assertEquals(length, fs.write(id, ByteBuffer.wrap(data), length, offset), what);
                    if (offset + length > model[f].length) {
                        model[f] = Arrays.copyOf(model[f], offset + length); // a hole reads as zeros
                    }
                    System.arraycopy(data, 0, model[f], offset, length);
                } else if (kind < 55) { // truncate: down, or up (the new bytes read as zeros)
                    int size = rnd.nextInt(MAX_SIZE);
                    fs.truncate(id, size);
                    model[f] = Arrays.copyOf(model[f], size);
                } else if (kind < 90) { // read a range, sometimes running past the end
                    int offset = rnd.nextInt(MAX_SIZE);
                    int length = 1 + rnd.nextInt(2 * PageFs.PAGE_SIZE);
                    assertRead(fs, id, model[f], offset, length, what);
                } else if (kind < 97) {
                    fs.fsync(id);
                } else {
                    fs.syncAll();
                }
                if (op % 500 == 499) {
                    // Everything synced, then read back through a new session and a new, empty PageFs.
                    fs.syncAll();
                    fs.session().detach().join();
                    fs = open(client, timeline);
                    for (int g = 0; g < FILES; g++) {
                        String after = "seed " + seed + ", after op " + op + " and a new session, file " + g;
                        assertEquals(model[g].length, fs.getattr("/f" + g).size(), after);
                        assertRead(fs, ids.get(g), model[g], 0, model[g].length + 1, after);
                    }
                }
            }
        }
    }

    /** A small cache and dirty limit, so that evictions and commits forced by memory pressure happen often. */
    private static PageFs open(PageClient client, TimelineId timeline) {
        PageSession session =
                client.attach(timeline.toString(), AttachMode.exclusive()).join();
        return new PageFs(
                session, FsOptions.defaults(0, 0).withCacheBytes(64 * 1024).withDirtyLimitBytes(96 * 1024));
    }

    private static void assertRead(PageFs fs, long id, byte[] model, int offset, int length, String what) {
        ByteBuffer out = ByteBuffer.allocate(length);
        int n = fs.read(id, out, length, offset);
        int expected = Math.max(0, Math.min(length, model.length - offset));
        assertEquals(expected, n, what + ": bytes read at " + offset + " of " + model.length);
        byte[] got = new byte[n];
        out.get(0, got); // PageFs fills the buffer from index 0, as FUSE hands it over
        assertArrayEquals(
                Arrays.copyOfRange(model, Math.min(offset, model.length), Math.min(offset, model.length) + n),
                got,
                what + ": the bytes at " + offset + ".." + (offset + n));
    }
}
