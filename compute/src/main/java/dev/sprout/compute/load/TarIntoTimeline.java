package dev.sprout.compute.load;

import com.google.protobuf.UnsafeByteOperations;
import dev.sprout.protocol.client.PageSession;
import dev.sprout.protocol.v1.PageWrite;
import dev.sprout.protocol.v1.Resize;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Writes a data directory read as a tar stream (what {@code pg_basebackup -Ft -D -} writes) into a timeline through
 * a read-write page session, under the directory {@code root} of the timeline: a directory per directory, a file per
 * regular file with its pages that are not all zeros and its exact size, committed in batches of
 * {@link #COMMIT_BYTES} (a large file across several), each batch read while the one before it commits. Pages that
 * are all zeros are not sent: a file reads as zeros where nothing was written.
 *
 * <p>Files named in {@code replacements} (paths relative to the data directory) get the given content instead of
 * the archive's, and are added when the archive lacks them; files named in {@code skip} are left out. An entry that
 * is neither a directory nor a regular file (a tablespace's symbolic link), or whose name leaves the data directory,
 * fails the load. Nothing is visible to readers of the head before each commit; what a failed load committed stays
 * in the timeline, which the caller then deletes.
 *
 * <p>Not thread-safe: one load per session, from one thread.
 */
public final class TarIntoTimeline {
    static final int PAGE = 8192;
    /** Staged bytes after which the loader commits (the pageserver stages at most 256 MiB per session). */
    static final long COMMIT_BYTES = 32L << 20;
    /** Pages per PutPages request (2 MiB frames). */
    static final int PAGES_PER_PUT = 256;

    private static final byte[] ZEROS = new byte[PAGE];
    private static final long TIMEOUT_SECONDS = 120;

    private final PageSession session;
    private final String root;
    private final int uid;
    private final int gid;
    private final Map<String, byte[]> replacements;
    private final Set<String> skip;
    private final LongConsumer progress;

    private final Set<String> dirs = new HashSet<>();
    private final List<CompletableFuture<Integer>> puts = new ArrayList<>();
    private List<PageWrite> batch = new ArrayList<>();
    private List<Resize> resizes = new ArrayList<>();
    /** The commit sent last, not yet awaited, and the puts of the pages it committed; null when none. */
    private CompletableFuture<Long> inFlight;

    private List<CompletableFuture<Integer>> inFlightPuts = List.of();
    private long staged;
    private long archiveBytes;
    private long files;
    private long bytes;
    private long pages;
    private long zeroPages;
    private long lastLsn;
    private boolean backupLabel;

    /** What a load wrote. */
    public record Stats(
            long files,
            long directories,
            long bytes,
            long pagesWritten,
            long zeroPagesSkipped,
            long lsn,
            boolean backupLabel) {}

    /**
     * @param root     the timeline directory the data directory is written under, e.g. {@code /pgdata}
     * @param progress told the archive bytes read so far, after each file
     */
    public TarIntoTimeline(
            PageSession session,
            String root,
            int uid,
            int gid,
            Map<String, byte[]> replacements,
            Set<String> skip,
            LongConsumer progress) {
        this.session = Objects.requireNonNull(session, "session");
        if (!root.startsWith("/") || root.endsWith("/")) {
            throw new IllegalArgumentException("root must be an absolute path without a trailing slash: " + root);
        }
        this.root = root;
        this.uid = uid;
        this.gid = gid;
        this.replacements = new LinkedHashMap<>(replacements);
        this.skip = Set.copyOf(skip);
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    /**
     * Reads the whole archive and writes it, then the replacements it lacked, and commits.
     *
     * @throws LoadException naming the entry, when the archive holds something that cannot be written or the page
     *     service refuses a request
     * @throws IOException when the archive cannot be read
     */
    public Stats load(InputStream tar) throws IOException {
        mkdirs(root, 0700);
        TarArchiveInputStream in = new TarArchiveInputStream(tar);
        for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
            String name = relative(e.getName());
            if (name.isEmpty()) {
                continue;
            }
            if (e.isDirectory()) {
                mkdirs(root + "/" + name, e.getMode() & 07777);
            } else if (e.isSymbolicLink() && name.startsWith("pg_tblspc/")) {
                throw new LoadException("the source has a tablespace outside its data directory (" + name + " -> "
                        + e.getLinkName() + "); sprout import takes clusters whose data lives in pg_default only");
            } else if (!e.isFile()) {
                throw new LoadException("the archive holds " + name + ", which is neither a directory nor a file");
            } else if (skip.contains(name)) {
                continue;
            } else if (replacements.containsKey(name)) {
                byte[] content = replacements.remove(name);
                writeFile(name, e.getMode() & 07777, new java.io.ByteArrayInputStream(content), content.length);
            } else {
                writeFile(name, e.getMode() & 07777, in, e.getSize());
            }
            archiveBytes = in.getBytesRead();
            progress.accept(archiveBytes);
        }
        for (Map.Entry<String, byte[]> r : replacements.entrySet()) {
            writeFile(r.getKey(), 0600, new java.io.ByteArrayInputStream(r.getValue()), r.getValue().length);
        }
        commit();
        awaitCommitInFlight();
        return new Stats(files, dirs.size(), bytes, pages, zeroPages, lastLsn, backupLabel);
    }

    /** The entry's name relative to the data directory; refuses names that would leave it. */
    private static String relative(String entryName) {
        String name = entryName;
        while (name.startsWith("./")) {
            name = name.substring(2);
        }
        while (name.endsWith("/")) {
            name = name.substring(0, name.length() - 1);
        }
        if (name.equals(".")) {
            return "";
        }
        if (name.startsWith("/") || Arrays.asList(name.split("/", -1)).contains("..") || name.contains("\0")) {
            throw new LoadException("the archive names " + entryName + ", outside the data directory");
        }
        return name;
    }

    private void mkdirs(String path, int mode) {
        if (dirs.contains(path)) {
            return;
        }
        int slash = path.lastIndexOf('/');
        if (slash > 0) {
            mkdirs(path.substring(0, slash), 0700);
        }
        await(session.mkdir(path, mode, uid, gid), "mkdir " + path);
        dirs.add(path);
    }

    private void writeFile(String name, int mode, InputStream content, long size) throws IOException {
        String path = root + "/" + name;
        int slash = path.lastIndexOf('/');
        mkdirs(path.substring(0, slash), 0700);
        long fileId =
                await(session.create(path, mode, uid, gid), "create " + path).fileId();
        // The size goes first, with the file's first commit: a file larger than a batch is committed in pieces,
        // and the store refuses a block past the size a commit leaves.
        resizes.add(Resize.newBuilder().setFileId(fileId).setSize(size).build());
        long left = size;
        int block = 0;
        while (left > 0) {
            int n = (int) Math.min(PAGE, left);
            byte[] page = new byte[PAGE];
            int got = content.readNBytes(page, 0, n);
            if (got < n) {
                throw new LoadException(
                        "the archive ends inside " + name + " (" + (size - left + got) + " of " + size + " bytes)");
            }
            if (Arrays.equals(page, ZEROS)) {
                zeroPages++;
            } else {
                batch.add(PageWrite.newBuilder()
                        .setFileId(fileId)
                        .setBlock(block)
                        .setData(UnsafeByteOperations.unsafeWrap(page))
                        .build());
                pages++;
                staged += PAGE;
                if (batch.size() == PAGES_PER_PUT) {
                    put();
                    if (staged >= COMMIT_BYTES) {
                        commit(); // within a file too: a 1 GiB segment would overflow the session's staging
                    }
                }
            }
            left -= n;
            block++;
        }
        backupLabel |= name.equals("backup_label");
        files++;
        bytes += size;
        if (staged >= COMMIT_BYTES) {
            commit();
        }
    }

    private void put() {
        puts.add(session.putPages(batch, List.of()));
        batch = new ArrayList<>();
    }

    /**
     * Sends the commit of what is staged, after awaiting the commit sent before it (and the pages that commit closed):
     * the archive is read and the next batch sent while the page service commits the last one, instead of the two
     * taking turns. The page service applies a session's changes in the order they arrive, so the next batch's pages
     * queue behind this commit and belong to the next one; one commit at most is in flight, so the session never
     * stages more than a batch. A refusal surfaces at the next commit or at the end of the load.
     */
    private void commit() {
        awaitCommitInFlight();
        inFlight = session.commit(batch, resizes);
        inFlightPuts = List.copyOf(puts);
        batch = new ArrayList<>();
        resizes = new ArrayList<>();
        puts.clear();
        staged = 0;
    }

    private void awaitCommitInFlight() {
        if (inFlight == null) {
            return;
        }
        for (CompletableFuture<Integer> p : inFlightPuts) {
            await(p, "stage pages");
        }
        lastLsn = await(inFlight, "commit");
        inFlight = null;
        inFlightPuts = List.of();
    }

    private static <T> T await(CompletableFuture<T> f, String what) {
        try {
            return f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new LoadException(
                    what + " failed on the page service: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new LoadException(what + ": the page service did not answer within " + TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LoadException("interrupted during " + what, e);
        }
    }
}
