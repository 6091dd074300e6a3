package io.basalt.chunk.store;

import io.basalt.proto.WriteKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongPredicate;

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

  /**
   * Creates or replaces the metadata of a replica (epoch adoption, state change); blocks are untouched. A new
   * replica, or a gen set here rather than by an apply, (re)starts the gen log at that gen.
   */
  void putReplicaMeta(ReplicaMeta meta);

  /**
   * One write of replica {@code at.pid()}: {@code WRITE} stores {@code data} ({@code length} readable bytes, not
   * released by the store) at {@code offset}; {@code WRITE_ZEROES} and {@code TRIM} make the range read as zeros
   * ({@code data} null). {@code gen} was assigned by the owner at {@code genEpoch} (at most the epoch it is applied
   * at: a queued replicate is re-sent at the owner's newer epoch after a membership change), which the gen log keeps
   * so a later duplicate of the gen can be told from another history ({@link #genEpoch}).
   */
  record Mutation(long gen, long genEpoch, long offset, int length, WriteKind kind, ByteBuf data) {}

  /**
   * Applies one mutation atomically (one WriteBatch: the blocks and the replica's new generation/epoch). Partial
   * blocks are read-modify-write; all-zero blocks are deleted rather than stored, so equal contents give equal
   * digests. Creates the replica (ACTIVE) if absent. With {@code sync} the WAL is synced. The gen log records the
   * range under the gen in the same batch. Fencing: an {@code at.epoch()} below the replica's stored epoch is refused
   * with STALE_EPOCH (an owner that was fenced after its last check must not apply anything, DESIGN.md "Write path"
   * 3).
   */
  default void apply(ExtentEpoch at, Mutation write, boolean sync) {
    applyAll(at, List.of(write), sync);
  }

  /**
   * Applies {@code writes} of one replica in order, each exactly as {@link #apply} would, as ONE WriteBatch and one
   * RocksDB write (the group commit of an owner, the batch apply of a replica): all or nothing. A later write that
   * read-modify-writes a block an earlier one changed sees that change. Fencing as apply: an {@code at.epoch()} below
   * the stored one is STALE_EPOCH and nothing is applied. With {@code sync} the WAL is synced.
   */
  void applyAll(ExtentEpoch at, List<Mutation> writes, boolean sync);

  /**
   * The epoch the replica's gen {@code gen} was written at, from the gen log; 0 when unknown (trimmed from the log,
   * set by a catch-up or a recovery base rather than an apply, or a zero-length write).
   */
  long genEpoch(long pid, long gen);

  /**
   * The blocks that the gens in (sinceGen, current gen] touched, from the gen log: block-aligned, merged, sorted.
   * Empty when the log no longer reaches back to sinceGen + 1 (only a full copy can help then); an empty list when
   * sinceGen is the current gen. A sinceGen above the current gen is INVALID_ARGUMENT.
   */
  Optional<List<ByteRange>> changedSince(long pid, long sinceGen);

  /**
   * Blocks written by an unfinished {@link #applyChanges} (pages applied, last page not): the replica does not hold
   * a consistent gen in them until a complete member rewrites them. Empty normally.
   */
  List<ByteRange> partialRanges(long pid);

  /**
   * Catch-up from a member at {@code toGen}: writes the blocks of {@code ranges} (block-aligned, sorted, disjoint)
   * from {@code data} (their bytes back to back, not released by the store; all-zero blocks are deleted, as apply
   * does) and logs the ranges under {@code toGen}, so a later {@link #changedSince} of any gen this skipped covers
   * them. Only when the replica's gen is {@code baseGen} (absent = 0), else GENERATION_GAP naming both gens. A page
   * before the {@code last} one keeps the gen; the last sets gen = toGen and epoch = max(stored, epoch) and syncs
   * the WAL. An epoch below the stored one is STALE_EPOCH (fenced). One WriteBatch per call.
   */
  void applyChanges(ExtentEpoch at, long baseGen, long toGen, List<ByteRange> ranges, ByteBuf data, boolean last);

  /**
   * Recovery copy source: the blocks stored in [offset, offset + length) (both block-aligned), CRC-checked, into a
   * buffer from {@code alloc} that the caller releases. Absent blocks (zeros) are not returned.
   */
  PresentBlocks readPresentBlocks(long pid, long offset, int length, ByteBufAllocator alloc);

  /**
   * Recovery copy target: stores whole blocks copied from the owner ({@code data}: 4 KiB per entry of
   * {@code blocks}, back to back, not released here), except those {@code skip} accepts (a forwarded write made
   * them newer). One WriteBatch; the replica's gen, epoch and gen log are untouched (copied data belongs to no gen).
   * The replica must exist (NO_SUCH_EXTENT otherwise). Returns the blocks written.
   */
  int writeCopiedBlocks(long pid, long[] blocks, ByteBuf data, LongPredicate skip);

  /**
   * Incremental catch-up target: sets every block of {@code covered} (block-aligned, sorted, disjoint) to the
   * source's content, the ones listed in {@code blocks} (ascending, each inside {@code covered}) from {@code data}
   * (4 KiB each, back to back, not released here), the others deleted (they read as zeros at the source), except
   * those {@code skip} accepts. As {@link #writeCopiedBlocks} otherwise. Returns the blocks set.
   */
  int writeCopiedRanges(long pid, List<ByteRange> covered, long[] blocks, ByteBuf data, LongPredicate skip);

  /** Reads a range (zeros where unwritten) into a new buffer from {@code alloc}; the caller releases it. */
  ByteBuf read(long pid, long offset, int length, ByteBufAllocator alloc);

  /** Makes every write applied so far durable (RocksDB WAL sync). */
  void syncWal();

  /**
   * The light scrub digest of replica {@code pid} ({@link ScrubDigest}), ranges of {@code rangeBlocks} blocks: records
   * only, from one snapshot, so its gen and hash belong together. Run on the pid thread for a digest at the gen
   * the replica has now.
   */
  ScrubDigest scrubDigest(long pid, int rangeBlocks);

  /**
   * Deep scrub: the blocks of {@code pid} whose stored data does not match its CRC (at most {@code max}), reading
   * every block; {@code bytesRead[0]} is increased by the bytes read. Any thread; writes may go on meanwhile.
   */
  List<Long> badBlocks(long pid, int max, long[] bytesRead);

  /** Generation and SHA-256 over (block index, block bytes) of every stored block, in index order. */
  ReplicaDigest digest(long pid);

  /**
   * Saves what a quarantined replica of {@code pid} holds under {@code target} (a new directory, created here): a
   * checkpoint of the whole store (every record: gens, epochs, CRCs, the gen log) and the replica's block files.
   * The files are hard links, which stays evidence because a replica's files are written only while it takes writes
   * (a quarantined one takes none) and are unlinked, never truncated, when it is deleted. IO_ERROR when it fails;
   * the store itself is not failed by it.
   */
  void saveEvidence(long pid, Path target);

  /**
   * Why the store refuses writes, if it does: a failed WAL or data sync, or a RocksDB background error (DESIGN.md
   * "Chunk storage": never retry and assume the data is safe). Empty while healthy.
   */
  Optional<String> failure();

  /** {@code listener} hears the store's failure once, on the failing thread (it must only hand the news off). */
  void onFailure(Consumer<String> listener);

  /**
   * Why the store refuses new data for lack of space, if it does (TESTPLAN F16): unlike {@link #failure()} this is
   * not for good and the data it holds is intact; empty while there is room.
   */
  Optional<String> full();

  /**
   * Test only (TESTPLAN F19a): flips stored bytes of every block of [offset, offset + length) that is present, under
   * its unchanged CRC, as bit rot would; returns the blocks damaged. Reads of them then fail their CRC check.
   */
  int corruptBlocks(long pid, long offset, int length);

  /** Deletes a replica's blocks (DeleteRange), metadata and gen log. */
  void deleteReplica(long pid);

  long usedBytes();

  @Override
  void close();
}
