package io.basalt.chunk.store;

import static io.basalt.chunk.store.BlockValueCodec.DATA_SIZE;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.rocksdb.ByteBufferGetStatus;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;
import org.rocksdb.Status;

/**
 * Read side of the {@code blocks} column family: ranged reads, single-block loads for read-modify-write, and
 * digests. Every block value is CRC-checked before use; a mismatch counts in {@code crcErrors} and is
 * {@code IO_ERROR} naming pid and block (repaired from another replica by the caller). Stateless apart from the
 * counter, so safe for any thread.
 */
final class BlockReader {
  /** One multiGet per 256 blocks (1 MiB): one JNI crossing and batched blob reads, bounded memory. */
  private static final int MULTI_GET_BATCH = 256;
  private static final ThreadLocal<ReadStaging> STAGING = ThreadLocal.withInitial(ReadStaging::new);

  private final RocksHandles h;
  private final LongAdder crcErrors;

  BlockReader(RocksHandles h, LongAdder crcErrors) {
    this.h = h;
    this.crcErrors = crcErrors;
  }

  static int blockOf(long offset) {
    return (int) (offset / DATA_SIZE);
  }

  /**
   * The verified value of one block, or null when it is not stored (reads as zeros). Fetched into the array it
   * returns (no second copy), without RocksDB's own checksum pass (ours is checked here).
   */
  byte[] load(long pid, int index) throws RocksDBException {
    byte[] v = BlockValueCodec.newValue();
    int size = h.db.get(h.blocks, h.blockRead, BlockKeys.key(pid, index), v);
    if (size == RocksDB.NOT_FOUND) return null;
    if (size != BlockValueCodec.VALUE_SIZE) {
      crcErrors.increment();
      throw new BasaltException(ErrorCode.IO_ERROR,
          "crc mismatch pid=" + pid + " block=" + index + " valueLength=" + size);
    }
    verify(pid, index, v);
    return v;
  }

  /**
   * The bytes of [offset, offset + length), zeros where no block is stored, into one buffer from {@code alloc}.
   * One multiGet per up to 256 blocks into this thread's direct staging buffer (no per-block array, one JNI
   * crossing), each value's CRC checked over the staging buffer, then one copy of its data into the reply.
   */
  ByteBuf read(long pid, long offset, int length, ByteBufAllocator alloc) throws RocksDBException {
    ByteBuf out = alloc.buffer(length);
    boolean ok = false;
    try {
      if (length > 0) {
        ReadStaging st = STAGING.get();
        long end = offset + length;
        int last = blockOf(end - 1);
        for (long batchStart = blockOf(offset); batchStart <= last; batchStart += MULTI_GET_BATCH) {
          int n = (int) Math.min(MULTI_GET_BATCH, last - batchStart + 1);
          if (n == 1) { // a small read: a plain direct get, without multiGet's per-call arrays and lists
            int index = (int) batchStart;
            long blockStart = (long) index * DATA_SIZE;
            int from = (int) (Math.max(offset, blockStart) - blockStart);
            int to = (int) (Math.min(end, blockStart + DATA_SIZE) - blockStart);
            ByteBuffer v = st.valueSlices.get(0).clear();
            int size = h.db.get(h.blocks, h.blockRead, st.key(0, pid, index), v);
            if (size == RocksDB.NOT_FOUND) {
              out.writeZero(to - from);
            } else {
              if (!BlockValueCodec.intact(v, 0, size)) throw crcMismatch(pid, index, size);
              out.writeBytes(v.limit(to).position(from));
            }
            continue;
          }
          List<ByteBufferGetStatus> got = st.fetch(h, pid, (int) batchStart, n);
          for (int i = 0; i < n; i++) {
            int index = (int) batchStart + i;
            long blockStart = (long) index * DATA_SIZE;
            int from = (int) (Math.max(offset, blockStart) - blockStart);
            int to = (int) (Math.min(end, blockStart + DATA_SIZE) - blockStart);
            ByteBufferGetStatus g = got.get(i);
            Status.Code code = g.status.getCode();
            if (code == Status.Code.NotFound) {
              out.writeZero(to - from);
            } else if (code == Status.Code.Ok) {
              ByteBuffer v = g.value;
              if (!BlockValueCodec.intact(v, 0, g.requiredSize)) {
                throw crcMismatch(pid, index, g.requiredSize);
              }
              out.writeBytes(v.limit(to).position(from));
            } else {
              throw new RocksDBException("multiGet pid=" + pid + " block=" + index + ": " + code, g.status);
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

  private BasaltException crcMismatch(long pid, int index, int valueLength) {
    crcErrors.increment();
    return new BasaltException(ErrorCode.IO_ERROR,
        "crc mismatch pid=" + pid + " block=" + index + " valueLength=" + valueLength);
  }

  private void verify(long pid, int index, byte[] value) {
    if (!BlockValueCodec.intact(value)) throw crcMismatch(pid, index, value.length);
  }

  /**
   * One thread's multiGet buffers: MULTI_GET_BATCH keys and values (~1 MiB direct, allocated on the thread's first
   * read and kept: reads run on a few fixed threads) and the slice lists handed to RocksDB, built once.
   */
  private static final class ReadStaging {
    private final ByteBuffer keys = ByteBuffer.allocateDirect(MULTI_GET_BATCH * BlockKeys.KEY_SIZE);
    private final List<ByteBuffer> keySlices = new ArrayList<>(MULTI_GET_BATCH);
    final List<ByteBuffer> valueSlices = new ArrayList<>(MULTI_GET_BATCH);

    ReadStaging() {
      ByteBuffer values = ByteBuffer.allocateDirect(MULTI_GET_BATCH * BlockValueCodec.VALUE_SIZE);
      for (int i = 0; i < MULTI_GET_BATCH; i++) {
        keySlices.add(keys.slice(i * BlockKeys.KEY_SIZE, BlockKeys.KEY_SIZE));
        valueSlices.add(values.slice(i * BlockValueCodec.VALUE_SIZE, BlockValueCodec.VALUE_SIZE));
      }
    }

    /** The i-th key slice, set to (pid, index). */
    ByteBuffer key(int i, long pid, int index) {
      keys.putLong(i * BlockKeys.KEY_SIZE, pid).putInt(i * BlockKeys.KEY_SIZE + 8, index);
      return keySlices.get(i).clear();
    }

    List<ByteBufferGetStatus> fetch(RocksHandles h, long pid, int firstIndex, int n) throws RocksDBException {
      for (int i = 0; i < n; i++) {
        keys.putLong(i * BlockKeys.KEY_SIZE, pid).putInt(i * BlockKeys.KEY_SIZE + 8, firstIndex + i);
        keySlices.get(i).clear();
        valueSlices.get(i).clear();
      }
      return h.db.multiGetByteBuffers(h.blockRead, Collections.nCopies(n, h.blocks), keySlices.subList(0, n),
          valueSlices.subList(0, n));
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
