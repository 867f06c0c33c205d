package dev.sprout.control.branch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sprout.storage.timeline.BranchPoint;
import dev.sprout.storage.timeline.TimelineId;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
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
                List.of("alice", "bob"));
        assertEquals(b, Branch.decode(b.encode()));
        Branch open = b.withRoles(List.of());
        assertEquals(open, Branch.decode(open.encode()));
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
}
