package dev.sprout.compute.fuse;

import dev.sprout.compute.fs.PageFs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.cryptomator.jfuse.api.Fuse;
import org.cryptomator.jfuse.api.FuseBuilder;
import org.cryptomator.jfuse.api.FuseMountFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link PageFs} mounted at a directory through libfuse3 (jfuse). {@link #close()} commits every pending
 * page, then unmounts; it is idempotent.
 *
 * <p>A process that dies with the mount up leaves it stale ("Transport endpoint is not connected");
 * {@link #clearStale} detaches such a mount so the directory can be mounted again.
 */
public final class TimelineMount implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TimelineMount.class);
    /** Debian and Ubuntu ship libfuse3 here; {@code System.loadLibrary("fuse3")} does not find it. */
    private static final List<Path> LIBFUSE = List.of(
            Path.of("/usr/lib/x86_64-linux-gnu/libfuse3.so.3"), Path.of("/lib/x86_64-linux-gnu/libfuse3.so.3"),
            Path.of("/usr/lib64/libfuse3.so.3"), Path.of("/usr/lib/libfuse3.so.3"));

    /**
     * How a timeline is mounted.
     *
     * @param allowOther     let other users (PostgreSQL's, when the compute runs as root) use the mount
     * @param writebackCache let the kernel gather writes (it must then flush them before each fsync, which it does)
     */
    public record Options(boolean allowOther, boolean writebackCache) {}

    private final PageFs fs;
    private final Path mountPoint;
    private final Fuse fuse;
    private final AtomicBoolean closed = new AtomicBoolean();

    private TimelineMount(PageFs fs, Path mountPoint, Fuse fuse) {
        this.fs = fs;
        this.mountPoint = mountPoint;
        this.fuse = fuse;
    }

    public static TimelineMount mount(PageFs fs, Path mountPoint, String name, Options options) {
        Path mp = mountPoint.toAbsolutePath().normalize();
        clearStale(mp);
        try {
            Files.createDirectories(mp);
        } catch (IOException e) {
            throw new MountException("cannot create the mount point " + mp + ": " + e.getMessage(), e);
        }
        FuseBuilder builder = Fuse.builder();
        LIBFUSE.stream().filter(Files::exists).findFirst().ifPresent(p -> builder.setLibraryPath(p.toString()));
        Fuse fuse;
        try {
            fuse = builder.build(new FuseAdapter(fs, builder.errno(), options.writebackCache()));
        } catch (UnsatisfiedLinkError e) {
            throw new MountException(
                    "libfuse3 could not be loaded (" + e.getMessage() + "); install it with: apt-get install fuse3", e);
        }
        List<String> opts = new ArrayList<>(List.of(
                "fsname=sprout:" + name,
                "subtype=sprout",
                "default_permissions",
                // The compute is the timeline's only writer, so the kernel may keep names, attributes and pages.
                "attr_timeout=60",
                "entry_timeout=60",
                "negative_timeout=5",
                "kernel_cache"));
        if (options.allowOther()) {
            opts.add("allow_other");
        }
        try {
            fuse.mount("sprout", mp, "-o", String.join(",", opts));
        } catch (FuseMountFailedException | RuntimeException e) {
            closeQuietly(fuse);
            throw new MountException(
                    "mounting timeline " + name + " at " + mp + " failed: " + e.getMessage()
                            + " (is /dev/fuse present and fusermount3 installed? apt-get install fuse3)",
                    e);
        }
        log.info("mounted {} at {}", name, mp);
        return new TimelineMount(fs, mp, fuse);
    }

    public Path mountPoint() {
        return mountPoint;
    }

    public PageFs fs() {
        return fs;
    }

    /** Commits every pending page, then unmounts. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        unmount();
    }

    /**
     * Unmounts without committing what is pending (the timeline is being deleted): the pages PostgreSQL wrote and
     * the kernel writes back while unmounting stay in memory and are dropped with the filesystem.
     */
    public void discard() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        fs.discard();
        unmount();
    }

    private void unmount() {
        try {
            fs.syncAll();
        } catch (RuntimeException e) {
            log.error("committing pending pages before unmounting {} failed: {}", mountPoint, e.getMessage());
        }
        closeQuietly(fuse);
        if (isMounted(mountPoint)) {
            lazyUnmount(mountPoint);
        }
        log.info("unmounted {}", mountPoint);
    }

    private static void closeQuietly(Fuse fuse) {
        try {
            fuse.close();
        } catch (TimeoutException | RuntimeException e) {
            log.warn("closing the FUSE session failed: {}", e.toString());
        }
    }

    /** Detaches a mount left at {@code mountPoint} by a process that died (a no-op if nothing is mounted). */
    public static void clearStale(Path mountPoint) {
        Path mp = mountPoint.toAbsolutePath().normalize();
        if (isMounted(mp)) {
            log.warn("{} is still mounted (a compute that died?); detaching it", mp);
            lazyUnmount(mp);
            if (isMounted(mp)) {
                throw new MountException(
                        "a stale mount at " + mp + " could not be detached; try: fusermount3 -u -z " + mp);
            }
        }
    }

    /** Whether {@code /proc/self/mountinfo} lists a mount at {@code mountPoint}. */
    public static boolean isMounted(Path mountPoint) {
        String target = mountPoint.toAbsolutePath().normalize().toString();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] fields = line.split(" ", -1);
                if (fields.length > 4 && unescape(fields[4]).equals(target)) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new MountException("cannot read /proc/self/mountinfo: " + e.getMessage(), e);
        }
    }

    /** mountinfo escapes space, tab, newline and backslash as three octal digits. */
    private static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static void lazyUnmount(Path mp) {
        for (List<String> command :
                List.of(List.of("fusermount3", "-u", "-z", mp.toString()), List.of("umount", "-l", mp.toString()))) {
            try {
                Process p =
                        new ProcessBuilder(command).redirectErrorStream(true).start();
                String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return;
                }
                log.warn("{} failed: {}", String.join(" ", command), output);
            } catch (IOException e) {
                log.warn("{} could not run: {}", String.join(" ", command), e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
