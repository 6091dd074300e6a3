package io.basalt.chunk.store;

import static io.basalt.chunk.store.BlockValueCodec.DATA_SIZE;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Lock;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;

/**
 * Read side of the block store: the {@link BlockRecord}s of the {@code blocks} column family and the data they name
 * in {@link ExtentFiles}. Every block is CRC-checked before use; a mismatch counts in {@code crcErrors} and is
 * {@code IO_ERROR} naming pid and block (repaired from another replica by the caller).
 *
 * <p>Readers on other threads than the pid's writer: a write fills the slot its block's record does not name and
 * then commits, so the slot a reader was sent to changes only if a second, newer write starts after that commit. A
 * mismatch seen while a commit happened is therefore retried instead of reported; one seen while no commit happened, or
 * on the last attempt (which holds {@link SlotFence#quiet}), is real corruption.
 */
final class BlockReader {
  /** A block without a record (reads as zeros) in the packed form of {@link #records}. */
  static final long ABSENT = -1L;
  /** A record that does not decode, in the packed form of {@link #records} when asked to tolerate it. */
  static final long CORRUPT = -2L;
  /** Records looked up per iterator pass: 256 blocks (1 MiB), bounded memory. */
  private static final int RECORD_BATCH = 256;
  private static final int RETRIES = 8;
  /** Bytes copied from the page cache in the time of one positional-read system call (see {@link #spanSlot}). */
  static final int SYSCALL_EQUIVALENT_BYTES = 40 << 10;
  private static final ThreadLocal<ReadStaging> STAGING = ThreadLocal.withInitial(ReadStaging::new);

  private final RocksHandles h;
  private final ExtentFiles files;
  private final LongAdder crcErrors;
  private final SlotFence fence;

  BlockReader(RocksHandles h, ExtentFiles files, LongAdder crcErrors, SlotFence fence) {
    this.h = h;
    this.files = files;
    this.crcErrors = crcErrors;
    this.fence = fence;
  }

  static int blockOf(long offset) {
    return (int) (offset / DATA_SIZE);
  }

  static int slotOf(long record) {
    return (int) (record >>> 32);
  }

  static int crcOf(long record) {
    return (int) record;
  }

  static long pack(BlockRecord r) {
    return ((long) r.slot() << 32) | (r.crc() & 0xFFFFFFFFL);
  }

  /** The committed record of one block, packed, or {@link #ABSENT}. */
  long record(long pid, int index) throws RocksDBException {
    return record(pid, index, false);
  }

  /** As {@link #record(long, int)}; a record that does not decode is {@link #CORRUPT} if {@code tolerate}. */
  long record(long pid, int index, boolean tolerate) throws RocksDBException {
    ReadStaging st = STAGING.get();
    ByteBuffer v = st.value.clear();
    int size = h.db.get(h.blocks, h.blockRead, st.key(pid, index), v);
    if (size == RocksDB.NOT_FOUND) return ABSENT;
    return decode(pid, index, v, 0, size, tolerate);
  }

  /** The committed records of blocks [first, first + n), packed, into {@code out} (n at most 256 per call). */
  void records(long pid, int first, int n, long[] out) throws RocksDBException {
    records(pid, first, n, out, false);
  }

  /**
   * As {@link #records(long, int, int, long[])}; records that do not decode are {@link #CORRUPT} if
   * {@code tolerate} (a whole-block overwrite replaces them), else IO_ERROR.
   */
  void records(long pid, int first, int n, long[] out, boolean tolerate) throws RocksDBException {
    if (n == 1) {
      out[0] = record(pid, first, tolerate);
      return;
    }
    // One iterator pass, not multiGet: the JNI multiGet builds a Java Status object per key (FindClass, NewObject),
    // which cost more than the lookups themselves.
    ReadStaging st = STAGING.get();
    Arrays.fill(out, 0, n, ABSENT);
    ByteBuffer key = st.iterKey;
    ByteBuffer value = st.value;
    try (RocksIterator it = h.db.newIterator(h.blocks, h.blockRead)) {
      for (it.seek(st.key(pid, first)); it.isValid(); it.next()) {
        int keyLength = it.key(key.clear());
        if (keyLength != BlockKeys.KEY_SIZE || key.getLong(0) != pid) break;
        int index = key.getInt(8);
        if (index < first || index >= first + n) break;
        int size = it.value(value.clear());
        out[index - first] = decode(pid, index, value, 0, size, tolerate);
      }
      it.status();
    }
  }

