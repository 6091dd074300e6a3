package io.basalt.chunk.store;

import static io.basalt.chunk.store.BlockValueCodec.DATA_SIZE;
import static io.basalt.chunk.store.BlockValueCodec.VALUE_SIZE;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;

/**
 * Recovery copy source reads: the blocks actually stored in a block range, by one iterator over the {@code blocks}
 * family (a sparse extent costs what it holds, not its size), each CRC-checked. The iterator reads one consistent
 * view, so a concurrent apply is seen whole or not at all. No cache fill: a copy reads each block once.
 *
 * <p>No per-block allocation: keys come into a small direct buffer and each value straight into the reply buffer
 * (a direct buffer from the allocator) at its write position; its 4-byte CRC trailer lands just past the block and
 * is checked there, then overwritten by the next block. RocksDB's own checksum pass is skipped (ours covers the
 * value; see RocksHandles#blockRead).
 */
final class BlockCopyReader {
  private final RocksHandles h;
  private final java.util.function.BiConsumer<Long, Integer> onCrcError;

  BlockCopyReader(RocksHandles h, java.util.function.BiConsumer<Long, Integer> onCrcError) {
    this.h = h;
    this.onCrcError = onCrcError;
  }

  /** Blocks in [firstBlock, endBlock) of {@code pid}. */
  PresentBlocks read(long pid, long firstBlock, long endBlock, ByteBufAllocator alloc) throws RocksDBException {
    byte[] upperKey = endBlock > Integer.MAX_VALUE ? BlockKeys.upperBound(pid) : BlockKeys.key(pid, (int) endBlock);
    long span = (endBlock - firstBlock) * DATA_SIZE;
    // + the trailer of the last block, read past its data; maxCapacity bounds what a range can hold
    int maxCapacity = (int) Math.min(span + (VALUE_SIZE - DATA_SIZE), Integer.MAX_VALUE);
    ByteBuf out = alloc.directBuffer((int) Math.min(maxCapacity, 64 * DATA_SIZE + VALUE_SIZE - DATA_SIZE),
        maxCapacity);
    ByteBuffer key = ByteBuffer.allocateDirect(BlockKeys.KEY_SIZE + 1);
    long[] blocks = new long[16];
    int n = 0;
    boolean ok = false;
    try (Slice upper = new Slice(upperKey);
        ReadOptions ro = new ReadOptions().setIterateUpperBound(upper).setFillCache(false).setVerifyChecksums(false);
        RocksIterator it = h.db.newIterator(h.blocks, ro)) {
      for (it.seek(BlockKeys.key(pid, (int) firstBlock)); it.isValid(); it.next()) {
        int keyLength = it.key(key.clear());
        if (keyLength != BlockKeys.KEY_SIZE || key.getLong(0) != pid) {
          throw new BasaltException(ErrorCode.IO_ERROR, "corrupt block key pid=" + pid + " length=" + keyLength);
        }
        int index = key.getInt(8);
        out.ensureWritable(VALUE_SIZE);
        int at = out.writerIndex();
        ByteBuffer dst = out.internalNioBuffer(at, VALUE_SIZE);
        int pos = dst.position();
        int valueLength = it.value(dst);
        if (!BlockValueCodec.intact(dst, pos, valueLength)) {
          onCrcError.accept(pid, index);
          throw new BasaltException(ErrorCode.IO_ERROR, "crc mismatch pid=" + pid + " block=" + index
              + " valueLength=" + valueLength);
        }
        if (n == blocks.length) blocks = Arrays.copyOf(blocks, n * 2);
        blocks[n++] = index;
        out.writerIndex(at + DATA_SIZE);
      }
      it.status();
      ok = true;
      return new PresentBlocks(Arrays.copyOf(blocks, n), out);
    } finally {
      if (!ok) out.release();
    }
  }
}
