package dev.sprout.control.branch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.storage.timeline.BranchPoint;
import dev.sprout.storage.timeline.TimelineId;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class BranchTest {
    private static final Instant T = Instant.parse("2026-12-07T10:00:00.123456789Z");

    @Test
    void aRecordRoundTripsWithItsRoles() {
        Branch b = new Branch(
                "pr-1",
                TimelineId.random(),
                Optional.of("main"),
                new BranchPoint.AtTime(T),
                42,
                T,
                T,
                List.of("alice", "bob"),
                new Expiry.Never(),
                false);
        assertEquals(b, Branch.decode(b.encode()));
        Branch open = b.withRoles(List.of());
        assertEquals(open, Branch.decode(open.encode()));
    }

    @Test
    void everyLifecycleRoundTrips() {
        Branch b = new Branch("pr-2", TimelineId.random(), Optional.of("main"), new BranchPoint.Head(), 42, T, T);
        for (Expiry e : List.of(
                new Expiry.Never(),
                new Expiry.At(T),
                new Expiry.Ttl(Duration.ofDays(3), T.plusSeconds(1)),
                new Expiry.Lease(Duration.ofMinutes(10), T.plusNanos(7)))) {
            assertEquals(b.withExpiry(e), Branch.decode(b.withExpiry(e).encode()), e.toString());
        }
        assertEquals(b.withProtect(true), Branch.decode(b.withProtect(true).encode()));
        assertThrows(
                IllegalArgumentException.class,
                () -> b.withProtect(true).withExpiry(new Expiry.At(T)),
                "a protected branch cannot expire");
        assertThrows(IllegalArgumentException.class, () -> new Expiry.Ttl(Duration.ZERO, T));
    }

    @Test
    void aLeaseRenewedMovesItsDeadlineAndAFixedTimeStays() {
        Expiry lease = new Expiry.Lease(Duration.ofMinutes(10), T);
        assertEquals(
                Optional.of(T.plusSeconds(700)),
                lease.renewedAt(T.plusSeconds(100)).deadline());
        assertTrue(lease.expiredAt(T));
        assertFalse(lease.expiredAt(T.minusNanos(1)));
        Expiry fixed = new Expiry.At(T);
        assertEquals(fixed, fixed.renewedAt(T.plusSeconds(100)));
        assertEquals(Optional.empty(), fixed.renewBy());
        assertFalse(new Expiry.Never().expiredAt(Instant.MAX));
    }

    @Test
    void aRecordWrittenBeforeRolesExistedLetsEveryRoleConnect() throws Exception {
        UUID id = UUID.randomUUID();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) { // format 1, as the first stores wrote it
            out.writeByte(1);
            out.writeUTF("feature-x");
            out.writeLong(id.getMostSignificantBits());
            out.writeLong(id.getLeastSignificantBits());
            out.writeUTF("main");
            out.writeByte('L');
            out.writeLong(7);
            out.writeLong(7);
            out.writeLong(T.getEpochSecond());
            out.writeInt(T.getNano());
            out.writeLong(T.getEpochSecond());
            out.writeInt(T.getNano());
        }
        assertEquals(
                new Branch("feature-x", new TimelineId(id), Optional.of("main"), new BranchPoint.AtLsn(7), 7, T, T),
                Branch.decode(bytes.toByteArray()));
    }

    @Test
    void aRecordWrittenBeforeLifecyclesExistedNeverExpiresAndOnlyMainIsProtected() throws Exception {
        for (String name : List.of("main", "feature-x")) {
            UUID id = UUID.randomUUID();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) { // format 2
                out.writeByte(2);
                out.writeUTF(name);
                out.writeLong(id.getMostSignificantBits());
                out.writeLong(id.getLeastSignificantBits());
                out.writeUTF("");
                out.writeByte('H');
                out.writeLong(7);
                out.writeLong(T.getEpochSecond());
                out.writeInt(T.getNano());
                out.writeLong(T.getEpochSecond());
                out.writeInt(T.getNano());
                out.writeShort(1);
                out.writeUTF("alice");
            }
            Branch read = Branch.decode(bytes.toByteArray());
            assertEquals(List.of("alice"), read.roles());
            assertEquals(new Expiry.Never(), read.expiry());
            assertEquals(name.equals("main"), read.protect(), name);
        }
    }
}
