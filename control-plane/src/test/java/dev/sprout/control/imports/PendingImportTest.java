package dev.sprout.control.imports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sprout.storage.timeline.TimelineId;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The catalog record of an import: format 2 keeps the kind; a record of format 1 reads as a physical import. */
class PendingImportTest {
    private static final TimelineId TIMELINE = new TimelineId(UUID.fromString("0b6c7c1e-6a4e-4b9e-9a53-2f1f2f7a0e11"));
    private static final Instant STARTED = Instant.parse("2026-12-07T04:13:51.123456789Z");

    @Test
    void bothKindsComeBackAsWritten() {
        for (PendingImport.Kind kind : PendingImport.Kind.values()) {
            PendingImport p = new PendingImport(TIMELINE, "logi", true, "postgresql://u@h:5432/", STARTED, kind);
            assertEquals(p, PendingImport.decode(p.encode()));
        }
    }

    @Test
    void aRecordOfFormat1IsAPhysicalImport() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(1);
            out.writeLong(TIMELINE.uuid().getMostSignificantBits());
            out.writeLong(TIMELINE.uuid().getLeastSignificantBits());
            out.writeUTF("main");
            out.writeBoolean(true);
            out.writeUTF("postgresql://u@h:5432/db");
            out.writeLong(STARTED.getEpochSecond());
            out.writeInt(STARTED.getNano());
        }
        PendingImport p = PendingImport.decode(bytes.toByteArray());
        assertEquals(new PendingImport(TIMELINE, "main", true, "postgresql://u@h:5432/db", STARTED), p);
        assertEquals(PendingImport.Kind.PHYSICAL, p.kind());
    }

    @Test
    void anUnknownFormatOrKindIsRefused() {
        byte[] record = new PendingImport(TIMELINE, "x", false, "s", STARTED, PendingImport.Kind.LOGICAL).encode();
        record[record.length - 1] = 9;
        assertThrows(IllegalStateException.class, () -> PendingImport.decode(record));
        record[0] = 3;
        assertThrows(IllegalStateException.class, () -> PendingImport.decode(record));
    }
}
