package io.basalt.chunk.store;

import static io.basalt.chunk.store.BlockValueCodec.DATA_SIZE;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.locks.Lock;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;

/**
 * Recovery copy source reads: the blocks actually stored in a block range, found by one iterator over their records
 * (a sparse extent costs what it holds, not its size), their data read in runs of consecutive blocks in the same
 * slot straight into the reply buffer, each CRC-checked there. A block whose slot a newer write reused while it was
 * read makes the range be read again (see {@link BlockReader}); no cache fill: a copy reads each block once.
 */
final class BlockCopyReader {

  /** Longest stretch read as one span: 1 MiB, as a read batch. */
  private static final int MAX_SPAN_BLOCKS = 256;

  private final RocksHandles h;
  private final BlockReader reader;
  private final ExtentFiles files;
  private final SlotFence fence;

  BlockCopyReader(RocksHandles h, BlockReader reader, ExtentFiles files, SlotFence fence) {
    this.h = h;
    this.reader = reader;
    this.files = files;
    this.fence = fence;
  }

  /** Blocks in [firstBlock, endBlock) of {@code pid}. */
  PresentBlocks read(long pid, long firstBlock, long endBlock, ByteBufAllocator alloc)
      throws RocksDBException, IOException {
    for (int attempt = 0; ; attempt++) {
      Lock quiet = reader.lastAttempt(pid, attempt);
      ByteBuf out = null;
      boolean ok = false;
      try {
        long seen = fence.commits();
        Records recs = records(pid, firstBlock, endBlock);
        out = alloc.directBuffer(Math.max(1, recs.n * DATA_SIZE));
        int bad = readData(pid, recs, out);
        if (bad < 0) {
          ok = true;
          return new PresentBlocks(Arrays.copyOf(recs.index, recs.n), out);
        }
        if (quiet == null && fence.commits() != seen) continue;
        throw reader.crcMismatch(pid, bad);
      } finally {
        if (!ok && out != null) out.release();
        if (quiet != null) quiet.unlock();
      }
    }
  }

  private Records records(long pid, long firstBlock, long endBlock) throws RocksDBException {
    byte[] upperKey = endBlock > Integer.MAX_VALUE ? BlockKeys.upperBound(pid) : BlockKeys.key(pid, (int) endBlock);
    Records r = new Records();
    ByteBuffer key = ByteBuffer.allocateDirect(BlockKeys.KEY_SIZE + 1);
    ByteBuffer value = ByteBuffer.allocateDirect(BlockRecord.SIZE + 3);
    try (Slice upper = new Slice(upperKey);
        ReadOptions ro = new ReadOptions().setIterateUpperBound(upper).setFillCache(false).setVerifyChecksums(false);
        RocksIterator it = h.db.newIterator(h.blocks, ro)) {
      for (it.seek(BlockKeys.key(pid, (int) firstBlock)); it.isValid(); it.next()) {
        int keyLength = it.key(key.clear());
        if (keyLength != BlockKeys.KEY_SIZE || key.getLong(0) != pid) {
          throw new BasaltException(ErrorCode.IO_ERROR, "corrupt block key pid=" + pid + " length=" + keyLength);
        }
        int index = key.getInt(8);
        int valueLength = it.value(value.clear());
        BlockRecord rec = BlockRecord.decode(value, 0, valueLength);
        if (rec == null) {
          throw new BasaltException(ErrorCode.IO_ERROR, "corrupt block record pid=" + pid + " block=" + index
              + " valueLength=" + valueLength);
        }
        r.add(index, rec);
      }
      it.status();
    }
    return r;
  }

  /**
   * -1, or the index of a block whose data did not match its CRC. A stretch of consecutive blocks whose slots
   * alternate (an extent written by random small writes) is read as one span of its majority slot plus the other
   * slot's runs ({@link BlockReader#readSpan}) instead of one read per run.
   */
  private int readData(long pid, Records r, ByteBuf out) throws IOException {
    long[] packed = null;
    int i = 0;
    while (i < r.n) {
      int end = i + 1;
      while (end < r.n && r.index[end] == r.index[end - 1] + 1 && end - i < MAX_SPAN_BLOCKS) end++;
      int spanSlot = -1;
      if (end - i >= 2) {
        if (packed == null) packed = new long[MAX_SPAN_BLOCKS];
        r.pack(i, end, packed);
        spanSlot = BlockReader.spanSlot(packed, 0, end - i);
      }
      if (spanSlot >= 0) {
        int bytes = (end - i) * DATA_SIZE;
        int wi = out.writerIndex();
        int bad = BlockReader.readSpan(files, pid, r.index[i], packed, 0, end - i, spanSlot,
            out.nioBuffer(wi, bytes));
        if (bad >= 0) return (int) r.index[i + bad];
        out.writerIndex(wi + bytes);
      } else {
        int bad = readRuns(pid, r, i, end, out);
        if (bad >= 0) return bad;
      }
      i = end;
    }
    return -1;
  }

  /** Blocks [from, to) of {@code r}, one read per run of consecutive blocks in one slot. */
  private int readRuns(long pid, Records r, int from, int to, ByteBuf out) throws IOException {
    int i = from;
    while (i < to) {
      int j = i + 1;
      while (j < to && r.index[j] == r.index[j - 1] + 1 && r.slot[j] == r.slot[i]) j++;
      int bytes = (j - i) * DATA_SIZE;
      int wi = out.writerIndex();
      ByteBuffer dst = out.nioBuffer(wi, bytes);
      files.read(pid, r.slot[i], r.index[i], dst);
      for (int k = i; k < j; k++) {
        if (BlockValueCodec.crc(dst, (k - i) * DATA_SIZE) != r.crc[k]) return (int) r.index[k];
      }
      out.writerIndex(wi + bytes);
      i = j;
    }
    return -1;
  }

  /** The records of a range, in index order. */
  private static final class Records {
    long[] index = new long[16];
    int[] slot = new int[16];
    int[] crc = new int[16];
    int n;

    /** Records [from, to) in {@link BlockReader}'s packed form, into out[0, to - from). */
    void pack(int from, int to, long[] out) {
      for (int k = from; k < to; k++) out[k - from] = ((long) slot[k] << 32) | (crc[k] & 0xFFFFFFFFL);
    }

    void add(int blockIndex, BlockRecord rec) {
      if (n == index.length) {
        index = Arrays.copyOf(index, n * 2);
        slot = Arrays.copyOf(slot, n * 2);
        crc = Arrays.copyOf(crc, n * 2);
      }
      index[n] = blockIndex;
      slot[n] = rec.slot();
      crc[n] = rec.crc();
      n++;
    }
  }
}
