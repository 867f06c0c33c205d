package dev.sprout.http.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sprout.protocol.v1.AuditEntry;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.StoreOptions;
import dev.sprout.testkit.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log in a real store: appended in order, read backwards by limit and time, kept across a reopen. */
class AuditLogTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-07T10:00:00Z"));

    @TempDir
    Path dir;

    @Test
    void entriesAreKeptInOrderAcrossAReopenAndReadNewestFirstByLimitAndTime() {
        try (PageStore store = PageStore.open(StoreOptions.defaults(dir))) {
            AuditLog log = AuditLog.open(store.catalog(), clock);
            for (int i = 0; i < 20; i++) {
                log.record(
                        i % 2 == 0 ? "admin" : AuditLog.ANONYMOUS, "POST", "/v1/branches/" + i, 201, "", "127.0.0.1");
                clock.advance(Duration.ofMinutes(1));
            }
        }
        try (PageStore store = PageStore.open(StoreOptions.defaults(dir))) {
            AuditLog log = AuditLog.open(store.catalog(), clock);
            log.record("token abc (ci)", "DELETE", "/v1/branches/x", 403, "PERMISSION_DENIED", "127.0.0.2");
            List<AuditEntry> all = log.tail(1000, Instant.MIN);
            assertEquals(21, all.size(), "nothing lost across the reopen, synced or not");
            assertEquals("/v1/branches/0", all.getFirst().getPath());
            assertEquals("/v1/branches/x", all.getLast().getPath(), "appended after the entries before the reopen");
            assertEquals(
                    List.of("/v1/branches/18", "/v1/branches/19", "/v1/branches/x"),
                    log.tail(3, Instant.MIN).stream().map(AuditEntry::getPath).toList(),
                    "the newest three, oldest first");
            assertEquals(
                    List.of("2026-12-07T10:18:00Z", "2026-12-07T10:19:00Z", "2026-12-07T10:20:00Z"),
                    log.tail(1000, Instant.parse("2026-12-07T10:18:00Z")).stream()
                            .map(AuditEntry::getTime)
                            .toList(),
                    "at or after the time given");
            assertEquals(List.of(), log.tail(10, Instant.parse("2026-12-08T00:00:00Z")));
        }
    }
}