  /**
   * The verified data of one block (a new 4 KiB array), or null when it has no record (reads as zeros). For
   * read-modify-write on the pid's writer: no write of the pid can run meanwhile, so a mismatch is corruption.
   */
  byte[] load(long pid, int index) throws RocksDBException, IOException {
    long rec = record(pid, index);
    if (rec == ABSENT) return null;
    byte[] data = new byte[DATA_SIZE];
    files.read(pid, slotOf(rec), index, ByteBuffer.wrap(data));
    if (BlockValueCodec.crc(data) != crcOf(rec)) throw crcMismatch(pid, index);
    return data;
  }

  /**
   * The bytes of [offset, offset + length), zeros where no block is stored, into one direct buffer from
   * {@code alloc}: the records by one iterator pass per 256 blocks, then one positional read per run of whole blocks in
   * the same slot (a 1 MiB read written in one go: one system call) straight into the reply, each block's CRC
   * checked there.
   */
  ByteBuf read(long pid, long offset, int length, ByteBufAllocator alloc) throws RocksDBException, IOException {
    for (int attempt = 0; ; attempt++) {
      Lock quiet = lastAttempt(pid, attempt);
      long seen = fence.commits();
      ByteBuf out = alloc.directBuffer(Math.max(length, 1));
      boolean ok = false;
      try {
        int bad = length == 0 ? -1 : readInto(pid, offset, length, out);
        if (bad < 0) {
          ok = true;
          return out;
        }
        if (quiet == null && fence.commits() != seen) continue; // a newer write reused the slot: again
        throw crcMismatch(pid, bad);
      } finally {
        if (!ok) out.release();
        if (quiet != null) quiet.unlock();
      }
    }
  }

  /** -1, or the index of a block whose data did not match its record's CRC. */
  private int readInto(long pid, long offset, int length, ByteBuf out) throws RocksDBException, IOException {
    ReadStaging st = STAGING.get();
    long end = offset + length;
    int first = blockOf(offset);
    int last = blockOf(end - 1);
    for (int batchStart = first; batchStart <= last; batchStart += RECORD_BATCH) {
      int n = Math.min(RECORD_BATCH, last - batchStart + 1);
      long[] recs = st.records;
      records(pid, batchStart, n, recs);
      // Whole blocks of this batch: [wholeFrom, wholeTo); only the read's first and last block can be partial.
      int wholeFrom = batchStart == first && offset % DATA_SIZE != 0 ? 1 : 0;
      int wholeTo = batchStart + n - 1 == last && end % DATA_SIZE != 0 ? n - 1 : n;
      int spanSlot = wholeTo - wholeFrom >= 2 ? spanSlot(recs, wholeFrom, wholeTo) : -1;
      int i = 0;
      while (i < n) {
        if (spanSlot >= 0 && i == wholeFrom) {
          int bad = readMajoritySpan(pid, batchStart, recs, wholeFrom, wholeTo, spanSlot, out);
          if (bad >= 0) return bad;
          i = wholeTo;
          continue;
        }
        int index = batchStart + i;
        long blockStart = (long) index * DATA_SIZE;
        int from = (int) (Math.max(offset, blockStart) - blockStart);
        int to = (int) (Math.min(end, blockStart + DATA_SIZE) - blockStart);
        long rec = recs[i];
        if (rec == ABSENT) {
          out.writeZero(to - from);
          i++;
          continue;
        }
        if (from != 0 || to != DATA_SIZE) { // a partial edge block: whole block into staging, part of it out
          ByteBuffer blk = st.block.clear();
          files.read(pid, slotOf(rec), index, blk);
          if (BlockValueCodec.crc(blk, 0) != crcOf(rec)) return index;
          out.writeBytes(blk.limit(to).position(from));
          i++;
          continue;
        }
        int j = i + 1;
        while (j < n && recs[j] != ABSENT && slotOf(recs[j]) == slotOf(rec)
            && (batchStart + j < last || end % DATA_SIZE == 0)) {
          j++;
        }
        int bytes = (j - i) * DATA_SIZE;
        out.ensureWritable(bytes);
        int wi = out.writerIndex();
        ByteBuffer dst = out.nioBuffer(wi, bytes);
        files.read(pid, slotOf(rec), index, dst);
        for (int k = i; k < j; k++) {
          if (BlockValueCodec.crc(dst, (k - i) * DATA_SIZE) != crcOf(recs[k])) return batchStart + k;
        }
        out.writerIndex(wi + bytes);
        i = j;
      }
    }
    return -1;
  }

