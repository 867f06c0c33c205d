package dev.sprout.storage.internal;

import dev.sprout.storage.StoreOptions;
import dev.sprout.storage.error.StorageIoException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksObject;
import org.rocksdb.WriteOptions;

/**
 * Owns every native RocksDB object of one open store, and closes them in the right order (handles, then the
 * database, then the options the database was opened with).
 *
 * <p>Tuning follows measurements on this project's machines (shared/design/ROCKSDB-NOTES.md): LZ4, 4 KiB
 * blocks, format_version 6, dynamic level bytes with a 512 MiB base, 64 MiB files, 1 MiB bytes_per_sync, and a
 * prefix bloom filter over (timeline, file, block) so that a child timeline's miss before falling through to
 * its parent is cheap.
 */
public final class RocksHandles implements AutoCloseable {
    static {
        NativeRocks.load();
    }

    public final RocksDB db;
    public final ColumnFamilyHandle meta;
    public final ColumnFamilyHandle pages;
    public final ColumnFamilyHandle attrs;
    public final ColumnFamilyHandle dentries;
    /** Records of the application that embeds the store (the control plane's branches): see {@code Catalog}. */
    public final ColumnFamilyHandle catalog;
    /** Point-in-time reads that stay within one page key's prefix (timeline, file, block). */
    public final ReadOptions pageRead;

    /**
     * {@link #pageRead} for a run of consecutive blocks (a sequential scan's readahead): each read of the table files
     * fetches {@link #RANGE_READAHEAD} bytes ahead, so a cold run costs a few large reads of the disk, not one small
     * read per 4 KiB block (RocksDB opens table files for random access, which turns the kernel's readahead off).
     */
    public final ReadOptions rangeRead;

    /** How far a {@link #rangeRead} reads ahead in a table file. */
    public static final long RANGE_READAHEAD = 2L << 20;

    public final ReadOptions plainRead;
    /** Scans across prefixes (GC, listings): the prefix extractor must not cut the iteration short. */
    public final ReadOptions scanRead;

    public final WriteOptions commitWrite;
    public final WriteOptions unsyncedWrite;

    private final List<RocksObject> owned = new ArrayList<>();
    private final List<ColumnFamilyHandle> handles = new ArrayList<>();

    private RocksHandles(RocksDB db, List<ColumnFamilyHandle> handles, boolean sync, List<RocksObject> owned) {
        this.db = db;
        this.handles.addAll(handles);
        this.meta = handles.get(1);
        this.pages = handles.get(2);
        this.attrs = handles.get(3);
        this.dentries = handles.get(4);
        this.catalog = handles.get(5);
        this.owned.addAll(owned);
        this.pageRead = own(new ReadOptions().setPrefixSameAsStart(true));
        this.rangeRead = own(new ReadOptions().setPrefixSameAsStart(true).setReadaheadSize(RANGE_READAHEAD));
        this.plainRead = own(new ReadOptions());
        this.scanRead = own(new ReadOptions().setTotalOrderSeek(true));
        this.commitWrite = own(new WriteOptions().setSync(sync));
        this.unsyncedWrite = own(new WriteOptions().setSync(false));
    }

    private <T extends RocksObject> T own(T object) {
        owned.add(object);
        return object;
    }

    public static RocksHandles open(StoreOptions options) {
        Path dir = options.directory();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StorageIoException("cannot create the store directory " + dir + ": " + e.getMessage(), e);
        }
        List<RocksObject> owned = new ArrayList<>();
        LRUCache cache = new LRUCache(options.blockCacheBytes());
        owned.add(cache);
        BloomFilter pageBloom = new BloomFilter(10);
        owned.add(pageBloom);
        BloomFilter plainBloom = new BloomFilter(10);
        owned.add(plainBloom);

        ColumnFamilyOptions small = cfOptions(options.writeBufferBytes() / 4, cache, plainBloom, owned);
        ColumnFamilyOptions pagesCf = cfOptions(options.writeBufferBytes(), cache, pageBloom, owned)
                .useFixedLengthPrefixExtractor(Keys.PAGE_PREFIX_BYTES)
                .setMemtablePrefixBloomSizeRatio(0.05);
        ColumnFamilyOptions attrsCf = cfOptions(options.writeBufferBytes() / 4, cache, plainBloom, owned)
                .useFixedLengthPrefixExtractor(Keys.ATTR_PREFIX_BYTES)
                .setMemtablePrefixBloomSizeRatio(0.05);
        List<ColumnFamilyDescriptor> descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, small),
                new ColumnFamilyDescriptor("meta".getBytes(StandardCharsets.UTF_8), small),
                new ColumnFamilyDescriptor("pages".getBytes(StandardCharsets.UTF_8), pagesCf),
                new ColumnFamilyDescriptor("attrs".getBytes(StandardCharsets.UTF_8), attrsCf),
                new ColumnFamilyDescriptor("dentries".getBytes(StandardCharsets.UTF_8), small),
                // Added after the first stores were made: createMissingColumnFamilies adds it to those on open.
                new ColumnFamilyDescriptor("catalog".getBytes(StandardCharsets.UTF_8), small));
        DBOptions dbOptions = new DBOptions()
                .setCreateIfMissing(true)
                .setCreateMissingColumnFamilies(true)
                .setBytesPerSync(1 << 20)
                .setMaxBackgroundJobs(2)
                .setKeepLogFileNum(4)
                // The small families are written by every commit but rarely fill a memtable; without a cap their
                // WAL files pin about 4 GiB during a bulk load (4 x the write buffers) until they flush.
                .setMaxTotalWalSize(512L << 20);
        owned.add(dbOptions);
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try {
            RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
            return new RocksHandles(db, handles, options.syncCommits(), owned);
        } catch (RocksDBException e) {
            owned.reversed().forEach(RocksObject::close);
            throw new StorageIoException("cannot open the store at " + dir + ": " + e.getMessage(), e);
        }
    }

    private static ColumnFamilyOptions cfOptions(
            long writeBuffer, LRUCache cache, BloomFilter bloom, List<RocksObject> owned) {
        BlockBasedTableConfig table = new BlockBasedTableConfig()
                .setBlockCache(cache)
                .setBlockSize(4 << 10)
                .setFormatVersion(6)
                .setFilterPolicy(bloom)
                .setCacheIndexAndFilterBlocks(true)
                .setPinL0FilterAndIndexBlocksInCache(true)
                .setWholeKeyFiltering(false);
        ColumnFamilyOptions cf = new ColumnFamilyOptions()
                .setTableFormatConfig(table)
                .setCompressionType(CompressionType.LZ4_COMPRESSION)
                .setWriteBufferSize(writeBuffer)
                .setMaxWriteBufferNumber(4)
                .setLevelCompactionDynamicLevelBytes(true)
                .setMaxBytesForLevelBase(512L << 20)
                .setTargetFileSizeBase(64L << 20)
                .setLevel0SlowdownWritesTrigger(40)
                .setLevel0StopWritesTrigger(60);
        owned.add(cf);
        return cf;
    }

    /** Writes every memtable to SST files (for size measurements and tests). */
    public void flush() {
        try (FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
            db.flush(fo, handles);
        } catch (RocksDBException e) {
            throw new StorageIoException("flush failed: " + e.getMessage(), e);
        }
    }

    public List<ColumnFamilyHandle> dataFamilies() {
        return List.of(pages, attrs, dentries);
    }

    @Override
    public void close() {
        handles.forEach(ColumnFamilyHandle::close);
        db.close();
        owned.reversed().forEach(RocksObject::close);
    }
}
