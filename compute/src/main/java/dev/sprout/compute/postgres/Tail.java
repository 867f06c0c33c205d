package dev.sprout.compute.postgres;

import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The last lines of a text or of a log file, for error messages.
 *
 * <p>Concurrency: stateless; any thread may call it.
 */
final class Tail {
    /** How far back from a file's end to look for its last lines; a log line is far shorter. */
    private static final int MAX_BYTES = 64 * 1024;

    private Tail() {}

    /** The last {@code lines} lines of {@code text}, without a trailing newline. */
    static String lastLines(String text, int lines) {
        if (lines < 0) {
            throw new IllegalArgumentException("lines must be >= 0: " + lines);
        }
        List<String> all = text.strip().lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /**
     * The last {@code lines} lines of what {@code file} holds past byte {@code from} (from its start when it is
     * now shorter than that), reading at most its last 64 KiB; empty when the file does not exist.
     */
    static String ofFile(Path file, long from, int lines) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            long start = Math.max(from <= size ? from : 0, size - MAX_BYTES);
            channel.position(start);
            byte[] bytes = Channels.newInputStream(channel).readNBytes((int) (size - start));
            return lastLines(new String(bytes, StandardCharsets.UTF_8), lines);
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            return "(could not read " + file + ": " + e.getMessage() + ")";
        }
    }
}
