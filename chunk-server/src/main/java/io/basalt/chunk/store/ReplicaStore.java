package io.basalt.chunk.store;

import io.basalt.proto.WriteKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.List;
import java.util.Optional;

/**
 * Durable storage of every extent replica on one chunk (one RocksDB per data directory; see DESIGN.md
 * "Chunk storage"). Thread-safe across pids; calls for one pid are serialised by the caller (the chunk's
 * ordered executor), which is what makes read-modify-write of partial blocks safe.
 *
 * <p>Storage errors surface as {@link io.basalt.rpc.BasaltException} with {@code IO_ERROR} (never retried and
 * assumed safe); a CRC mismatch on read is {@code IO_ERROR} naming pid and block.
 */
public interface ReplicaStore extends AutoCloseable {
  int BLOCK_SIZE = 4096;

  Optional<ChunkIdentity> identity();

  void saveIdentity(ChunkIdentity identity);

  Optional<ReplicaMeta> replica(long pid);

  List<ReplicaMeta> replicas();

  /** Creates or replaces the metadata of a replica (epoch adoption, state change); blocks are untouched. */
  void putReplicaMeta(ReplicaMeta meta);

  /**
   * Applies one mutation atomically (one WriteBatch: the blocks and the replica's new generation/epoch):
   * {@code WRITE} stores {@code data} ({@code length} readable bytes, not released by the store) at
   * {@code offset}; {@code WRITE_ZEROES} and {@code TRIM} make the range read as zeros ({@code data} null).
   * Partial blocks are read-modify-write; all-zero blocks are deleted rather than stored, so equal contents
   * give equal digests. Creates the replica (ACTIVE) if absent. With {@code sync} the WAL is synced.
   */
  void apply(long pid, long epoch, long gen, long offset, int length, WriteKind kind, ByteBuf data, boolean sync);

  /** Reads a range (zeros where unwritten) into a new buffer from {@code alloc}; the caller releases it. */
  ByteBuf read(long pid, long offset, int length, ByteBufAllocator alloc);

  /** Makes every write applied so far durable (RocksDB WAL sync). */
  void syncWal();

  /** Generation and SHA-256 over (block index, block bytes) of every stored block, in index order. */
  ReplicaDigest digest(long pid);

  /** Deletes a replica's blocks (DeleteRange) and metadata. */
  void deleteReplica(long pid);

  long usedBytes();

  @Override
  void close();
}
