package io.basalt.chunk.store;

import static io.basalt.chunk.store.BlockReader.ABSENT;
import static io.basalt.chunk.store.BlockReader.blockOf;
import static io.basalt.chunk.store.BlockReader.slotOf;
import static io.basalt.chunk.store.BlockValueCodec.DATA_SIZE;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongPredicate;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatchInterface;

/**
 * Turns one mutation into block record puts/deletes in a caller-owned WriteBatch and data writes staged in its
 * {@link StagedBlocks} (made by the caller before the batch commits). A block's new version goes to the slot its
 * committed record does not name (see {@link BlockRecord}, {@link SlotMap}): whole blocks need no read at all;
 * partial blocks are read-modify-write, which is only correct because the caller serialises calls per pid. All-zero
 * results are deleted, never stored.
 */
final class BlockWriter {
  /** Zeroing at least this many whole blocks uses one range tombstone instead of per-block tombstones. */
  static final int RANGE_DELETE_MIN_BLOCKS = 64;

  private final RocksHandles h;
  private final BlockReader reader;
  private final ExtentFiles files;

  BlockWriter(RocksHandles h, BlockReader reader, ExtentFiles files) {
    this.h = h;
    this.reader = reader;
    this.files = files;
  }

  /** Adds {@code length} bytes of {@code data} (from its reader index, not moved) at {@code offset}. */
  void addWrite(WriteBatchInterface batch, StagedBlocks staged, long pid, long offset, int length, ByteBuf data)
      throws RocksDBException, IOException {
    int base = data.readerIndex();
    long end = offset + length;
    int last = blockOf(end - 1);
    for (int index = blockOf(offset); index <= last; index++) {
      long blockStart = (long) index * DATA_SIZE;
      int from = (int) (Math.max(offset, blockStart) - blockStart);
      int to = (int) (Math.min(end, blockStart + DATA_SIZE) - blockStart);
      if (from == 0 && to == DATA_SIZE) {
        // Straight from the payload: CRC over it in place, the data written from it (no copy per block).
        addWhole(batch, staged, pid, index, data, base + (int) (blockStart - offset));
        continue;
      }
      long rec = reader.record(pid, index, true);
      byte[] value = current(staged, pid, index, rec);
      data.getBytes(base + (int) (blockStart + from - offset), value, from, to - from);
      store(batch, staged, pid, index, rec, value);
    }
  }

  /**
   * Copied whole blocks (recovery): {@code blocks[i]} from {@code data} at its reader index + i * 4 KiB, except
   * those {@code skip} names. Returns how many were written.
   */
  int addCopied(WriteBatchInterface batch, StagedBlocks staged, long pid, long[] blocks, ByteBuf data,
      LongPredicate skip) throws RocksDBException {
    int written = 0;
    int at = data.readerIndex();
    for (long b : blocks) {
      if (!skip.test(b)) {
        addWhole(batch, staged, pid, (int) b, data, at);
        written++;
      }
      at += DATA_SIZE;
    }
    return written;
  }

  /**
   * An incremental catch-up page: every block of {@code covered} (block-aligned, sorted) is set to the source's
   * content, the ones in {@code blocks} (ascending, inside {@code covered}) from {@code data}, the others deleted
   * (they read as zeros at the source); blocks {@code skip} accepts are left alone. Returns the blocks set.
   */
  int addCopiedRanges(WriteBatchInterface batch, StagedBlocks staged, long pid, List<ByteRange> covered,
      long[] blocks, ByteBuf data, LongPredicate skip) throws RocksDBException {
    int written = 0;
    int next = 0;
    int at = data.readerIndex();
    for (ByteRange r : covered) {
      for (long b = r.offset() / DATA_SIZE; b < r.end() / DATA_SIZE; b++) {
        boolean present = next < blocks.length && blocks[next] == b;
        if (!skip.test(b)) {
          if (present) {
            addWhole(batch, staged, pid, (int) b, data, at);
          } else {
            batch.delete(h.blocks, BlockKeys.key(pid, (int) b));
            staged.delete((int) b, staged.target((int) b));
          }
          written++;
        }
        if (present) {
          next++;
          at += DATA_SIZE;
        }
      }
    }
    return written;
  }

  /** Makes [offset, offset + length) read as zeros: whole blocks deleted, partial edges read-modify-write. */
  void addZeroes(WriteBatchInterface batch, StagedBlocks staged, long pid, long offset, int length)
      throws RocksDBException, IOException {
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
      staged.deleteRange(wholeFirst, wholeLast + 1);
    } else {
      for (int index = wholeFirst; index <= wholeLast; index++) {
        batch.delete(h.blocks, BlockKeys.key(pid, index));
        staged.delete(index, staged.target(index));
      }
    }
  }

  /** A whole block from {@code data} at {@code at}: a blind put of its record (or delete, if all zeros). */
  private void addWhole(WriteBatchInterface batch, StagedBlocks staged, long pid, int index, ByteBuf data, int at)
      throws RocksDBException {
    int slot = staged.target(index);
    if (BlockValueCodec.isZeroData(data, at)) {
      batch.delete(h.blocks, BlockKeys.key(pid, index));
      staged.delete(index, slot);
      return;
    }
    batch.put(h.blocks, BlockKeys.key(pid, index), new BlockRecord(slot, BlockValueCodec.crc(data, at)).encode());
    staged.put(index, slot, data, at);
  }

  private void zeroPartial(WriteBatchInterface batch, StagedBlocks staged, long pid, int index, long offset,
      long end) throws RocksDBException, IOException {
    long rec = reader.record(pid, index, true);
    if (!staged.knows(index) && rec == ABSENT) return; // already reads as zeros
    byte[] value = current(staged, pid, index, rec);
    long blockStart = (long) index * DATA_SIZE;
    int from = (int) (Math.max(offset, blockStart) - blockStart);
    int to = (int) (Math.min(end, blockStart + DATA_SIZE) - blockStart);
    Arrays.fill(value, from, to, (byte) 0);
    store(batch, staged, pid, index, rec, value);
  }

  /** What the block reads as before this write (a private copy): the batch's own version first, else committed. */
  private byte[] current(StagedBlocks staged, long pid, int index, long rec) throws IOException {
    if (staged.knows(index)) {
      byte[] v = staged.value(index);
      return v != null ? v : new byte[DATA_SIZE];
    }
    if (rec == ABSENT) return new byte[DATA_SIZE];
    if (rec == BlockReader.CORRUPT) throw reader.corruptRecord(pid, index, -1);
    byte[] v = new byte[DATA_SIZE];
    files.read(pid, slotOf(rec), index, ByteBuffer.wrap(v));
    if (BlockValueCodec.crc(v) != BlockReader.crcOf(rec)) throw reader.crcMismatch(pid, index);
    return v;
  }

  private void store(WriteBatchInterface batch, StagedBlocks staged, long pid, int index, long rec, byte[] value)
      throws RocksDBException {
    int slot = staged.target(index);
    if (BlockValueCodec.isZeroData(value)) {
      if (rec != ABSENT || staged.knows(index)) batch.delete(h.blocks, BlockKeys.key(pid, index));
      staged.delete(index, slot);
    } else {
      batch.put(h.blocks, BlockKeys.key(pid, index), new BlockRecord(slot, BlockValueCodec.crc(value)).encode());
      staged.put(index, slot, value);
    }
  }

  private static boolean covers(int index, long offset, long end) {
    long blockStart = (long) index * DATA_SIZE;
    return blockStart >= offset && blockStart + DATA_SIZE <= end;
  }
}
