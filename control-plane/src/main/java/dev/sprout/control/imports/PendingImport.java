package dev.sprout.control.imports;

import dev.sprout.storage.timeline.TimelineId;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.UUID;

/**
 * An import under way: a root timeline that an importer fills and that no branch names yet. {@code branch} is the
 * name it will get; with {@code replace} that name exists and moves to the import (its state before is kept as a
 * backup branch). {@code source} names the source without credentials. {@code kind} says how the timeline is
 * filled: {@link Kind#PHYSICAL} through the page service (a base backup), {@link Kind#LOGICAL} by a restore into
 * the import's own compute, initdb'd on the empty timeline.
 *
 * <p>Encoded as format 2 (format 1, without the kind, is read as a physical import).
 */
public record PendingImport(
        TimelineId timeline, String branch, boolean replace, String source, Instant startedAt, Kind kind) {
    private static final byte FORMAT_1 = 1;
    private static final byte FORMAT = 2;

    /** How an import fills its timeline; {@code code} is its byte in the record. */
    public enum Kind {
        /** A base backup written through the page service; the compute's first start is at finish. */
        PHYSICAL(0),
        /** pg_dump/pg_restore into the import's compute, started (initdb) before the restore. */
        LOGICAL(1);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        static Kind of(int code) {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            throw new IllegalStateException("import record of unknown kind " + code);
        }
    }

    /** A physical import (the kind before logical imports existed). */
    public PendingImport(TimelineId timeline, String branch, boolean replace, String source, Instant startedAt) {
        this(timeline, branch, replace, source, startedAt, Kind.PHYSICAL);
    }

    public boolean logical() {
        return kind == Kind.LOGICAL;
    }

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            UUID id = timeline.uuid();
            out.writeLong(id.getMostSignificantBits());
            out.writeLong(id.getLeastSignificantBits());
            out.writeUTF(branch);
            out.writeBoolean(replace);
            out.writeUTF(source);
            out.writeLong(startedAt.getEpochSecond());
            out.writeInt(startedAt.getNano());
            out.writeByte(kind.code);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static PendingImport decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte format = in.readByte();
            if (format != FORMAT && format != FORMAT_1) {
                throw new IllegalStateException("import record of unknown format " + format);
            }
            TimelineId timeline = new TimelineId(new UUID(in.readLong(), in.readLong()));
            String branch = in.readUTF();
            boolean replace = in.readBoolean();
            String source = in.readUTF();
            Instant startedAt = Instant.ofEpochSecond(in.readLong(), in.readInt());
            Kind kind = Kind.PHYSICAL;
            if (format == FORMAT) {
                kind = Kind.of(in.readUnsignedByte());
            }
            return new PendingImport(timeline, branch, replace, source, startedAt, kind);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt import record", e);
        }
    }
}
