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
 */
public record RocksStoreConfig(
    long blockCacheBytes, boolean blobFiles, long minBlobSize, boolean syncEveryWrite, long capacityBytes,
    long genLogRetention, long writeBufferBytes, int writeBuffers, long maxWalBytes) {
  public static final long DEFAULT_BLOCK_CACHE_BYTES = 64L << 20;
  public static final long DEFAULT_MIN_BLOB_SIZE = 2048;
  public static final long DEFAULT_GEN_LOG_RETENTION = 16384;
  public static final long DEFAULT_WRITE_BUFFER_BYTES = 32L << 20;
  public static final int DEFAULT_WRITE_BUFFERS = 6;
  public static final long DEFAULT_MAX_WAL_BYTES = 512L << 20;

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
  }

  public static RocksStoreConfig defaults() {
    return new RocksStoreConfig(DEFAULT_BLOCK_CACHE_BYTES, true, DEFAULT_MIN_BLOB_SIZE, false, 0,
        DEFAULT_GEN_LOG_RETENTION, DEFAULT_WRITE_BUFFER_BYTES, DEFAULT_WRITE_BUFFERS, DEFAULT_MAX_WAL_BYTES);
  }

  public RocksStoreConfig withBlockCacheBytes(long bytes) {
    return new RocksStoreConfig(bytes, blobFiles, minBlobSize, syncEveryWrite, capacityBytes, genLogRetention,
        writeBufferBytes, writeBuffers, maxWalBytes);
  }

  public RocksStoreConfig withBlobFiles(boolean enabled) {
    return new RocksStoreConfig(blockCacheBytes, enabled, minBlobSize, syncEveryWrite, capacityBytes, genLogRetention,
        writeBufferBytes, writeBuffers, maxWalBytes);
  }

  public RocksStoreConfig withSyncEveryWrite(boolean sync) {
    return new RocksStoreConfig(blockCacheBytes, blobFiles, minBlobSize, sync, capacityBytes, genLogRetention,
        writeBufferBytes, writeBuffers, maxWalBytes);
  }

  public RocksStoreConfig withCapacityBytes(long bytes) {
    return new RocksStoreConfig(blockCacheBytes, blobFiles, minBlobSize, syncEveryWrite, bytes, genLogRetention,
        writeBufferBytes, writeBuffers, maxWalBytes);
  }

  public RocksStoreConfig withGenLogRetention(long gens) {
    return new RocksStoreConfig(blockCacheBytes, blobFiles, minBlobSize, syncEveryWrite, capacityBytes, gens,
        writeBufferBytes, writeBuffers, maxWalBytes);
  }

  public RocksStoreConfig withWriteBuffers(long bytes, int count) {
    return new RocksStoreConfig(blockCacheBytes, blobFiles, minBlobSize, syncEveryWrite, capacityBytes,
        genLogRetention, bytes, count, maxWalBytes);
  }

  public RocksStoreConfig withMaxWalBytes(long bytes) {
    return new RocksStoreConfig(blockCacheBytes, blobFiles, minBlobSize, syncEveryWrite, capacityBytes,
        genLogRetention, writeBufferBytes, writeBuffers, bytes);
  }
}
