package io.basalt.chunk.store;

import static io.basalt.chunk.store.BlockReader.blockOf;
import static io.basalt.chunk.store.BlockValueCodec.DATA_SIZE;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteBatchInterface;

/**
 * Turns one mutation into block puts/deletes in a caller-owned {@link WriteBatch}. Partial blocks are
 * read-modify-write against the DB, which is only correct because the caller serialises calls per pid (the
 * ordered executor) and each call touches every block at most once. All-zero results are deleted, never stored.
 */
final class BlockWriter {
  /** Zeroing at least this many whole blocks uses one range tombstone instead of per-block tombstones. */
  static final int RANGE_DELETE_MIN_BLOCKS = 64;

  private final RocksHandles h;
  private final BlockReader reader;

  BlockWriter(RocksHandles h, BlockReader reader) {
    this.h = h;
    this.reader = reader;
  }

  /** Adds {@code length} bytes of {@code data} at {@code offset}; reads data by absolute index, never moves it. */
  void addWrite(WriteBatchInterface batch, long pid, long offset, int length, ByteBuf data)
      throws RocksDBException {
    addWrite(batch, null, pid, offset, length, data);
  }

  /**
   * As {@link #addWrite(WriteBatchInterface, long, long, int, ByteBuf)} within a group commit: partial blocks start
   * from what {@code staged} (null: nothing staged) already holds, and what is written is staged for later writes.
   */
  void addWrite(WriteBatchInterface batch, StagedBlocks staged, long pid, long offset, int length, ByteBuf data)
      throws RocksDBException {
    int base = data.readerIndex();
    long end = offset + length;
    int last = blockOf(end - 1);
    for (int index = blockOf(offset); index <= last; index++) {
      long blockStart = (long) index * DATA_SIZE;
      int from = (int) (Math.max(offset, blockStart) - blockStart);
      int to = (int) (Math.min(end, blockStart + DATA_SIZE) - blockStart);
      boolean whole = from == 0 && to == DATA_SIZE;
      if (whole) {
        // Straight from the payload into the batch (direct put, CRC over the buffer): no array per block.
        int at = base + (int) (blockStart - offset);
        boolean stored = BlockValueCodec.putBlock(batch, h.blocks, pid, index, data, at, true);
        if (staged != null) {
          if (stored) staged.put(index, data, at);
          else staged.delete(index);
        }
        continue;
      }
      byte[] existing = load(staged, pid, index);
      byte[] value = existing != null ? existing : BlockValueCodec.newValue();
      data.getBytes(base + (int) (blockStart + from - offset), value, from, to - from);
      // A whole block may overwrite a stored one we did not read, so a zero result must still delete.
      store(batch, staged, pid, index, value, whole || existing != null);
    }
  }

  /** Makes [offset, offset + length) read as zeros: whole blocks deleted, partial edges read-modify-write. */
  void addZeroes(WriteBatchInterface batch, long pid, long offset, int length) throws RocksDBException {
    addZeroes(batch, null, pid, offset, length);
  }

  /** As {@link #addZeroes(WriteBatchInterface, long, long, int)} within a group commit (see {@link #addWrite}). */
  void addZeroes(WriteBatchInterface batch, StagedBlocks staged, long pid, long offset, int length)
      throws RocksDBException {
    long end = offset + length;
    int first = blockOf(offset);
    int last = blockOf(end - 1);
    boolean firstWhole = covers(first, offset, end);
    boolean lastWhole = covers(last, offset, end);
    if (!firstWhole) zeroPartial(batch, staged, pid, first, offset, end);
    if (last != first && !lastWhole) zeroPartial(batch, staged, pid, last, offset, end);
    int wholeFirst = firstWhole ? first : first + 1;
    int wholeLast = lastWhole ? last : last - 1;
    if (wholeFirst > wholeLast) return;
    if (wholeLast - wholeFirst + 1 >= RANGE_DELETE_MIN_BLOCKS) {
      // wholeLast + 1 cannot overflow: arguments cap the last block index below Integer.MAX_VALUE.
      batch.deleteRange(h.blocks, BlockKeys.key(pid, wholeFirst), BlockKeys.key(pid, wholeLast + 1));
      if (staged != null) staged.deleteRange(wholeFirst, wholeLast + 1);
    } else {
      for (int index = wholeFirst; index <= wholeLast; index++) {
        batch.delete(h.blocks, BlockKeys.key(pid, index));
        if (staged != null) staged.delete(index);
      }
    }
  }

  private void zeroPartial(WriteBatchInterface batch, StagedBlocks staged, long pid, int index, long offset,
      long end) throws RocksDBException {
    byte[] existing = load(staged, pid, index);
    if (existing == null) return; // already reads as zeros
    long blockStart = (long) index * DATA_SIZE;
    int from = (int) (Math.max(offset, blockStart) - blockStart);
    int to = (int) (Math.min(end, blockStart + DATA_SIZE) - blockStart);
    Arrays.fill(existing, from, to, (byte) 0);
    store(batch, staged, pid, index, existing, true);
  }

  /** The block's current value for a read-modify-write: the batch's own version first, else the DB's. */
  private byte[] load(StagedBlocks staged, long pid, int index) throws RocksDBException {
    if (staged != null && staged.knows(index)) return staged.value(index);
    return reader.load(pid, index);
  }

  private void store(WriteBatchInterface batch, StagedBlocks staged, long pid, int index, byte[] value,
      boolean mayExist) throws RocksDBException {
    if (BlockValueCodec.isZeroData(value)) {
      if (mayExist) batch.delete(h.blocks, BlockKeys.key(pid, index));
      if (staged != null) staged.delete(index);
    } else {
      batch.put(h.blocks, BlockKeys.key(pid, index), BlockValueCodec.seal(value));
      if (staged != null) staged.put(index, value);
    }
  }

  private static boolean covers(int index, long offset, long end) {
    long blockStart = (long) index * DATA_SIZE;
    return blockStart >= offset && blockStart + DATA_SIZE <= end;
  }
}
