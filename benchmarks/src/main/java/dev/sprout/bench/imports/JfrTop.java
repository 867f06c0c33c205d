package dev.sprout.bench.imports;

import dev.sprout.bench.kit.Fmt;
import dev.sprout.bench.kit.Table;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a JFR recording's CPU samples ({@code jdk.ExecutionSample}: threads running Java code) fall: by thread
 * (numbers at the end of a name dropped, so a pool is one row) and by the first frame of the stack that is not in
 * the JDK or a library's internals (the project's method that spent the time, or the library's entry point it
 * called). Samples of threads in native code (RocksDB, socket reads) are {@code jdk.NativeMethodSample}, counted
 * apart by thread.
 */
final class JfrTop {
    private JfrTop() {}

    /** A Markdown summary of {@code file}: samples by thread, then by method; {@code top} rows each. */
    static String summary(Path file, int top) throws IOException {
        if (!Files.exists(file)) {
            return "(no recording at " + file + ")\n";
        }
        Map<String, Integer> byThread = new HashMap<>();
        Map<String, Integer> byMethod = new HashMap<>();
        Map<String, Integer> byLeaf = new HashMap<>();
        Map<String, Integer> nativeByThread = new HashMap<>();
        int samples = 0;
        int nativeSamples = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            String type = e.getEventType().getName();
            boolean java = type.equals("jdk.ExecutionSample");
            if (!java && !type.equals("jdk.NativeMethodSample")) {
                continue;
            }
            String thread = threadName(e);
            if (!java) {
                nativeSamples++;
                nativeByThread.merge(thread, 1, Integer::sum);
                continue;
            }
            samples++;
            byThread.merge(thread, 1, Integer::sum);
            RecordedStackTrace stack = e.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            List<RecordedFrame> frames = stack.getFrames();
            byLeaf.merge(method(frames.getFirst()), 1, Integer::sum);
            String own = frames.stream()
                    .filter(f ->
                            f.isJavaFrame() && f.getMethod().getType().getName().startsWith("dev.sprout."))
                    .findFirst()
                    .map(JfrTop::method)
                    .orElse("(outside dev.sprout) " + method(frames.getFirst()));
            byMethod.merge(own, 1, Integer::sum);
        }
        StringBuilder s = new StringBuilder();
        s.append(Fmt.f(
                "%s: %,d CPU samples of Java code, %,d of threads in native methods.%n%n",
                file.getFileName(), samples, nativeSamples));
        s.append(table("thread (Java code)", byThread, samples, top));
        s.append('\n').append(table("innermost dev.sprout frame", byMethod, samples, top));
        s.append('\n').append(table("leaf frame", byLeaf, samples, top));
        s.append('\n').append(table("thread (in native code)", nativeByThread, nativeSamples, top));
        return s.toString();
    }

    private static String table(String what, Map<String, Integer> counts, int total, int top) {
        Table t = new Table(what, "samples>", "share>");
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .limit(top)
                .forEach(c -> t.row(
                        "`" + c.getKey() + "`",
                        Fmt.count(c.getValue()),
                        Fmt.percent(total == 0 ? Double.NaN : c.getValue() / (double) total)));
        return t.render();
    }

    private static String threadName(RecordedEvent e) {
        var t = e.getThread("sampledThread");
        String name = t == null ? "?" : t.getJavaName() != null ? t.getJavaName() : t.getOSName();
        return name == null ? "?" : name.replaceAll("[-#_ ]?\\d+$", "");
    }

    private static String method(RecordedFrame f) {
        String type = f.getMethod().getType().getName();
        return type.substring(type.lastIndexOf('.') + 1) + "." + f.getMethod().getName();
    }
}
