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
 * An import under way: a root timeline that an importer fills through the page service and that no branch names
 * yet. {@code branch} is the name it will get; with {@code replace} that name exists and moves to the import (its
 * state before is kept as a backup branch). {@code source} names the source without credentials.
 */
public record PendingImport(TimelineId timeline, String branch, boolean replace, String source, Instant startedAt) {
    private static final byte FORMAT = 1;

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
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static PendingImport decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte format = in.readByte();
            if (format != FORMAT) {
                throw new IllegalStateException("import record of unknown format " + format);
            }
            return new PendingImport(
                    new TimelineId(new UUID(in.readLong(), in.readLong())),
                    in.readUTF(),
                    in.readBoolean(),
                    in.readUTF(),
                    Instant.ofEpochSecond(in.readLong(), in.readInt()));
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt import record", e);
        }
    }
}
