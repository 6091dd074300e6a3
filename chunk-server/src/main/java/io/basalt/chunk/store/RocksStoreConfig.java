package io.basalt.chunk.store;

/**
 * Settings of one {@link RocksReplicaStore}. Immutable; build from {@link #defaults()} and the {@code withX} copies.
 *
 * @param blockCacheBytes LRU block cache shared by all column families (index/filter/data blocks of SSTs)
 * @param blobFiles keep block values in blob files so compaction rewrites only keys (DESIGN.md "Chunk storage")
 * @param minBlobSize values at least this large go to blob files; below a 4 KiB block so every block does
 * @param syncEveryWrite sync the WAL on every apply, not only when the caller asks (FUA/FLUSH)
 * @param capacityBytes reported capacity; 0 = derive from the filesystem at open (usable space + already used)
 * @param genLogRetention generations per replica the gen log keeps: a member at most this far behind can be caught
 *     up incrementally, one further behind needs a full copy
 * @param writeBufferBytes memtable size of the {@code blocks} family (whole block values until flushed)
 * @param writeBuffers memtables of the {@code blocks} family before writes stop (one active, the rest flushing):
 *     with writeBufferBytes, the write memory one store may hold
 * @param maxWalBytes WAL size that forces a flush of the column families pinning the oldest WAL file
 * @param diskReserveBytes usable space of the data directory's file system below which the store takes no new data
 *     ({@link DiskSpace}, TESTPLAN F16): room kept for RocksDB flushes and compactions, replica deletes and metadata
 */
public record RocksStoreConfig(
    long blockCacheBytes, boolean blobFiles, long minBlobSize, boolean syncEveryWrite, long capacityBytes,
    long genLogRetention, long writeBufferBytes, int writeBuffers, long maxWalBytes, long diskReserveBytes) {
  public static final long DEFAULT_BLOCK_CACHE_BYTES = 64L << 20;
  public static final long DEFAULT_MIN_BLOB_SIZE = 2048;
  public static final long DEFAULT_GEN_LOG_RETENTION = 16384;
  public static final long DEFAULT_WRITE_BUFFER_BYTES = 32L << 20;
  public static final int DEFAULT_WRITE_BUFFERS = 6;
  public static final long DEFAULT_MAX_WAL_BYTES = 512L << 20;
  /**
   * 64 MiB: a few memtable flushes and the metadata of deletes fit; small enough that a test or development box whose
   * data directories share one file system with a few GiB free is not taken for full.
   */
  public static final long DEFAULT_DISK_RESERVE_BYTES = 64L << 20;

  public RocksStoreConfig {
    if (blockCacheBytes <= 0) throw new IllegalArgumentException("blockCacheBytes must be > 0: " + blockCacheBytes);
    if (minBlobSize < 0) throw new IllegalArgumentException("minBlobSize must be >= 0: " + minBlobSize);
    if (capacityBytes < 0) throw new IllegalArgumentException("capacityBytes must be >= 0: " + capacityBytes);
    if (genLogRetention <= 0) throw new IllegalArgumentException("genLogRetention must be > 0: " + genLogRetention);
    if (writeBufferBytes < (1 << 20)) {
      throw new IllegalArgumentException("writeBufferBytes must be >= 1 MiB: " + writeBufferBytes);
    }
    if (writeBuffers < 2) throw new IllegalArgumentException("writeBuffers must be >= 2: " + writeBuffers);
    if (maxWalBytes <= 0) throw new IllegalArgumentException("maxWalBytes must be > 0: " + maxWalBytes);
    if (diskReserveBytes < 0) {
      throw new IllegalArgumentException("diskReserveBytes must be >= 0: " + diskReserveBytes);
    }
  }

  public static RocksStoreConfig defaults() {
    return new RocksStoreConfig(DEFAULT_BLOCK_CACHE_BYTES, true, DEFAULT_MIN_BLOB_SIZE, false, 0,
        DEFAULT_GEN_LOG_RETENTION, DEFAULT_WRITE_BUFFER_BYTES, DEFAULT_WRITE_BUFFERS, DEFAULT_MAX_WAL_BYTES,
        DEFAULT_DISK_RESERVE_BYTES);
  }

  public RocksStoreConfig withBlockCacheBytes(long bytes) {
    return new RocksStoreConfig(bytes, blobFiles, minBlobSize, syncEveryWrite, capacityBytes, genLogRetention,
        writeBufferBytes, writeBuffers, maxWalBytes, diskReserveBytes);
  }

  public RocksStoreConfig withBlobFiles(boolean enabled) {
    return new RocksStoreConfig(blockCacheBytes, enabled, minBlobSize, syncEveryWrite, capacityBytes, genLogRetention,
        writeBufferBytes, writeBuffers, maxWalBytes, diskReserveBytes);
  }

  public RocksStoreConfig withSyncEveryWrite(boolean sync) {
    return new RocksStoreConfig(blockCacheBytes, blobFiles, minBlobSize, sync, capacityBytes, genLogRetention,
        writeBufferBytes, writeBuffers, maxWalBytes, diskReserveBytes);
  }

  public RocksStoreConfig withCapacityBytes(long bytes) {
    return new RocksStoreConfig(blockCacheBytes, blobFiles, minBlobSize, syncEveryWrite, bytes, genLogRetention,
        writeBufferBytes, writeBuffers, maxWalBytes, diskReserveBytes);
  }

  public RocksStoreConfig withGenLogRetention(long gens) {
    return new RocksStoreConfig(blockCacheBytes, blobFiles, minBlobSize, syncEveryWrite, capacityBytes, gens,
        writeBufferBytes, writeBuffers, maxWalBytes, diskReserveBytes);
  }

  public RocksStoreConfig withWriteBuffers(long bytes, int count) {
    return new RocksStoreConfig(blockCacheBytes, blobFiles, minBlobSize, syncEveryWrite, capacityBytes,
        genLogRetention, bytes, count, maxWalBytes, diskReserveBytes);
  }

  public RocksStoreConfig withMaxWalBytes(long bytes) {
    return new RocksStoreConfig(blockCacheBytes, blobFiles, minBlobSize, syncEveryWrite, capacityBytes,
        genLogRetention, writeBufferBytes, writeBuffers, bytes, diskReserveBytes);
  }

  public RocksStoreConfig withDiskReserveBytes(long bytes) {
    return new RocksStoreConfig(blockCacheBytes, blobFiles, minBlobSize, syncEveryWrite, capacityBytes,
        genLogRetention, writeBufferBytes, writeBuffers, maxWalBytes, bytes);
  }
}
