package dev.sprout.control.branch;

import dev.sprout.storage.timeline.BranchPoint;
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
 * A branch: a name bound to a timeline. {@code requested} is the branch point as it was asked for, kept so that a
 * repeated create is recognized as the same request; {@code branchLsn} and {@code branchTime} are where it
 * actually starts in its parent (for a root: its creation).
 */
public record Branch(String name, TimelineId timeline, Optional<String> parent, BranchPoint requested, long branchLsn,
                     Instant branchTime, Instant createdAt) {
    private static final byte FORMAT = 1;

    public Branch withTimeline(TimelineId newTimeline, Optional<String> newParent, long lsn, Instant time) {
        return new Branch(name, newTimeline, newParent, requested, lsn, time, createdAt);
    }

    public Branch renamed(String newName) {
        return new Branch(newName, timeline, parent, requested, branchLsn, branchTime, createdAt);
    }

    public Branch withParent(Optional<String> newParent) {
        return new Branch(name, timeline, newParent, requested, branchLsn, branchTime, createdAt);
    }

    /** The catalog's encoding: a format byte, then the fields in order. */
    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeUTF(name);
            UUID id = timeline.uuid();
            out.writeLong(id.getMostSignificantBits());
            out.writeLong(id.getLeastSignificantBits());
            out.writeUTF(parent.orElse(""));
            switch (requested) {
                case BranchPoint.Head _ -> out.writeByte('H');
                case BranchPoint.AtLsn(long lsn) -> {
                    out.writeByte('L');
                    out.writeLong(lsn);
                }
                case BranchPoint.AtTime(Instant t) -> {
                    out.writeByte('T');
                    out.writeLong(t.getEpochSecond());
                    out.writeInt(t.getNano());
                }
            }
            out.writeLong(branchLsn);
            out.writeLong(branchTime.getEpochSecond());
            out.writeInt(branchTime.getNano());
            out.writeLong(createdAt.getEpochSecond());
            out.writeInt(createdAt.getNano());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static Branch decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte format = in.readByte();
            if (format != FORMAT) {
                throw new IllegalStateException("branch record of unknown format " + format);
            }
            String name = in.readUTF();
            TimelineId timeline = new TimelineId(new UUID(in.readLong(), in.readLong()));
            String parent = in.readUTF();
            BranchPoint requested = switch (in.readByte()) {
                case 'H' -> new BranchPoint.Head();
                case 'L' -> new BranchPoint.AtLsn(in.readLong());
                case 'T' -> new BranchPoint.AtTime(Instant.ofEpochSecond(in.readLong(), in.readInt()));
                default -> throw new IllegalStateException("branch record of " + name + " has an unknown branch point");
            };
            long lsn = in.readLong();
            Instant time = Instant.ofEpochSecond(in.readLong(), in.readInt());
            Instant created = Instant.ofEpochSecond(in.readLong(), in.readInt());
            return new Branch(name, timeline, parent.isEmpty() ? Optional.empty() : Optional.of(parent), requested, lsn,
                    time, created);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt branch record", e);
        }
    }
}
