package dev.sprout.compute.load;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.protocol.client.AttachMode;
import dev.sprout.protocol.client.ClientOptions;
import dev.sprout.protocol.client.PageClient;
import dev.sprout.protocol.client.PageResult;
import dev.sprout.protocol.client.PageSession;
import dev.sprout.protocol.v1.FileAttr;
import dev.sprout.protocol.v1.PageRef;
import dev.sprout.storage.timeline.TimelineId;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TarIntoTimeline} with a file larger than the page service stages per session (256 MiB, as a table's 1 GiB
 * segment is): the file is committed in pieces, every page and the exact size arrive. Before the loader committed
 * within a file, the load failed with OVERLOADED at the 256 MiB mark (any source with a table of more than 256 MiB).
 */
class TarIntoTimelineTest {
    private static final int PAGE = TarIntoTimeline.PAGE;
    /** 288 MiB plus half a page: past the session's staging limit, and a partial last page. */
    private static final long BIG = (288L << 20) + PAGE / 2;

    @TempDir
    Path dir;

    @Test
    void aFileLargerThanTheSessionStagesIsCommittedInPiecesWithEveryPageAndItsSize() throws Exception {
        try (Pageserver server = Pageserver.start(
                        PageserverConfig.defaults(dir.resolve("pages")).withEphemeralPorts());
                PageClient client = PageClient.connect(ClientOptions.defaults("127.0.0.1", server.pagePort())
                        .withCredential(server.credentials().pageService().value()))) {
            TimelineId timeline = TimelineId.random();
            server.store().createRoot(timeline, 0, 0);
            PageSession session =
                    client.attach(timeline.toString(), AttachMode.exclusive()).get(60, TimeUnit.SECONDS);
            TarIntoTimeline.Stats stats;
            try (InputStream tar = archive()) {
                stats = new TarIntoTimeline(session, "/pgdata", 0, 0, Map.of(), Set.of(), done -> {}).load(tar);
            }
            long pages = (BIG + PAGE - 1) / PAGE;
            assertEquals(pages + 1, stats.pagesWritten(), "every page of the big file, and backup_label's");
            assertTrue(stats.backupLabel());
            FileAttr attr = session.getAttr(0, "/pgdata/base/1/16384").get(60, TimeUnit.SECONDS);
            assertEquals(BIG, attr.getSize());
            List<PageResult> read = session.getPages(
                            0,
                            List.of(
                                    ref(attr.getFileId(), 0),
                                    ref(attr.getFileId(), (int) (pages / 2)),
                                    ref(attr.getFileId(), (int) pages - 1)))
                    .get(60, TimeUnit.SECONDS)
                    .pages();
            assertArrayEquals(
                    page(0, PAGE), ((PageResult.Found) read.get(0)).data().toByteArray());
            assertArrayEquals(
                    page(pages / 2, PAGE),
                    ((PageResult.Found) read.get(1)).data().toByteArray());
            byte[] last = new byte[PAGE];
            System.arraycopy(page(pages - 1, PAGE / 2), 0, last, 0, PAGE / 2);
            assertArrayEquals(last, ((PageResult.Found) read.get(2)).data().toByteArray(), "the tail reads as zeros");
            session.detach().get(30, TimeUnit.SECONDS);
        }
    }

    private static PageRef ref(long fileId, int block) {
        return PageRef.newBuilder().setFileId(fileId).setBlock(block).build();
    }

    /** Page {@code block} of the big file: its number in every byte (never all zeros), {@code length} bytes of it. */
    private static byte[] page(long block, int length) {
        byte[] p = new byte[length];
        java.util.Arrays.fill(p, (byte) (block % 251 + 1));
        return p;
    }

    /** The archive, written by a thread as it is read: a backup_label and the big file. */
    private static InputStream archive() throws IOException {
        PipedInputStream in = new PipedInputStream(1 << 20);
        PipedOutputStream out = new PipedOutputStream(in);
        Thread.ofPlatform().daemon().name("tar-writer").start(() -> {
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                byte[] label = "START WAL LOCATION: 0/2000028\n".getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry l = new TarArchiveEntry("backup_label");
                l.setSize(label.length);
                tar.putArchiveEntry(l);
                tar.write(label);
                tar.closeArchiveEntry();
                TarArchiveEntry big = new TarArchiveEntry("base/1/16384");
                big.setSize(BIG);
                tar.putArchiveEntry(big);
                for (long block = 0; block * PAGE < BIG; block++) {
                    tar.write(page(block, (int) Math.min(PAGE, BIG - block * PAGE)));
                }
                tar.closeArchiveEntry();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return in;
    }
}
