package dev.sprout.compute.fuse;

import dev.sprout.compute.fs.FsError;
import dev.sprout.compute.fs.FsException;
import dev.sprout.compute.fs.PageFs;
import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.IntSupplier;
import org.cryptomator.jfuse.api.DirFiller;
import org.cryptomator.jfuse.api.Errno;
import org.cryptomator.jfuse.api.FileInfo;
import org.cryptomator.jfuse.api.FuseConfig;
import org.cryptomator.jfuse.api.FuseConnInfo;
import org.cryptomator.jfuse.api.FuseOperations;
import org.cryptomator.jfuse.api.Stat;
import org.cryptomator.jfuse.api.Statvfs;
import org.cryptomator.jfuse.api.TimeSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Translates libfuse's high-level, path-based calls into {@link PageFs} operations, and every failure into an
 * errno: an exception escaping a FUSE callback would kill the JVM, so each callback catches everything, logs
 * what is not an ordinary refusal, and answers EIO.
 *
 * <p>Deliberately absent: getxattr and friends (with them, the kernel asks for {@code security.capability}
 * before every write), access (the mount uses {@code default_permissions}), and fallocate (jfuse 0.7.1 cannot
 * bind it; PostgreSQL falls back to writing zeros).
 *
 * <p>Ownership is a property of the mount: every file reports the compute's user and group (like vfat's
 * {@code uid=}/{@code gid=}), so a branch started under another user id still belongs to its PostgreSQL;
 * chown succeeds and changes nothing.
 *
 * <p>Concurrency: thread-safe (libfuse calls from its worker threads); all state is in {@link PageFs}.
 */
final class FuseAdapter implements FuseOperations {
    private static final Logger log = LoggerFactory.getLogger(FuseAdapter.class);
    /** PostgreSQL writes 8 KiB pages and WAL in up to 1 MiB pieces; let one FUSE write carry that much. */
    private static final int MAX_WRITE = 1 << 20;

    private static final int MAX_READAHEAD = 1 << 20;

    private final PageFs fs;
    private final Errno errno;
    private final boolean writebackCache;

    FuseAdapter(PageFs fs, Errno errno, boolean writebackCache) {
        this.fs = fs;
        this.errno = errno;
        this.writebackCache = writebackCache;
    }

    @Override
    public Errno errno() {
        return errno;
    }

    /**
     * The operations libfuse calls. Not FLUSH and RELEASE: PageFs has nothing to do on close (close() promises no
     * durability; fsync does), and libfuse may call them with a NULL path (a file still open after it and its
     * directory were removed: a parallel worker's temporary file when its leader cleans up after an error), which
     * jfuse 0.7.1 reads as a string before calling us, killing the JVM with SIGSEGV (seen on a failed parallel
     * CREATE UNIQUE INDEX CONCURRENTLY: migrate-corpus case 54). Without them, libfuse answers those itself.
     */
    @Override
    public Set<Operation> supportedOperations() {
        return EnumSet.of(
                Operation.INIT,
                Operation.GET_ATTR,
                Operation.READ_DIR,
                Operation.OPEN_DIR,
                Operation.RELEASE_DIR,
                Operation.FSYNCDIR,
                Operation.MKDIR,
                Operation.RMDIR,
                Operation.CREATE,
                Operation.OPEN,
                Operation.READ,
                Operation.WRITE,
                Operation.FSYNC,
                Operation.TRUNCATE,
                Operation.UNLINK,
                Operation.RENAME,
                Operation.CHMOD,
                Operation.CHOWN,
                Operation.UTIMENS,
                Operation.STATFS);
    }

    @Override
    public void init(FuseConnInfo conn, FuseConfig cfg) {
        int want = conn.want() | FuseConnInfo.FUSE_CAP_ATOMIC_O_TRUNC;
        if (writebackCache) {
            // The kernel keeps written pages and sends them in large pieces; fsync makes it send them first.
            want |= FuseConnInfo.FUSE_CAP_WRITEBACK_CACHE;
        }
        conn.setWant(want & conn.capable());
        conn.setMaxWrite(MAX_WRITE);
        conn.setMaxReadahead(MAX_READAHEAD);
    }

    @Override
    public int getattr(String path, Stat stat, FileInfo fi) {
        return call("getattr", path, () -> {
            PageFs.Attr a = fs.getattr(path);
            fill(stat, a);
            return 0;
        });
    }

    private void fill(Stat stat, PageFs.Attr a) {
        stat.setMode((a.directory() ? Stat.S_IFDIR : Stat.S_IFREG) | a.mode());
        stat.setUid(fs.options().uid());
        stat.setGid(fs.options().gid());
        stat.setNLink((short) (a.directory() ? 2 : 1));
        stat.setSize(a.size());
        Instant mtime = Instant.EPOCH.plusNanos(a.mtimeMicros() * 1000);
        stat.mTime().set(mtime);
        stat.cTime().set(mtime);
        stat.aTime().set(mtime);
    }

    @Override
    public int opendir(String path, FileInfo fi) {
        return 0;
    }

    @Override
    public int releasedir(String path, FileInfo fi) {
        return 0;
    }

