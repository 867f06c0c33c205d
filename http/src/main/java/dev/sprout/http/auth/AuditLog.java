package dev.sprout.http.auth;

import dev.sprout.http.Json;
import dev.sprout.protocol.v1.AuditEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who did what through the HTTP APIs: one JSON line per request that changes something and per refused request
 * ({@link AuditEntry}), appended to an owner-only file ({@code audit.log}, mode 0600) that survives restarts and is
 * never rewritten. Every entry of a caller with a valid token is forced to disk before {@link #record} returns (so
 * before the answer is sent); the refusals of callers without one ({@link #ANONYMOUS}) are written without forcing,
 * so that a flood of them cannot become a flood of fsyncs. Entries hold no token and no request body.
 *
 * <p>A failure to write is logged and does not fail the request: the change has happened already.
 *
 * <p>Concurrency: thread-safe (appends are serialized).
 */
public final class AuditLog implements AutoCloseable {
    public static final String FILE = "audit.log";
    /** The actor of a request without a valid token. */
    public static final String ANONYMOUS = "anonymous";

    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);

    private final Path file;
    private final FileChannel channel;
    private final InstantSource clock;

    private AuditLog(Path file, FileChannel channel, InstantSource clock) {
        this.file = file;
        this.channel = channel;
        this.clock = clock;
    }

    /**
     * Opens (or creates) the log in {@code file} for appending.
     *
     * @throws IllegalStateException when it cannot be opened; the message names the file
     */
    public static AuditLog open(Path file, InstantSource clock) {
        try {
            if (!Files.exists(file)) {
                Files.createFile(
                        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            return new AuditLog(
                    file, FileChannel.open(file, Set.of(StandardOpenOption.WRITE, StandardOpenOption.APPEND)), clock);
        } catch (IOException e) {
            throw new IllegalStateException("cannot open the audit log " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Records that {@code actor} ({@link Principal#describe()}, or "anonymous") sent {@code method path} from
     * {@code remote} and was answered {@code status} ({@code code}: the refusal's code, empty on success), stamped
     * with the current time.
     */
    public void record(String actor, String method, String path, int status, String code, String remote) {
        record(AuditEntry.newBuilder()
                .setTime(clock.instant().toString())
                .setActor(actor)
                .setMethod(method)
                .setPath(path)
                .setStatus(status)
                .setCode(code)
                .setRemote(remote)
                .build());
    }

    /** Appends {@code entry}; forces it to disk unless its actor is {@link #ANONYMOUS}. */
    synchronized void record(AuditEntry entry) {
        String line = Json.printOneLine(entry) + "\n";
        ByteBuffer bytes = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
        try {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            if (!entry.getActor().equals(ANONYMOUS)) {
                channel.force(false);
            }
        } catch (IOException e) {
            log.error(
                    "cannot append to the audit log {}: {} (lost: {} {} by {}, {})",
                    file,
                    e.getMessage(),
                    entry.getMethod(),
                    entry.getPath(),
                    entry.getActor(),
                    entry.getStatus());
        }
    }

    /**
     * The newest {@code limit} entries at or after {@code since}, oldest first. Lines that do not parse (a torn last
     * line) are skipped.
     */
    public List<AuditEntry> tail(int limit, Instant since) {
        Deque<AuditEntry> last = new ArrayDeque<>();
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            lines.forEach(line -> {
                if (line.isBlank()) {
                    return;
                }
                AuditEntry entry;
                try {
                    entry = Json.parse(line.getBytes(StandardCharsets.UTF_8), AuditEntry.newBuilder())
                            .build();
                    if (Instant.parse(entry.getTime()).isBefore(since)) {
                        return;
                    }
                } catch (RuntimeException torn) {
                    return;
                }
                last.addLast(entry);
                if (last.size() > limit) {
                    last.removeFirst();
                }
            });
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the audit log " + file + ": " + e.getMessage(), e);
        }
        return new ArrayList<>(last);
    }

    public Path file() {
        return file;
    }

    @Override
    public synchronized void close() {
        try {
            channel.close();
        } catch (IOException e) {
            log.warn("closing the audit log {}: {}", file, e.getMessage());
        }
    }
}
