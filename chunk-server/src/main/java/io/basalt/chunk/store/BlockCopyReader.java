package io.basalt.chunk.store;

import static io.basalt.chunk.store.BlockValueCodec.DATA_SIZE;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.Arrays;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;

/**
 * Recovery copy source reads: the blocks actually stored in a block range, by one iterator over the {@code blocks}
 * family (a sparse extent costs what it holds, not its size), each CRC-checked. The iterator reads one consistent
 * view, so a concurrent apply is seen whole or not at all. No cache fill: a copy reads each block once.
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
    ByteBuf out = alloc.buffer((int) Math.min(span, 64 * DATA_SIZE), (int) Math.min(span, Integer.MAX_VALUE));
    long[] blocks = new long[16];
    int n = 0;
    boolean ok = false;
    try (Slice upper = new Slice(upperKey);
        ReadOptions ro = new ReadOptions().setIterateUpperBound(upper).setFillCache(false);
        RocksIterator it = h.db.newIterator(h.blocks, ro)) {
      for (it.seek(BlockKeys.key(pid, (int) firstBlock)); it.isValid(); it.next()) {
        byte[] key = it.key();
        if (key.length != BlockKeys.KEY_SIZE || BlockKeys.pid(key) != pid) {
          throw new BasaltException(ErrorCode.IO_ERROR, "corrupt block key pid=" + pid + " length=" + key.length);
        }
        int index = BlockKeys.index(key);
        byte[] v = it.value();
        if (!BlockValueCodec.intact(v)) {
          onCrcError.accept(pid, index);
          throw new BasaltException(ErrorCode.IO_ERROR, "crc mismatch pid=" + pid + " block=" + index
              + " valueLength=" + v.length);
        }
        if (n == blocks.length) blocks = Arrays.copyOf(blocks, n * 2);
        blocks[n++] = index;
        out.writeBytes(v, 0, DATA_SIZE);
      }
      it.status();
      ok = true;
      return new PresentBlocks(Arrays.copyOf(blocks, n), out);
    } finally {
      if (!ok) out.release();
    }
  }
}