  /**
   * The slot whose whole span to read for recs[from, to), or -1 when one read per run is cheaper. One read of the
   * majority slot's span saves a system call per extra majority run and costs copying the span's other blocks for
   * nothing. Measured here: a 4 KiB pread costs 1.8 us, about as much as copying {@link #SYSCALL_EQUIVALENT_BYTES}
   * from the page cache (1 MiB in 45 us).
   */
  static int spanSlot(long[] recs, int from, int to) {
    int runs0 = 0;
    int runs1 = 0;
    int blocks0 = 0;
    int blocks1 = 0;
    int lo0 = -1;
    int hi0 = -1;
    int lo1 = -1;
    int hi1 = -1;
    for (int k = from; k < to; k++) {
      long rec = recs[k];
      if (rec == ABSENT) continue;
      boolean newRun = k == from || recs[k - 1] == ABSENT || slotOf(recs[k - 1]) != slotOf(rec);
      if (slotOf(rec) == 0) {
        if (newRun) runs0++;
        if (lo0 < 0) lo0 = k;
        hi0 = k;
        blocks0++;
      } else {
        if (newRun) runs1++;
        if (lo1 < 0) lo1 = k;
        hi1 = k;
        blocks1++;
      }
    }
    boolean one = blocks1 > blocks0;
    int runs = one ? runs1 : runs0;
    if (runs < 2) return -1;
    int wastedBlocks = one ? hi1 - lo1 + 1 - blocks1 : hi0 - lo0 + 1 - blocks0;
    long wasted = (long) wastedBlocks * DATA_SIZE;
    return (long) (runs - 1) * SYSCALL_EQUIVALENT_BYTES > wasted ? (one ? 1 : 0) : -1;
  }

  /**
   * Whole blocks recs[from, to) of a batch whose slots alternate (random small writes split every later large read of
   * the range into dozens of runs), straight into the reply: see {@link #readSpan}. -1, or the index of a block whose
   * CRC did not match.
   */
  private int readMajoritySpan(long pid, int batchStart, long[] recs, int from, int to, int major, ByteBuf out)
      throws IOException {
    int bytes = (to - from) * DATA_SIZE;
    out.ensureWritable(bytes);
    int wi = out.writerIndex();
    int bad = readSpan(files, pid, batchStart, recs, from, to, major, out.nioBuffer(wi, bytes));
    if (bad >= 0) return batchStart + bad;
    out.writerIndex(wi + bytes);
    return -1;
  }

  /**
   * Blocks {@code firstIndex + k} for k in [from, to), records recs[k], into {@code dst} (block k at
   * (k - from) x 4 KiB): one read of slot {@code major}'s span ({@link #spanSlot}), then one read per run of the other slot over the
   * blocks it names, zeros over absent ones, then every present block's CRC checked. -1, or the k of a block whose
   * CRC did not match.
   */
  static int readSpan(ExtentFiles files, long pid, long firstIndex, long[] recs, int from, int to, int major,
      ByteBuffer dst) throws IOException {
    int lo = -1;
    int hi = -1;
    for (int k = from; k < to; k++) {
      if (recs[k] != ABSENT && slotOf(recs[k]) == major) {
        if (lo < 0) lo = k;
        hi = k;
      }
    }
    if (lo >= 0) files.read(pid, major, firstIndex + lo, span(dst, lo - from, hi - from + 1));
    int k = from;
    while (k < to) {
      long rec = recs[k];
      if (rec == ABSENT) {
        dst.put((k - from) * DATA_SIZE, BlockValueCodec.zeroBlock(), 0, DATA_SIZE);
        k++;
        continue;
      }
      int slot = slotOf(rec);
      int j = k + 1;
      while (j < to && recs[j] != ABSENT && slotOf(recs[j]) == slot) j++;
      if (slot != major) files.read(pid, slot, firstIndex + k, span(dst, k - from, j - from));
      k = j;
    }
    for (k = from; k < to; k++) {
      long rec = recs[k];
      if (rec != ABSENT && BlockValueCodec.crc(dst, (k - from) * DATA_SIZE) != crcOf(rec)) return k;
    }
    return -1;
  }

