package dev.sprout.http.auth;

import dev.sprout.http.Json;
import dev.sprout.protocol.v1.AuditEntry;
import dev.sprout.storage.catalog.Catalog;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who did what through the HTTP APIs: one {@link AuditEntry} per request that changes something and per refused
 * request, appended to the store itself (its {@link Catalog}, keys {@value #PREFIX} and a sequence number), so it
 * lives and travels with the data it describes, survives restarts and is never rewritten. Every entry of a caller
 * with a valid token is synced before {@link #record} returns (so before the answer is sent); the refusals of callers
 * without one ({@link #ANONYMOUS}) go to RocksDB's log unsynced, so that a flood of them cannot become a flood of
 * fsyncs (they survive the process being killed, not the machine losing power). Entries hold no token and no request
 * body.
 *
 * <p>A failure to write is logged and does not fail the request: the change has happened already.
 *
 * <p>Concurrency: thread-safe (each entry takes the next sequence number; entries are written independently).
 */
public final class AuditLog {
    /** The catalog keys of the entries: this prefix and a 16-digit hex sequence number, so key order is log order. */
    public static final String PREFIX = "audit/";
    /** The actor of a request without a valid token. */
    public static final String ANONYMOUS = "anonymous";

    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);

    private final Catalog catalog;
    private final InstantSource clock;
    private final AtomicLong next;

    private AuditLog(Catalog catalog, InstantSource clock, long next) {
        this.catalog = catalog;
        this.clock = clock;
        this.next = new AtomicLong(next);
    }

    /** The log in {@code catalog}, appending after its last entry. */
    public static AuditLog open(Catalog catalog, InstantSource clock) {
        long[] last = {-1};
        catalog.scanBackward(PREFIX, (key, value) -> {
            last[0] = Long.parseUnsignedLong(key.substring(PREFIX.length()), 16);
            return false;
        });
        return new AuditLog(catalog, clock, last[0] + 1);
    }

    /**
     * Records that {@code actor} ({@link Principal#describe()}, or {@link #ANONYMOUS}) sent {@code method path} from
     * {@code remote} and was answered {@code status} ({@code code}: the refusal's code, empty on success), stamped
     * with the current time.
     */
    public void record(String actor, String method, String path, int status, String code, String remote) {
        AuditEntry entry = AuditEntry.newBuilder()
                .setTime(clock.instant().toString())
                .setActor(actor)
                .setMethod(method)
                .setPath(path)
                .setStatus(status)
                .setCode(code)
                .setRemote(remote)
                .build();
        String key = PREFIX + HexFormat.of().toHexDigits(next.getAndIncrement());
        byte[] value = Json.printOneLine(entry).getBytes(StandardCharsets.UTF_8);
        try {
            if (actor.equals(ANONYMOUS)) {
                catalog.putUnsynced(key, value);
            } else {
                catalog.put(key, value);
            }
        } catch (RuntimeException e) {
            log.error(
                    "cannot append to the audit log: {} (lost: {} {} by {}, {})",
                    e.getMessage(),
                    method,
                    path,
                    actor,
                    status);
        }
    }

    /**
     * The newest {@code limit} entries at or after {@code since}, oldest first. Reads backwards from the end, so it
     * costs what it returns, not the length of the log.
     */
    public List<AuditEntry> tail(int limit, Instant since) {
        Deque<AuditEntry> newest = new ArrayDeque<>();
        catalog.scanBackward(PREFIX, (key, value) -> {
            AuditEntry entry = Json.parse(value, AuditEntry.newBuilder()).build();
            if (Instant.parse(entry.getTime()).isBefore(since)) {
                return false;
            }
            newest.addFirst(entry);
            return newest.size() < limit;
        });
        return new ArrayList<>(newest);
    }
}
