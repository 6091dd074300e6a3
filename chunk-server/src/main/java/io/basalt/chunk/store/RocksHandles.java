package io.basalt.chunk.store;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteOptions;

/**
 * Owns every native RocksDB object of one store (DB, column family handles, options, cache, listener) and releases
 * them in reverse creation order, so handles close before the DB and the cache/options outlive it. Shared
 * {@link WriteOptions}/{@link ReadOptions} are never mutated after open, which makes them safe to share.
 */
final class RocksHandles implements AutoCloseable {
  static final String CF_META = "meta";
  static final String CF_EXTENTS = "extents";
  static final String CF_BLOCKS = "blocks";
  static final String CF_GENLOG = "genlog";
  private static final double BLOOM_BITS_PER_KEY = 10;

  final RocksDB db;
  final ColumnFamilyHandle meta;
  final ColumnFamilyHandle extents;
  final ColumnFamilyHandle blocks;
  final ColumnFamilyHandle genlog;
  final WriteOptions syncWrite;
  final WriteOptions asyncWrite;
  final ReadOptions read;
  private final Deque<AutoCloseable> owned;

  private RocksHandles(RocksDB db, List<ColumnFamilyHandle> cfs, WriteOptions syncWrite, WriteOptions asyncWrite,
      ReadOptions read, Deque<AutoCloseable> owned) {
    this.db = db;
    this.meta = cfs.get(1);
    this.extents = cfs.get(2);
    this.blocks = cfs.get(3);
    this.genlog = cfs.get(4);
    this.syncWrite = syncWrite;
    this.asyncWrite = asyncWrite;
    this.read = read;
    this.owned = owned;
  }

  static RocksHandles open(Path dir, RocksStoreConfig cfg, Consumer<String> onBackgroundError)
      throws RocksDBException {
    RocksDB.loadLibrary();
    Deque<AutoCloseable> owned = new ArrayDeque<>();
    try {
      LRUCache cache = own(owned, new LRUCache(cfg.blockCacheBytes()));
      BloomFilter bloom = own(owned, new BloomFilter(BLOOM_BITS_PER_KEY));
      ColumnFamilyOptions small = own(owned, new ColumnFamilyOptions()
          .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(cache)));
      // Bloom filter: RMW and reads of never-written blocks are point lookups that mostly miss.
      ColumnFamilyOptions blockOpts = own(owned, new ColumnFamilyOptions()
          .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(cache).setFilterPolicy(bloom))
          .setEnableBlobFiles(cfg.blobFiles())
          .setMinBlobSize(cfg.minBlobSize())
          // Overwritten blocks leave garbage in blob files; without GC it is never reclaimed.
          .setEnableBlobGarbageCollection(cfg.blobFiles()));
      BackgroundErrorListener listener = own(owned, new BackgroundErrorListener(onBackgroundError));
      DBOptions dbOpts = own(owned, new DBOptions()
          .setCreateIfMissing(true)
          .setCreateMissingColumnFamilies(true)
          .setListeners(List.of(listener)));
      List<ColumnFamilyDescriptor> descriptors = List.of(
          new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, small),
          new ColumnFamilyDescriptor(bytes(CF_META), small),
          new ColumnFamilyDescriptor(bytes(CF_EXTENTS), small),
          new ColumnFamilyDescriptor(bytes(CF_BLOCKS), blockOpts),
          new ColumnFamilyDescriptor(bytes(CF_GENLOG), small));
      List<ColumnFamilyHandle> cfs = new ArrayList<>();
      RocksDB db = own(owned, RocksDB.open(dbOpts, dir.toString(), descriptors, cfs));
      cfs.forEach(h -> own(owned, h));
      WriteOptions syncWrite = own(owned, new WriteOptions().setSync(true));
      WriteOptions asyncWrite = own(owned, new WriteOptions());
      ReadOptions read = own(owned, new ReadOptions());
      return new RocksHandles(db, cfs, syncWrite, asyncWrite, read, owned);
    } catch (RocksDBException | RuntimeException e) {
      closeAll(owned);
      throw e;
    }
  }

  @Override
  public void close() {
    closeAll(owned);
  }

  private static <T extends AutoCloseable> T own(Deque<AutoCloseable> owned, T resource) {
    owned.push(resource);
    return resource;
  }

  private static void closeAll(Deque<AutoCloseable> owned) {
    RuntimeException first = null;
    while (!owned.isEmpty()) {
      try {
        owned.pop().close();
      } catch (Exception e) {
        if (first == null) first = new IllegalStateException("closing rocksdb resources failed", e);
        else first.addSuppressed(e);
      }
    }
    if (first != null) throw first;
  }

  private static byte[] bytes(String name) {
    return name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }
}