  /** Blocks [from, to) of {@code dst} (block-relative) as a buffer to read into. */
  private static ByteBuffer span(ByteBuffer dst, int from, int to) {
    return dst.duplicate().limit(to * DATA_SIZE).position(from * DATA_SIZE);
  }

  /** Null before the last attempt; on it, {@code pid}'s {@link SlotFence#quiet} lock, held (the caller unlocks it). */
  Lock lastAttempt(long pid, int attempt) {
    if (attempt < RETRIES) return null;
    Lock quiet = fence.quiet(pid);
    quiet.lock();
    return quiet;
  }

  /**
   * SHA-256 over (index BE4, data) of every stored block in index order, with epoch/gen from the same snapshot so a
   * concurrent apply cannot pair new blocks with an old generation (a block whose slot a later write reused
   * meanwhile makes the digest start again).
   */
  ReplicaDigest digest(long pid) throws RocksDBException, IOException {
    for (int attempt = 0; ; attempt++) {
      Lock quiet = lastAttempt(pid, attempt);
      try {
        long seen = fence.commits();
        int[] bad = new int[1];
        ReplicaDigest d = digestOnce(pid, bad);
        if (d != null) return d;
        if (quiet == null && fence.commits() != seen) continue;
        throw crcMismatch(pid, bad[0]);
      } finally {
        if (quiet != null) quiet.unlock();
      }
    }
  }

  private ReplicaDigest digestOnce(long pid, int[] bad) throws RocksDBException, IOException {
    Snapshot snap = h.db.getSnapshot();
    ByteBuffer blk = STAGING.get().block;
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
          BlockRecord r = BlockRecord.decode(v, v.length);
          if (r == null) throw corruptRecord(pid, index, v.length);
          files.read(pid, r.slot(), index, blk.clear());
          if (BlockValueCodec.crc(blk, 0) != r.crc()) {
            bad[0] = index;
            return null;
          }
          sha.update(key, 8, 4);
          sha.update(blk.flip());
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

  BasaltException crcMismatch(long pid, int index) {
    crcErrors.increment();
    return new BlockCorruptException(pid, index, "crc mismatch pid=" + pid + " block=" + index);
  }

  private long decode(long pid, int index, ByteBuffer v, int at, int size, boolean tolerate) {
    BlockRecord r = BlockRecord.decode(v, at, size);
    if (r == null && tolerate) return CORRUPT;
    if (r == null) throw corruptRecord(pid, index, size);
    return pack(r);
  }

  BasaltException corruptRecord(long pid, int index, int length) {
    crcErrors.increment();
    return new BlockCorruptException(pid, index, "corrupt block record pid=" + pid + " block=" + index
        + " valueLength=" + length);
  }

  /** One thread's direct buffers (allocated on its first read and kept: reads run on a few fixed threads). */
  private static final class ReadStaging {
    private final ByteBuffer keyBuf = ByteBuffer.allocateDirect(BlockKeys.KEY_SIZE);
    /** Room for a value longer than a record, so a corrupt one is seen with its real length. */
    final ByteBuffer value = ByteBuffer.allocateDirect(BlockRecord.SIZE + 8);
    final long[] records = new long[RECORD_BATCH];
    final ByteBuffer block = ByteBuffer.allocateDirect(DATA_SIZE);
    final ByteBuffer iterKey = ByteBuffer.allocateDirect(BlockKeys.KEY_SIZE + 8);

    /** The key buffer, set to (pid, index). */
    ByteBuffer key(long pid, int index) {
      keyBuf.clear();
      keyBuf.putLong(0, pid).putInt(8, index);
      return keyBuf;
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
