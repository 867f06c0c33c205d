package dev.sprout.bench.imports;

import dev.sprout.bench.compute.NativeCluster;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.node.SproutNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What the benchmark has running at any moment (child processes, the Sprout node of the run, the source PostgreSQL)
 * and, when the JVM is ended before the run's own clean-up (Ctrl-C, SIGTERM), a shutdown hook that stops them in
 * order and deletes the run's directory: the child processes first (SIGTERM, so that a {@code sprout import} aborts
 * its import; SIGKILL after 10 s), then the node (its computes and their FUSE mounts), then the source, then the
 * directory. Thread-safe.
 */
final class Children {
    private final Set<Process> running = ConcurrentHashMap.newKeySet();
    private final Set<SproutNode> nodes = ConcurrentHashMap.newKeySet();
    private final Set<NativeCluster> sources = ConcurrentHashMap.newKeySet();
    private final Thread hook;
    private volatile boolean exiting;

    /** Registers the hook; {@link #close} removes it. */
    Children(Path runDir) {
        hook = new Thread(() -> stopAll(runDir), "import-bench-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    Process start(ProcessBuilder pb) throws IOException {
        if (exiting) {
            throw new IllegalStateException("the benchmark is being stopped");
        }
        Process p = pb.start();
        running.add(p);
        return p;
    }

    void done(Process p) {
        running.remove(p);
    }

    void add(SproutNode node) {
        nodes.add(node);
    }

    void remove(SproutNode node) {
        nodes.remove(node);
    }

    void add(NativeCluster source) {
        sources.add(source);
    }

    void remove(NativeCluster source) {
        sources.remove(source);
    }

    private void stopAll(Path runDir) {
        exiting = true;
        BenchEnv.log("stopping: child processes, the Sprout node, the source; then deleting %s", runDir);
        for (Process p : running) {
            p.destroy();
        }
        for (Process p : running) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        for (SproutNode n : nodes) {
            try {
                n.close();
            } catch (RuntimeException e) {
                BenchEnv.log("could not stop the Sprout node in %s: %s", n.dataDir(), e);
            }
        }
        for (NativeCluster s : sources) {
            try {
                s.close();
            } catch (RuntimeException e) {
                BenchEnv.log("could not stop the source in %s: %s", s.dataDir(), e);
            }
        }
        // The main thread may still be tearing down what it had (its finally blocks run as its processes end), and
        // PostgreSQL's own stop hook may still be writing its last files: try again until nothing is left.
        for (int attempt = 1; ; attempt++) {
            try {
                BenchEnv.deleteTree(runDir);
                return;
            } catch (RuntimeException e) {
                if (attempt == 10) {
                    BenchEnv.log("could not delete %s: %s", runDir, e.getMessage());
                    return;
                }
            }
            try {
                Thread.sleep(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** After the run's own clean-up: the hook is no longer needed. */
    void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is exiting: the hook runs and finds nothing left
        }
    }
}
