package dev.sprout.storage.crash;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.sprout.storage.PageStore;
import dev.sprout.storage.error.NoSuchFileException;
import dev.sprout.storage.namespace.FileAttr;
import dev.sprout.storage.page.PageRead;
import dev.sprout.storage.page.Pages;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * The child process of the crash tests: opens the store, creates the workload's timeline and files when they
 * are missing, reads back the last committed batch from the header page, and then commits batches
 * {@code next, next+1, ...} of {@link CrashWorkload} one at a time until it is killed (or {@code --max-seq}).
 *
 * <p>Protocol on stdout, one line each, flushed at once:
 * <ul>
 *   <li>{@code READY <nextSeq> <lastLsn>} once the store is open and set up;</li>
 *   <li>{@code ACK <seq> <lsn>} after {@code PageStore.commit} returned {@code lsn} for batch {@code seq};</li>
 *   <li>{@code FAIL <seq> <exception>: <message>} when a commit threw (then the batch is retried; after
 *       {@code --retries} failures in all the store is closed, {@code CLOSED} or {@code CLOSE-FAILED <error>}
 *       printed, and the process exits with status 0);</li>
 *   <li>{@code SKIP <reason>} when {@code --fsize-limit} cannot be applied here (exit status 2);</li>
 *   <li>{@code ERR <message>} when something unexpected happened (exit status 3).</li>
 * </ul>
 *
 * <p>Usage: {@code CrashWriter <dir> [--max-seq=N] [--fsize-limit=BYTES] [--retries=N]}. With
 * {@code --fsize-limit}, the process lowers its own RLIMIT_FSIZE once the store is set up, so that RocksDB's
 * writes past that file size fail with EFBIG (the JVM ignores SIGXFSZ): a real I/O error, without root.
 */
public final class CrashWriter {
    private static final PrintStream OUT = System.out;

    private CrashWriter() {}

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable t) {
            say("ERR " + t.getClass().getName() + ": "
                    + String.valueOf(t.getMessage()).replace('\n', ' '));
            t.printStackTrace();
            Runtime.getRuntime().halt(3);
        }
    }

    private static void run(String[] args) throws Throwable {
        Path dir = Path.of(args[0]);
        long maxSeq = Long.MAX_VALUE;
        long fsizeLimit = -1;
        int retries = 3;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.startsWith("--max-seq=")) {
                maxSeq = Long.parseLong(a.substring("--max-seq=".length()));
            } else if (a.startsWith("--fsize-limit=")) {
                fsizeLimit = Long.parseLong(a.substring("--fsize-limit=".length()));
            } else if (a.startsWith("--retries=")) {
                retries = Integer.parseInt(a.substring("--retries=".length()));
            } else {
                throw new IllegalArgumentException("unknown argument " + a);
            }
        }

        PageStore store = PageStore.open(CrashWorkload.options(dir));
        store.createRoot(CrashWorkload.TIMELINE, 0, 0);
        long[] ids = new long[CrashWorkload.PATHS.length];
        for (int i = 0; i < ids.length; i++) {
            try {
                ids[i] = store.lookup(CrashWorkload.TIMELINE, store.lastLsn(), CrashWorkload.PATHS[i]);
            } catch (NoSuchFileException missing) {
                ids[i] = store.create(CrashWorkload.TIMELINE, CrashWorkload.PATHS[i], 0600, 0, 0)
                        .fileId();
            }
        }
        long head = store.lastLsn();
        long committed = 0;
        if (store.readPage(CrashWorkload.TIMELINE, head, ids[CrashWorkload.HEADER], 0) instanceof PageRead.Found f) {
            CrashWorkload.Decoded d = CrashWorkload.decode(f.page());
            if (!d.valid() || d.file() != CrashWorkload.HEADER || d.block() != 0) {
                throw new IllegalStateException("the header page at LSN " + head + " is " + d);
            }
            committed = d.seq();
        }
        // Sanity: the files' sizes are those the plan gives after batch `committed`.
        CrashWorkload.Plan plan = new CrashWorkload.Plan();
        int[] expected = plan.blocksAfter(committed);
        for (int i = 1; i < ids.length; i++) {
            FileAttr attr = store.getAttr(CrashWorkload.TIMELINE, head, ids[i]);
            if (attr.size() != (long) expected[i] * Pages.PAGE_SIZE) {
                throw new IllegalStateException(
                        "file " + CrashWorkload.PATHS[i] + " is " + attr.size() + " bytes at LSN " + head
                                + " but batch " + committed + " left it at " + (long) expected[i] * Pages.PAGE_SIZE);
            }
        }
        if (fsizeLimit >= 0) {
            String refused = limitFileSize(fsizeLimit);
            if (refused != null) {
                say("SKIP " + refused);
                Runtime.getRuntime().halt(2);
            }
        }
        say("READY " + (committed + 1) + " " + head);

        int failures = 0;
        for (long seq = committed + 1; seq <= maxSeq; ) {
            long lsn;
            try {
                lsn = store.commit(CrashWorkload.build(plan.batch(seq), ids));
            } catch (RuntimeException e) {
                say("FAIL " + seq + " " + e.getClass().getName() + ": "
                        + String.valueOf(e.getMessage()).replace('\n', ' '));
                if (++failures >= retries) {
                    try {
                        store.close();
                        say("CLOSED");
                    } catch (RuntimeException closeFailure) {
                        say("CLOSE-FAILED " + closeFailure.getClass().getName() + ": " + closeFailure.getMessage());
                    }
                    Runtime.getRuntime().halt(0);
                }
                continue;
            }
            say("ACK " + seq + " " + lsn);
            seq++;
        }
        store.close();
        say("DONE");
    }

    private static void say(String line) {
        OUT.println(line);
        OUT.flush();
    }

    /**
     * setrlimit(RLIMIT_FSIZE, {limit, unchanged hard limit}) through the FFM API; returns why it could not, or
     * null. The numbering is Linux's.
     */
    @SuppressWarnings("restricted") // downcalls to getrlimit/setrlimit; the child runs with --enable-native-access
    private static String limitFileSize(long limit) throws Throwable {
        if (!System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return "RLIMIT_FSIZE is only set on Linux (this is " + System.getProperty("os.name") + ")";
        }
        final int rlimitFsize = 1;
        Linker linker = Linker.nativeLinker();
        MethodHandle get = linker.downcallHandle(
                linker.defaultLookup().find("getrlimit").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        MethodHandle set = linker.downcallHandle(
                linker.defaultLookup().find("setrlimit").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rl = arena.allocate(16, 8);
            if ((int) get.invokeExact(rlimitFsize, rl) != 0) {
                return "getrlimit(RLIMIT_FSIZE) failed";
            }
            long hard = rl.get(JAVA_LONG, 8);
            if (hard != -1 && Long.compareUnsigned(hard, limit) < 0) {
                return "the hard RLIMIT_FSIZE " + hard + " is below " + limit;
            }
            rl.set(JAVA_LONG, 0, limit);
            if ((int) set.invokeExact(rlimitFsize, rl) != 0) {
                return "setrlimit(RLIMIT_FSIZE, " + limit + ") failed";
            }
        }
        return null;
    }
}
