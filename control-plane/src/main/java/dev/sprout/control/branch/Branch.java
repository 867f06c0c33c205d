package dev.sprout.control.branch;

import dev.sprout.protocol.BranchName;
import dev.sprout.storage.timeline.BranchPoint;
import dev.sprout.storage.timeline.TimelineId;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A branch: a name bound to a timeline. {@code requested} is the branch point as it was asked for, kept so that a
 * repeated create is recognized as the same request; {@code branchLsn} and {@code branchTime} are where it
 * actually starts in its parent (for a root: its creation). {@code roles} are the PostgreSQL roles the proxy lets
 * connect to it (checked before its compute is woken); empty: every role. A reset or restore keeps them, and the
 * backup a restore makes carries them too (it holds the same data); a new branch starts without. {@code expiry}
 * says when the control plane deletes it by itself; {@code protect} makes delete, reset and restore need force
 * ({@code main} is protected from its creation; a branch that expires is never protected).
 */
public record Branch(
        String name,
        TimelineId timeline,
        Optional<String> parent,
        BranchPoint requested,
        long branchLsn,
        Instant branchTime,
        Instant createdAt,
        List<String> roles,
        Expiry expiry,
        boolean protect) {
    /**
     * Format 1 had no roles (read as "every role"), format 2 no lifecycle (read as never expiring, and protected
     * for main only): both are still read.
     */
    private static final byte FORMAT = 3;

    public Branch {
        roles = List.copyOf(roles);
        if (protect && expiry.deadline().isPresent()) {
            throw new IllegalArgumentException("branch " + name + " cannot both expire and be protected");
        }
    }

    /** A branch that every role may connect to. */
    public Branch(
            String name,
            TimelineId timeline,
            Optional<String> parent,
            BranchPoint requested,
            long branchLsn,
            Instant branchTime,
            Instant createdAt) {
        this(name, timeline, parent, requested, branchLsn, branchTime, createdAt, List.of(), new Expiry.Never(), false);
    }

    public Branch withRoles(List<String> newRoles) {
        return new Branch(
                name, timeline, parent, requested, branchLsn, branchTime, createdAt, newRoles, expiry, protect);
    }

    public Branch withExpiry(Expiry newExpiry) {
        return new Branch(
                name, timeline, parent, requested, branchLsn, branchTime, createdAt, roles, newExpiry, protect);
    }

    public Branch withProtect(boolean newProtect) {
        return new Branch(
                name, timeline, parent, requested, branchLsn, branchTime, createdAt, roles, expiry, newProtect);
    }

    /** Whether PostgreSQL role {@code role} may connect to this branch. */
    public boolean admits(String role) {
        return roles.isEmpty() || roles.contains(role);
    }

    public Branch withTimeline(TimelineId newTimeline, Optional<String> newParent, long lsn, Instant time) {
        return new Branch(name, newTimeline, newParent, requested, lsn, time, createdAt, roles, expiry, protect);
    }

    /** The same state under {@code newName}, never expiring and unprotected (a restore's backup). */
    public Branch renamed(String newName) {
        return new Branch(
                newName,
                timeline,
                parent,
                requested,
                branchLsn,
                branchTime,
                createdAt,
                roles,
                new Expiry.Never(),
                false);
    }

    public Branch withParent(Optional<String> newParent) {
        return new Branch(
                name, timeline, newParent, requested, branchLsn, branchTime, createdAt, roles, expiry, protect);
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
            out.writeShort(roles.size());
            for (String role : roles) {
                out.writeUTF(role);
            }
            switch (expiry) {
                case Expiry.Never _ -> out.writeByte('N');
                case Expiry.At(Instant at) -> {
                    out.writeByte('A');
                    writeInstant(out, at);
                }
                case Expiry.Ttl(Duration ttl, Instant at) -> {
                    out.writeByte('T');
                    out.writeLong(ttl.toMillis());
                    writeInstant(out, at);
                }
                case Expiry.Lease(Duration lease, Instant at) -> {
                    out.writeByte('L');
                    out.writeLong(lease.toMillis());
                    writeInstant(out, at);
                }
            }
            out.writeBoolean(protect);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static Branch decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte format = in.readByte();
            if (format < 1 || format > FORMAT) {
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
            List<String> roles = new ArrayList<>();
            if (format >= 2) {
                for (int n = in.readUnsignedShort(); n > 0; n--) {
                    roles.add(in.readUTF());
                }
            }
            Expiry expiry = new Expiry.Never();
            boolean protect = name.equals(BranchName.MAIN);
            if (format >= 3) {
                expiry = switch (in.readByte()) {
                    case 'N' -> new Expiry.Never();
                    case 'A' -> new Expiry.At(readInstant(in));
                    case 'T' -> new Expiry.Ttl(Duration.ofMillis(in.readLong()), readInstant(in));
                    case 'L' -> new Expiry.Lease(Duration.ofMillis(in.readLong()), readInstant(in));
                    default -> throw new IllegalStateException("branch record of " + name + " has an unknown expiry");
                };
                protect = in.readBoolean();
            }
            return new Branch(
                    name,
                    timeline,
                    parent.isEmpty() ? Optional.empty() : Optional.of(parent),
                    requested,
                    lsn,
                    time,
                    created,
                    roles,
                    expiry,
                    protect);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt branch record", e);
        }
    }

    private static void writeInstant(DataOutputStream out, Instant t) throws IOException {
        out.writeLong(t.getEpochSecond());
        out.writeInt(t.getNano());
    }

    private static Instant readInstant(DataInputStream in) throws IOException {
        return Instant.ofEpochSecond(in.readLong(), in.readInt());
    }
}