    @Override
    public int readdir(String path, DirFiller filler, long offset, FileInfo fi, int flags) {
        return call("readdir", path, () -> {
            filler.fill(".", s -> {}, 0, 0);
            filler.fill("..", s -> {}, 0, 0);
            for (String name : fs.readdir(path)) {
                if (filler.fill(name, s -> {}, 0, 0) != 0) {
                    break; // the kernel's buffer is full
                }
            }
            return 0;
        });
    }

    @Override
    public int fsyncdir(String path, int datasync, FileInfo fi) {
        return 0; // every namespace change was a synced pageserver change before it returned
    }

    @Override
    public int mkdir(String path, int mode) {
        return call("mkdir", path, () -> {
            fs.mkdir(path, mode);
            return 0;
        });
    }

    @Override
    public int rmdir(String path) {
        return call("rmdir", path, () -> {
            fs.rmdir(path);
            return 0;
        });
    }

    @Override
    public int create(String path, int mode, FileInfo fi) {
        return call("create", path, () -> {
            fi.setFh(fs.create(path, mode));
            return 0;
        });
    }

    @Override
    public int open(String path, FileInfo fi) {
        return call("open", path, () -> {
            fi.setFh(fs.open(path, fi.getOpenFlags().contains(StandardOpenOption.TRUNCATE_EXISTING)));
            return 0;
        });
    }

    @Override
    public int read(String path, ByteBuffer buf, long count, long offset, FileInfo fi) {
        return call("read", path, () -> fs.read(fi.getFh(), buf, (int) count, offset));
    }

    @Override
    public int write(String path, ByteBuffer buf, long count, long offset, FileInfo fi) {
        return call("write", path, () -> fs.write(fi.getFh(), buf, (int) count, offset));
    }

    @Override
    public int fsync(String path, int datasync, FileInfo fi) {
        return call("fsync", path, () -> {
            fs.fsync(fi.getFh());
            return 0;
        });
    }

    @Override
    public int truncate(String path, long size, FileInfo fi) {
        return call("truncate", path, () -> {
            fs.truncate(fi != null ? fi.getFh() : fs.getattr(path).fileId(), size);
            return 0;
        });
    }

    @Override
    public int unlink(String path) {
        return call("unlink", path, () -> {
            fs.unlink(path);
            return 0;
        });
    }

    @Override
    public int rename(String oldpath, String newpath, int flags) {
        if (flags != 0) {
            return -errno.einval(); // RENAME_NOREPLACE / RENAME_EXCHANGE: PostgreSQL uses neither
        }
        return call("rename", oldpath, () -> {
            fs.rename(oldpath, newpath);
            return 0;
        });
    }

    @Override
    public int chmod(String path, int mode, FileInfo fi) {
        return call("chmod", path, () -> {
            fs.chmod(path, mode);
            return 0;
        });
    }

    @Override
    public int chown(String path, int uid, int gid, FileInfo fi) {
        return call("chown", path, () -> {
            fs.getattr(path); // ENOENT for a missing file; otherwise ownership belongs to the mount
            return 0;
        });
    }

    @Override
    public int utimens(String path, TimeSpec atime, TimeSpec mtime, FileInfo fi) {
        return call("utimens", path, () -> {
            var when = mtime.getOptional();
            if (when.isPresent()) {
                Instant t = when.get();
                fs.setMtime(path, t.getEpochSecond() * 1_000_000 + t.getNano() / 1000);
            }
            return 0;
        });
    }

    @Override
    public int statfs(String path, Statvfs statvfs) {
        // The pageserver's disk is not this filesystem's to report; say "plenty" so nothing refuses to write.
        statvfs.setBsize(PageFs.PAGE_SIZE);
        statvfs.setFrsize(PageFs.PAGE_SIZE);
        statvfs.setBlocks(1L << 32);
        statvfs.setBfree(1L << 31);
        statvfs.setBavail(1L << 31);
        statvfs.setNameMax(255);
        return 0;
    }

    private int call(String op, String path, IntSupplier body) {
        try {
            return body.getAsInt();
        } catch (FsException e) {
            if (e.error() == FsError.IO || e.error() == FsError.BAD_HANDLE) {
                log.error("{} {} failed: {}", op, path, e.getMessage());
            } else {
                log.debug("{} {}: {}", op, path, e.getMessage());
            }
            return -errnoOf(e.error());
        } catch (Throwable t) {
            log.error("{} {} failed unexpectedly", op, path, t);
            return -errno.eio();
        }
    }

    private int errnoOf(FsError error) {
        return switch (error) {
            case NO_SUCH_FILE -> errno.enoent();
            case FILE_EXISTS -> errno.eexist();
            case NOT_A_DIRECTORY -> errno.enotdir();
            case IS_A_DIRECTORY -> errno.eisdir();
            case DIRECTORY_NOT_EMPTY -> errno.enotempty();
            case NAME_TOO_LONG -> errno.enametoolong();
            case INVALID_ARGUMENT -> errno.einval();
            case BAD_HANDLE -> errno.ebadf();
            case IO -> errno.eio();
        };
    }
}
