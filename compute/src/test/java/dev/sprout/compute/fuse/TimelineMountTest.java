package dev.sprout.compute.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.compute.fs.FsOptions;
import dev.sprout.compute.fs.PageFs;
import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.protocol.client.AttachMode;
import dev.sprout.protocol.client.ClientOptions;
import dev.sprout.protocol.client.PageClient;
import dev.sprout.protocol.client.PageSession;
import dev.sprout.storage.timeline.TimelineId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A timeline mounted through real FUSE, used through the kernel with ordinary file calls. */
class TimelineMountTest {
    @TempDir
    Path dir;

    private Pageserver server;
    private PageClient client;
    private TimelineId timeline;
    private TimelineMount mount;
    private Path root;

    @BeforeEach
    void mountATimeline() {
        server =
                Pageserver.start(PageserverConfig.defaults(dir.resolve("pages")).withEphemeralPorts());
        timeline = TimelineId.random();
        server.store().createRoot(timeline, 0, 0);
        client = PageClient.connect(ClientOptions.defaults("127.0.0.1", server.pagePort())
                .withCredential(server.credentials().pageService().value()));
        mount = mountAgain();
        root = mount.mountPoint();
    }

    private TimelineMount mountAgain() {
        PageSession session =
                client.attach(timeline.toString(), AttachMode.exclusive()).join();
        // A small dirty limit, so the tests also cover commits forced by memory pressure.
        PageFs fs = new PageFs(
                session,
                FsOptions.defaults(0, 0).withDirtyLimitBytes(256 * 1024).withCacheBytes(1 << 20));
        return TimelineMount.mount(fs, dir.resolve("mnt"), timeline.toString(), new TimelineMount.Options(false, true));
    }

    private void remount() {
        mount.close();
        mount.fs().session().detach().join();
        mount = mountAgain();
    }

    @AfterEach
    void unmount() {
        mount.close();
        client.close();
        server.close();
        assertFalse(TimelineMount.isMounted(dir.resolve("mnt")));
    }

    @Test
    void filesWrittenThroughTheKernelReadBackAndSurviveARemount() throws IOException {
        Random random = new Random(42);
        byte[] big = new byte[3 * 1024 * 1024 + 123]; // past the dirty limit, not page-aligned
        random.nextBytes(big);
        Files.createDirectories(root.resolve("base/1"));
        Files.write(root.resolve("base/1/16384"), big);
        try (FileChannel ch = FileChannel.open(root.resolve("base/1/16384"), StandardOpenOption.WRITE)) {
            // partial-page overwrites straddling page boundaries
            ch.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.UTF_8)), 8190);
            ch.write(ByteBuffer.wrap(new byte[] {7}), 100_000);
            ch.force(false);
        }
        System.arraycopy("hello".getBytes(StandardCharsets.UTF_8), 0, big, 8190, 5);
        big[100_000] = 7;
        assertArrayEquals(big, Files.readAllBytes(root.resolve("base/1/16384")));
        assertEquals(big.length, Files.size(root.resolve("base/1/16384")));

        remount();
        assertArrayEquals(big, Files.readAllBytes(root.resolve("base/1/16384")), "after a remount (no cache left)");
    }

    @Test
    void truncateCutsAndZeroesSoARegrownFileReadsZerosPastTheCut() throws IOException {
        Path f = root.resolve("wal");
        byte[] ones = new byte[40_000];
        java.util.Arrays.fill(ones, (byte) 1);
        Files.write(f, ones);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.force(false);
            ch.truncate(10_000);
            ch.write(ByteBuffer.wrap(new byte[] {2}), 30_000);
            ch.force(false);
        }
        remount();
        byte[] back = Files.readAllBytes(f);
        assertEquals(30_001, back.length);
        for (int i = 0; i < back.length; i++) {
            byte expected = i < 10_000 ? (byte) 1 : i == 30_000 ? (byte) 2 : 0;
            assertEquals(expected, back[i], "byte " + i);
        }
        // O_TRUNC empties the file
        Files.write(f, "x".getBytes(StandardCharsets.UTF_8), StandardOpenOption.TRUNCATE_EXISTING);
        assertArrayEquals("x".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(f));
    }

    @Test
    void namespaceOperationsBehaveLikeAPosixFilesystem() throws IOException {
        Files.createDirectories(root.resolve("pg_wal/archive_status"));
        Files.writeString(root.resolve("pg_wal/a"), "A");
        Files.writeString(root.resolve("pg_wal/b"), "B");
        Files.move(
                root.resolve("pg_wal/a"),
                root.resolve("pg_wal/b"),
                StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        assertEquals("A", Files.readString(root.resolve("pg_wal/b")));
        assertFalse(Files.exists(root.resolve("pg_wal/a")));
        assertThrows(FileAlreadyExistsException.class, () -> Files.createDirectory(root.resolve("pg_wal")));
        assertThrows(DirectoryNotEmptyException.class, () -> Files.delete(root.resolve("pg_wal")));
        assertThrows(NoSuchFileException.class, () -> Files.readString(root.resolve("nope")));
        try (var list = Files.list(root.resolve("pg_wal"))) {
            assertEquals(
                    new TreeSet<>(List.of("archive_status", "b")),
                    new TreeSet<>(list.map(p -> p.getFileName().toString()).toList()));
        }
        Files.setPosixFilePermissions(
                root.resolve("pg_wal/b"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertEquals(
                "rw-------",
                java.nio.file.attribute.PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(root.resolve("pg_wal/b"))));
        Files.move(root.resolve("pg_wal"), root.resolve("pg_xlog"));
        assertEquals("A", Files.readString(root.resolve("pg_xlog/b")));
        assertFalse(Files.exists(root.resolve("pg_wal/b")));
    }

    @Test
    void aFileUnlinkedWhileOpenStaysReadableButLeavesTheTimelineAtOnce() throws IOException {
        Files.createDirectories(root.resolve("db"));
        Path f = root.resolve("db/rel");
        Files.write(f, new byte[20_000]);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap("still here".getBytes(StandardCharsets.UTF_8)), 0);
            ch.force(false);
            Files.delete(f);
            ByteBuffer back = ByteBuffer.allocate(10);
            ch.read(back, 0);
            assertEquals("still here", new String(back.array(), StandardCharsets.UTF_8));
            try (var list = Files.list(root.resolve("db"))) {
                assertEquals(List.of(), list.toList(), "FUSE's .fuse_hidden file must not be listed");
            }
            // The pageserver no longer has the file: a branch taken now would not see it.
            assertTrue(server.store()
                    .readdir(timeline, server.store().lastLsn(), "/db")
                    .isEmpty());
        }
        Files.delete(root.resolve("db")); // rmdir works although a hidden file existed
    }
}
