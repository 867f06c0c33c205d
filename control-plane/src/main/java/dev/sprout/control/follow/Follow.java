package dev.sprout.control.follow;

import dev.sprout.storage.timeline.TimelineId;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * A follower: timeline {@code timeline} is a hot standby of the source {@code source} (redacted URL), streaming
 * through the source's replication slot {@code slot} as role {@code role} ({@code conninfo}: libpq keywords without
 * the password, which is kept in a secret file of the pageserver's, never in the store). {@code slotLeft} is set
 * when the follower ended but its slot could not be dropped: the sentence says why and how to drop it by hand, and
 * the record stays until then.
 */
public record Follow(
        TimelineId timeline,
        String branch,
        String source,
        String conninfo,
        String role,
        String slot,
        Instant since,
        Optional<String> slotLeft) {
    private static final byte FORMAT = 1;

    public Follow withSlotLeft(String why) {
        return new Follow(timeline, branch, source, conninfo, role, slot, since, Optional.of(why));
    }

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            UUID id = timeline.uuid();
            out.writeLong(id.getMostSignificantBits());
            out.writeLong(id.getLeastSignificantBits());
            out.writeUTF(branch);
            out.writeUTF(source);
            out.writeUTF(conninfo);
            out.writeUTF(role);
            out.writeUTF(slot);
            out.writeLong(since.getEpochSecond());
            out.writeInt(since.getNano());
            out.writeUTF(slotLeft.orElse(""));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static Follow decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte format = in.readByte();
            if (format != FORMAT) {
                throw new IllegalStateException("follow record of unknown format " + format);
            }
            TimelineId timeline = new TimelineId(new UUID(in.readLong(), in.readLong()));
            String branch = in.readUTF();
            String source = in.readUTF();
            String conninfo = in.readUTF();
            String role = in.readUTF();
            String slot = in.readUTF();
            Instant since = Instant.ofEpochSecond(in.readLong(), in.readInt());
            String left = in.readUTF();
            return new Follow(
                    timeline,
                    branch,
                    source,
                    conninfo,
                    role,
                    slot,
                    since,
                    left.isEmpty() ? Optional.empty() : Optional.of(left));
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt follow record", e);
        }
    }
}
