package dev.sprout.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.storage.error.StorageIoException;
import dev.sprout.storage.timeline.TimelineId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;

/** A store of another on-disk format is refused at open with a sentence, never misread. */
class FormatVersionTest {
    @TempDir
    Path dir;

    @Test
    void anotherFormatIsRefusedAndTheStoreIsLeftAlone() throws Exception {
        TimelineId main = TimelineId.random();
        StoreOptions options = StoreOptions.defaults(dir).withMemory(8 << 20, 4 << 20);
        try (PageStore store = PageStore.open(options)) {
            store.createRoot(main, 0, 0);
        }
        setFormat(new byte[] {0, 0, 0, 99});
        StorageIoException e = assertThrows(StorageIoException.class, () -> PageStore.open(options));
        assertTrue(
                e.getMessage().contains("format version 99") && e.getMessage().contains(dir.toString()),
                e.getMessage());

        setFormat(null); // as written by a build before format versions existed
        e = assertThrows(StorageIoException.class, () -> PageStore.open(options));
        assertTrue(e.getMessage().contains("without an on-disk format version"), e.getMessage());

        setFormat(new byte[] {0, 0, 0, 1});
        try (PageStore store = PageStore.open(options)) {
            assertEquals(main, store.timeline(main).id(), "the refused opens changed nothing");
        }
    }

    /** Rewrites (or deletes) the format key with plain RocksDB, as another build would have left it. */
    private void setFormat(byte[] value) throws Exception {
        List<ColumnFamilyDescriptor> cfs = new ArrayList<>();
        try (org.rocksdb.Options listing = new org.rocksdb.Options()) {
            for (byte[] name : RocksDB.listColumnFamilies(listing, dir.toString())) {
                cfs.add(new ColumnFamilyDescriptor(name));
            }
        }
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try (DBOptions o = new DBOptions();
                RocksDB db = RocksDB.open(o, dir.toString(), cfs, handles)) {
            ColumnFamilyHandle meta = handles.get(cfs.stream()
                    .map(d -> new String(d.getName(), StandardCharsets.UTF_8))
                    .toList()
                    .indexOf("meta"));
            if (value == null) {
                db.delete(meta, new byte[] {'V'});
            } else {
                db.put(meta, new byte[] {'V'}, value);
            }
            handles.forEach(ColumnFamilyHandle::close);
        }
    }
}
