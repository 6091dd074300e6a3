package io.basalt.chunk.store;

import java.nio.charset.StandardCharsets;
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
import org.rocksdb.CompressionType;
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
  private static final long SMALL_WRITE_BUFFER_BYTES = 8L << 20;

  final RocksDB db;
  final ColumnFamilyHandle meta;
  final ColumnFamilyHandle extents;
  final ColumnFamilyHandle blocks;
  final ColumnFamilyHandle genlog;
  final WriteOptions syncWrite;
  final WriteOptions asyncWrite;
  final ReadOptions read;
  /** Reads of {@code blocks} values (our CRC checked by the caller): no RocksDB checksum pass, see open. */
  final ReadOptions blockRead;
  private final Deque<AutoCloseable> owned;

  private RocksHandles(RocksDB db, List<ColumnFamilyHandle> cfs, WriteOptions syncWrite, WriteOptions asyncWrite,
      ReadOptions read, ReadOptions blockRead, Deque<AutoCloseable> owned) {
    this.db = db;
    this.meta = cfs.get(1);
    this.extents = cfs.get(2);
    this.blocks = cfs.get(3);
    this.genlog = cfs.get(4);
    this.syncWrite = syncWrite;
    this.asyncWrite = asyncWrite;
    this.read = read;
    this.blockRead = blockRead;
    this.owned = owned;
  }

  static RocksHandles open(Path dir, RocksStoreConfig cfg, Consumer<String> onBackgroundError,
      Consumer<String> onNoSpace) throws RocksDBException {
    RocksDB.loadLibrary();
    Deque<AutoCloseable> owned = new ArrayDeque<>();
    try {
      LRUCache cache = own(owned, new LRUCache(cfg.blockCacheBytes()));
      BloomFilter bloom = own(owned, new BloomFilter(BLOOM_BITS_PER_KEY));
      // meta/extents/genlog: a few small records per apply. Small memtables so they never hold much memory; they
      // are flushed when max_total_wal_size asks (their old records pin WAL files otherwise).
      ColumnFamilyOptions small = own(owned, new ColumnFamilyOptions()
          .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(cache))
          .setWriteBufferSize(SMALL_WRITE_BUFFER_BYTES));
      ColumnFamilyOptions blockOpts = own(owned, blockOptions(cfg, cache, bloom));
      BackgroundErrorListener listener = own(owned, new BackgroundErrorListener(onBackgroundError, onNoSpace));
      DBOptions dbOpts = own(owned, dbOptions(cfg).setListeners(List.of(listener)));
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
      // Block values carry our own CRC32C over the data, checked on every read (BlockValueCodec), so RocksDB need
      // not checksum the same bytes again: a blob read then fetches only the value, not header + key + value with
      // a second CRC pass. That pass is not cheap here: this rocksdbjni build has no hardware CRC32C ("Fast CRC32
      // supported: Not supported on x86" in the LOG), so it is a software CRC over every 4 KiB read, where ours
      // runs on the JDK's intrinsic. What is given up: RocksDB's blob record check also binds the key, ours binds
      // only the data (a misdirected read returning another block's intact value would pass). Only for block
      // reads; metadata reads and the scrub digest keep RocksDB's checks (`read`).
      ReadOptions blockRead = own(owned, new ReadOptions().setVerifyChecksums(false));
      return new RocksHandles(db, cfs, syncWrite, asyncWrite, read, blockRead, owned);
    } catch (RocksDBException | RuntimeException e) {
      closeAll(owned);
      throw e;
    }
  }

  /**
   * DB-wide options for this workload (issue 10, measured with StorePerfMain on a 2-core box running 3 chunk servers):
   *
   * <ul>
   *   <li>Writers: every pid thread writes its own batches, so there are a few concurrent writers per store, each
   *       with large batches (a 1 MiB write is 256 blocks = one ~1 MiB WriteBatch). Pipelined write lets one write
   *       group append to the WAL while the previous one is still inserting into the memtable; concurrent memtable
   *       writes (the default, skiplist) stay on. {@code unordered_write} stays off: it gives up read-your-write
   *       snapshots between writers, which the digest and copy iterators rely on.</li>
   *   <li>Background jobs: 2 flushes + 2 compactions. A 1 MiB write stream fills a memtable in a fraction of a
   *       second; one flush thread (what max_background_jobs alone gives: jobs / 4) could not keep up and writes
   *       stopped ("Stopping writes because we have 2 immutable memtables", 19 stops per GiB in StorePerfMain).
   *       Two flushes run beside a compaction with blob GC. These jobs wait for I/O a good part of the time, so 4
   *       threads on 2 cores is not oversubscription.</li>
   *   <li>delayed_write_rate 128 MiB/s: when unflushed memtables pile up, RocksDB first slows writers to this
   *       rate; the default, 16 MiB/s, turns one 1 MiB write into a 60 ms sleep.</li>
   *   <li>bytes_per_sync / wal_bytes_per_sync 1 MiB: write-back of flushed blob files and of the WAL starts while
   *       they are written, instead of a 64 MiB burst at the flush's final fsync or a FLUSH's WAL sync (that burst
   *       is what made flushes take 0.5-0.7 s and FLUSH p99 spike).</li>
   *   <li>max_total_wal_size: the small column families get a few records per apply and would otherwise keep
   *       every WAL file alive until the default limit (4 x the sum of all write buffers, GBs): bounded, so a restart
   *       replays at most this much, and the disk holds no stale GBs of WAL.</li>
   *   <li>avoid_unnecessary_blocking_io: obsolete files (old WALs, GC'd blob files) are deleted by a background
   *       job, not inside a writer's call.</li>
   * </ul>
   */
  @SuppressWarnings("deprecation") // max_background_flushes/compactions: the only way to get 2 flush threads
  private static DBOptions dbOptions(RocksStoreConfig cfg) {
    return new DBOptions()
        .setCreateIfMissing(true)
        .setCreateMissingColumnFamilies(true)
        .setEnablePipelinedWrite(true)
        .setAllowConcurrentMemtableWrite(true)
        .setMaxBackgroundJobs(4)
        .setMaxBackgroundFlushes(2)
        .setMaxBackgroundCompactions(2)
        .setDelayedWriteRate(128L << 20)
        .setBytesPerSync(1L << 20)
        .setWalBytesPerSync(1L << 20)
        .setMaxTotalWalSize(cfg.maxWalBytes())
        .setAvoidUnnecessaryBlockingIO(true);
  }

  /**
   * The {@code blocks} family. Values are 4 KiB block + CRC (BlockValueCodec), keys 12 B.
   *
   * <ul>
   *   <li>Blob files (DESIGN.md): values leave the LSM at flush, so compaction moves only keys and blob references.
   *       A memtable still holds the whole values, hence {@code writeBufferBytes} x {@code writeBuffers} bounds
   *       what one store holds in memory for writes (default 32 MiB x 6 = 192 MiB native, not heap; three chunk
   *       servers on one 24 GiB box stay under 600 MiB). Smaller memtables flush sooner (less latency per flush,
   *       a 32 MiB blob file each); six of them so writes are delayed only at 5 unflushed and never stop while
   *       two flushes run.</li>
   *   <li>No compression anywhere: block data is whatever the guest wrote (often already compressed or random) and
   *       SST entries are keys and blob references (incompressible, tiny): compressing them costs CPU for nothing.
   *       Blob files are not compressed either (also RocksDB's default; set explicitly).</li>
   *   <li>Blob GC: overwrites leave garbage in old blob files. Compactions relocate the live blobs of the oldest
   *       25 % of blob files (age cutoff); files whose garbage ratio reaches the force threshold (50 %) get a
   *       compaction scheduled even when the LSM alone would not need one, so space comes back under steady
   *       overwrites without rewriting mostly-live files. GC reads blob files sequentially: 2 MiB readahead.</li>
   *   <li>Blob files up to 256 MiB (a flush writes one of its memtable size; GC compactions write bigger ones, so
   *       fewer files); SST targets 64 MiB (the default).</li>
   *   <li>L0 triggers: flushes make small L0 files (keys only, ~200 KB per 64 MiB of data), so the default
   *       compaction trigger (4) is cheap; the slowdown/stop triggers are raised (20 -> 40, 36 -> 64) so a burst
   *       is paced by the memtable limit, not by a write stall on file counts that cost nothing to merge.</li>
   *   <li>No blob cache: the OS page cache already holds recently written blob files, and a second in-process copy
   *       would cost memory on a box shared by 3 chunk servers; the bloom filter and the block cache (index and
   *       filter blocks) stay, for the point lookups of RMW and of never-written blocks.</li>
   * </ul>
   */
  private static ColumnFamilyOptions blockOptions(RocksStoreConfig cfg, LRUCache cache, BloomFilter bloom) {
    return new ColumnFamilyOptions()
        .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(cache).setFilterPolicy(bloom))
        .setWriteBufferSize(cfg.writeBufferBytes())
        .setMaxWriteBufferNumber(cfg.writeBuffers())
        .setMinWriteBufferNumberToMerge(1)
        .setCompressionType(CompressionType.NO_COMPRESSION)
        .setEnableBlobFiles(cfg.blobFiles())
        .setMinBlobSize(cfg.minBlobSize())
        .setBlobCompressionType(CompressionType.NO_COMPRESSION)
        .setBlobFileSize(256L << 20)
        .setTargetFileSizeBase(64L << 20)
        // Overwritten blocks leave garbage in blob files; without GC it is never reclaimed.
        .setEnableBlobGarbageCollection(cfg.blobFiles())
        .setBlobGarbageCollectionAgeCutoff(0.25)
        .setBlobGarbageCollectionForceThreshold(0.5)
        .setBlobCompactionReadaheadSize(2L << 20)
        .setLevel0FileNumCompactionTrigger(4)
        .setLevel0SlowdownWritesTrigger(40)
        .setLevel0StopWritesTrigger(64);
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
    return name.getBytes(StandardCharsets.UTF_8);
  }
}
