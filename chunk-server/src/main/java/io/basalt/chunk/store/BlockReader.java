package io.basalt.chunk.store;

import static io.basalt.chunk.store.BlockValueCodec.DATA_SIZE;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;

/**
 * Read side of the {@code blocks} column family: ranged reads, single-block loads for read-modify-write, and
 * digests. Every block value is CRC-checked before use; a mismatch counts in {@code crcErrors} and is
 * {@code IO_ERROR} naming pid and block (repaired from another replica by the caller). Stateless apart from the
 * counter, so safe for any thread.
 */
final class BlockReader {
  /** One multiGet per 256 blocks (1 MiB): one JNI crossing and batched blob reads, bounded memory. */
  private static final int MULTI_GET_BATCH = 256;

  private final RocksHandles h;
  private final LongAdder crcErrors;

  BlockReader(RocksHandles h, LongAdder crcErrors) {
    this.h = h;
    this.crcErrors = crcErrors;
  }

  static int blockOf(long offset) {
    return (int) (offset / DATA_SIZE);
  }

  /** The verified value of one block, or null when it is not stored (reads as zeros). */
  byte[] load(long pid, int index) throws RocksDBException {
    byte[] v = h.db.get(h.blocks, h.read, BlockKeys.key(pid, index));
    if (v != null) verify(pid, index, v);
    return v;
  }

  ByteBuf read(long pid, long offset, int length, ByteBufAllocator alloc) throws RocksDBException {
    ByteBuf out = alloc.buffer(length);
    boolean ok = false;
    try {
      if (length > 0) {
        long end = offset + length;
        int last = blockOf(end - 1);
        for (long batchStart = blockOf(offset); batchStart <= last; batchStart += MULTI_GET_BATCH) {
          int n = (int) Math.min(MULTI_GET_BATCH, last - batchStart + 1);
          List<byte[]> values = fetch(pid, (int) batchStart, n);
          for (int i = 0; i < n; i++) {
            int index = (int) batchStart + i;
            long blockStart = (long) index * DATA_SIZE;
            int from = (int) (Math.max(offset, blockStart) - blockStart);
            int to = (int) (Math.min(end, blockStart + DATA_SIZE) - blockStart);
            byte[] v = values.get(i);
            if (v == null) {
              out.writeZero(to - from);
            } else {
              verify(pid, index, v);
              out.writeBytes(v, from, to - from);
            }
          }
        }
      }
      ok = true;
      return out;
    } finally {
      if (!ok) out.release();
    }
  }

  /**
   * SHA-256 over (index BE4, data) of every stored block in index order, with epoch/gen from the same snapshot
   * so a concurrent apply cannot pair new blocks with an old generation.
   */
  ReplicaDigest digest(long pid) throws RocksDBException {
    Snapshot snap = h.db.getSnapshot();
    try (ReadOptions ro = new ReadOptions().setSnapshot(snap).setFillCache(false);
        Slice upper = new Slice(BlockKeys.upperBound(pid))) {
      byte[] metaValue = h.db.get(h.extents, ro, BlockKeys.pidKey(pid));
      ro.setIterateUpperBound(upper);
      MessageDigest sha = sha256();
      long count = 0;
      try (RocksIterator it = h.db.newIterator(h.blocks, ro)) {
        for (it.seek(BlockKeys.lowerBound(pid)); it.isValid(); it.next()) {
          byte[] key = it.key();
          if (key.length != BlockKeys.KEY_SIZE) {
            throw new BasaltException(ErrorCode.IO_ERROR, "corrupt block key pid=" + pid + " length=" + key.length);
          }
          int index = BlockKeys.index(key);
          byte[] v = it.value();
          verify(pid, index, v);
          sha.update(key, 8, 4);
          sha.update(v, 0, DATA_SIZE);
          count++;
        }
        it.status();
      }
      ReplicaMeta meta = metaValue == null ? null : ReplicaMetaCodec.decode(pid, metaValue);
      return new ReplicaDigest(pid, meta == null ? 0 : meta.epoch(), meta == null ? 0 : meta.gen(),
          HexFormat.of().formatHex(sha.digest()), count);
    } finally {
      h.db.releaseSnapshot(snap);
    }
  }

  private List<byte[]> fetch(long pid, int firstIndex, int n) throws RocksDBException {
    if (n == 1) {
      return Collections.singletonList(h.db.get(h.blocks, h.read, BlockKeys.key(pid, firstIndex)));
    }
    List<byte[]> keys = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      keys.add(BlockKeys.key(pid, firstIndex + i));
    }
    return h.db.multiGetAsList(h.read, Collections.nCopies(n, h.blocks), keys);
  }

  private void verify(long pid, int index, byte[] value) {
    if (!BlockValueCodec.intact(value)) {
      crcErrors.increment();
      throw new BasaltException(ErrorCode.IO_ERROR,
          "crc mismatch pid=" + pid + " block=" + index + " valueLength=" + value.length);
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }
}
