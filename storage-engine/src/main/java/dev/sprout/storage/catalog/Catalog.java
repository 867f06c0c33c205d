package dev.sprout.storage.catalog;

import dev.sprout.storage.error.InvalidArgumentException;
import dev.sprout.storage.error.StorageIoException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.function.BiPredicate;
import java.util.function.Supplier;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * Small durable records of the application that embeds the store, beside its pages in the same RocksDB (a column
 * family of their own, {@code catalog}): in the all-in-one mode the control plane keeps its branches here. Keys are
 * UTF-8 strings of at most {@value #MAX_KEY_BYTES} bytes, values at most {@value #MAX_VALUE_BYTES} bytes; the engine
 * gives them no meaning. Every write is synced before it returns; {@link #write} applies several changes
 * atomically.
 *
 * <p>Concurrency: thread-safe (RocksDB's own guarantees); writers that must not interleave a read and a write
 * serialize themselves.
 */
public final class Catalog {
    public static final int MAX_KEY_BYTES = 1_024;
    public static final int MAX_VALUE_BYTES = 1 << 20;

    private final RocksDB db;
    private final ColumnFamilyHandle family;
    private final WriteOptions syncedWrite;
    private final WriteOptions unsyncedWrite;
    private final ReadOptions scan;
    private final Guard guard;

    /** Runs a call while the store is open (the store's lifecycle lock). */
    @FunctionalInterface
    public interface Guard {
        <T> T run(Supplier<T> call);
    }

    public Catalog(
            RocksDB db,
            ColumnFamilyHandle family,
            WriteOptions syncedWrite,
            WriteOptions unsyncedWrite,
            ReadOptions scan,
            Guard guard) {
        this.db = db;
        this.family = family;
        this.syncedWrite = syncedWrite;
        this.unsyncedWrite = unsyncedWrite;
        this.scan = scan;
        this.guard = guard;
    }

    public Optional<byte[]> get(String key) {
        byte[] k = key(key);
        return guard.run(() -> {
            try {
                return Optional.ofNullable(db.get(family, k));
            } catch (RocksDBException e) {
                throw new StorageIoException("cannot read catalog key \"" + key + "\": " + e.getMessage(), e);
            }
        });
    }

    /** Every record whose key starts with {@code prefix}, in key order. */
    public SequencedMap<String, byte[]> scan(String prefix) {
        byte[] p = key(prefix);
        return guard.run(() -> {
            SequencedMap<String, byte[]> out = new LinkedHashMap<>();
            try (RocksIterator it = db.newIterator(family, scan)) {
                for (it.seek(p); it.isValid() && startsWith(it.key(), p); it.next()) {
                    out.put(new String(it.key(), StandardCharsets.UTF_8), it.value());
                }
                it.status();
            } catch (RocksDBException e) {
                throw new StorageIoException("cannot scan the catalog at \"" + prefix + "\": " + e.getMessage(), e);
            }
            return out;
        });
    }

    public void put(String key, byte[] value) {
        write(Map.of(key, Optional.of(value)));
    }

    /**
     * Puts one record into RocksDB's write-ahead log without waiting for the disk: it survives the process being
     * killed, not the machine losing power. For records whose loss then costs little and whose rate the caller does
     * not control.
     */
    public void putUnsynced(String key, byte[] value) {
        guard.run(() -> {
            try (WriteBatch batch = new WriteBatch()) {
                addTo(batch, Map.of(key, Optional.of(value)));
                db.write(unsyncedWrite, batch);
            } catch (RocksDBException e) {
                throw new StorageIoException("cannot write the catalog: " + e.getMessage(), e);
            }
            return null;
        });
    }

    /**
     * Visits the records whose key starts with {@code prefix} from the last (in key order) backwards, while
     * {@code visitor} returns true.
     */
    public void scanBackward(String prefix, BiPredicate<String, byte[]> visitor) {
        byte[] p = key(prefix);
        byte[] past = Arrays.copyOf(p, p.length + 1);
        past[p.length] = (byte) 0xFF;
        guard.run(() -> {
            try (RocksIterator it = db.newIterator(family, scan)) {
                for (it.seekForPrev(past);
                        it.isValid()
                                && startsWith(it.key(), p)
                                && visitor.test(new String(it.key(), StandardCharsets.UTF_8), it.value());
                        it.prev()) {
                    // the visitor did the work
                }
                it.status();
            } catch (RocksDBException e) {
                throw new StorageIoException("cannot scan the catalog at \"" + prefix + "\": " + e.getMessage(), e);
            }
            return null;
        });
    }

    public void delete(String key) {
        write(Map.of(key, Optional.empty()));
    }

    /** Puts (present values) and deletes (empty ones) all of {@code changes} in one synced, atomic write. */
    public void write(Map<String, Optional<byte[]>> changes) {
        guard.run(() -> {
            try (WriteBatch batch = new WriteBatch()) {
                addTo(batch, changes);
                db.write(syncedWrite, batch);
            } catch (RocksDBException e) {
                throw new StorageIoException("cannot write the catalog: " + e.getMessage(), e);
            }
            return null;
        });
    }

    /**
     * Adds {@code changes} (as for {@link #write}) to {@code batch}, a write of the store's that carries other
     * records too (a new timeline and the record that names it), checked as {@link #write} checks them.
     */
    public void addTo(WriteBatch batch, Map<String, Optional<byte[]>> changes) {
        try {
            for (var change : changes.entrySet()) {
                byte[] k = key(change.getKey());
                if (change.getValue().isPresent()) {
                    byte[] v = change.getValue().get();
                    if (v.length > MAX_VALUE_BYTES) {
                        throw new InvalidArgumentException("catalog value of \"" + change.getKey() + "\" is " + v.length
                                + " bytes (expected: <= " + MAX_VALUE_BYTES + ")");
                    }
                    batch.put(family, k, v);
                } else {
                    batch.delete(family, k);
                }
            }
        } catch (RocksDBException e) {
            throw new StorageIoException("cannot write the catalog: " + e.getMessage(), e);
        }
    }

    private static byte[] key(String key) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        if (k.length > MAX_KEY_BYTES) {
            throw new InvalidArgumentException(
                    "catalog key of " + k.length + " bytes (expected: <= " + MAX_KEY_BYTES + ")");
        }
        return k;
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        if (key.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (key[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
