/**
 * Durable replica storage of one chunk (DESIGN.md "Chunk storage"): {@link ReplicaStore} and its RocksDB implementation
 * {@link RocksReplicaStore} (column families meta, extents, blocks, genlog; block data in per-replica slot files), the
 * per-replica gen log that member catch-up reads, and the chunk's identity (cid and cluster, kept across restarts). The
 * bottom of the chunk server, so it also holds the small types every component passes to it: {@link ExtentEpoch}
 * (pid and epoch), {@link ByteRange} and the replica state table {@link ReplicaTransitions}.
 *
 * <p>Threads: any; calls for one pid are serialised by the caller (the pid ordered thread), which makes
 * read-modify-write of partial blocks safe; the store fails for good on a write or sync error, except a full disk
 * ({@link DiskSpace}: new data refused with NO_SPACE until space is back, reads go on).
 *
 * <p>May import: the proto module (messages, rpc errors, common), Netty buffers and RocksDB. No other chunk package.
 */
package io.basalt.chunk.store;
