package io.basalt.chunk.store;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;

/**
 * The {@code genlog} column family: per replica, which byte ranges each generation touched (metadata only, never
 * data), so a member that is behind can be caught up with just those blocks (DESIGN.md "Recovery": incremental
 * catch-up). Keys, all big-endian:
 * <ul>
 *   <li>{@code pid(8)}: the floor {@code F}: the log explains every change after gen F (value: version + F);</li>
 *   <li>{@code pid(8) + gen(8)}: the ranges of that gen (value: version 2 + the epoch the gen was written at (8, 0 =
 *       unknown) + n x (offset(8), length(8)); version 1 entries, without the epoch, stay readable).</li>
 * </ul>
 * The epoch of a gen is what tells a duplicate replicate from another history at the same gen (DESIGN.md "Write
 * path" 3: a replica acknowledges a duplicate generation only if it was written at the same epoch).
 * A replica's floor key sorts before its entries, and all of a pid's keys sort before the next pid's.
 * Entries above the replica's gen are the blocks an unfinished {@link ReplicaStore#applyChanges} has already
 * written (its pages before the last one), logged under the target gen.
 *
 * <p>Bounded: once a replica's gen passes a multiple of {@code trimEvery}, entries at or below
 * {@code gen - retention} go in one DeleteRange and the floor moves up.
 *
 * <p>Threads: as {@link RocksReplicaStore}; the read-modify-write of an entry relies on the per-pid ordering.
 */
final class GenLog {
  static final byte VERSION = 1;
  /** Entries with the gen's epoch. The floor keeps version 1. */
  static final byte ENTRY_VERSION = 2;
  private static final int PAIR = 16;
  private static final int ENTRY_HEADER = 9;

  private final RocksHandles h;
  private final long retention;
  private final long trimEvery;

  GenLog(RocksHandles h, long retention) {
    this.h = h;
    this.retention = retention;
    this.trimEvery = Math.max(1, retention / 16);
  }

  /**
   * Logs {@code ranges} under {@code gen}, written at {@code genEpoch} (0 = unknown), merged with what is already
   * logged there when {@code merge} (a merged entry keeps the epoch already logged unless it was unknown).
   */
  void add(WriteBatch batch, long pid, long gen, List<ByteRange> ranges, boolean merge, long genEpoch)
      throws RocksDBException {
    List<ByteRange> all = ranges;
    long epoch = genEpoch;
    if (merge) {
      byte[] old = h.db.get(h.genlog, h.read, entryKey(pid, gen));
      if (old != null) {
        all = new ArrayList<>(decode(pid, old));
        all.addAll(ranges);
        long oldEpoch = entryEpoch(pid, old);
        if (oldEpoch != 0) epoch = oldEpoch;
      }
    }
    batch.put(h.genlog, entryKey(pid, gen), encode(epoch, ByteRange.merge(all)));
  }

  /** The epoch {@code gen} was written at, 0 when unknown (no entry: trimmed, set from outside, version 1). */
  long genEpoch(long pid, long gen) throws RocksDBException {
    byte[] v = h.db.get(h.genlog, h.read, entryKey(pid, gen));
    return v == null ? 0 : entryEpoch(pid, v);
  }

  void setFloor(WriteBatch batch, long pid, long floor) throws RocksDBException {
    batch.put(h.genlog, BlockKeys.pidKey(pid), encodeFloor(floor));
  }

  /** The floor, or empty when the replica has no log. */
  Optional<Long> floor(long pid) throws RocksDBException {
    byte[] v = h.db.get(h.genlog, h.read, BlockKeys.pidKey(pid));
    if (v == null) return Optional.empty();
    if (v.length != 9 || v[0] != VERSION) {
      throw new BasaltException(ErrorCode.IO_ERROR, "corrupt gen log floor pid=" + pid + " length=" + v.length);
    }
    return Optional.of(BlockKeys.getLong(v, 1));
  }

  /** Drops entries at or below {@code gen - retention} when the gen crossed a trim boundary going to newGen. */
  void maybeTrim(WriteBatch batch, long pid, long oldGen, long newGen) throws RocksDBException {
    if (newGen <= retention || newGen / trimEvery == Math.max(oldGen, 0) / trimEvery) return;
    long newFloor = newGen - retention;
    long floor = floor(pid).orElse(0L);
    if (newFloor <= floor) return;
    batch.deleteRange(h.genlog, entryKey(pid, 0), entryKey(pid, newFloor + 1));
    setFloor(batch, pid, newFloor);
  }

  /** Deletes the entries above {@code gen} (left by an unfinished catch-up that a later one completed). */
  void deleteAbove(WriteBatch batch, long pid, long gen) throws RocksDBException {
    if (gen == Long.MAX_VALUE) return;
    batch.deleteRange(h.genlog, entryKey(pid, gen + 1), upperBound(pid));
  }

  /** Deletes the floor and every entry of {@code pid}. */
  void deleteAll(WriteBatch batch, long pid) throws RocksDBException {
    batch.deleteRange(h.genlog, BlockKeys.pidKey(pid), upperBound(pid));
  }

  /**
   * Block-aligned merged ranges of the gens in (sinceGen, currentGen], or empty when the log does not reach back
   * to sinceGen + 1.
   */
  Optional<List<ByteRange>> changedSince(long pid, long sinceGen, long currentGen) throws RocksDBException {
    if (sinceGen == currentGen) return Optional.of(List.of());
    Optional<Long> floor = floor(pid);
    if (floor.isEmpty() || sinceGen < floor.get()) return Optional.empty();
    return Optional.of(collect(pid, sinceGen + 1, currentGen));
  }

  /** Block-aligned merged ranges logged above {@code currentGen}: an unfinished catch-up's blocks. */
  List<ByteRange> above(long pid, long currentGen) throws RocksDBException {
    if (currentGen == Long.MAX_VALUE) return List.of();
    return collect(pid, currentGen + 1, Long.MAX_VALUE);
  }

  private List<ByteRange> collect(long pid, long fromGen, long toGen) throws RocksDBException {
    List<ByteRange> out = new ArrayList<>();
    byte[] upper = toGen == Long.MAX_VALUE ? upperBound(pid) : entryKey(pid, toGen + 1);
    try (Slice upperSlice = new Slice(upper);
        ReadOptions ro = new ReadOptions().setIterateUpperBound(upperSlice).setFillCache(false);
        RocksIterator it = h.db.newIterator(h.genlog, ro)) {
      for (it.seek(entryKey(pid, fromGen)); it.isValid(); it.next()) {
        out.addAll(decode(pid, it.value()));
      }
      it.status();
    }
    return ByteRange.alignAndMerge(out);
  }

  static byte[] entryKey(long pid, long gen) {
    byte[] k = new byte[16];
    BlockKeys.putLong(k, 0, pid);
    BlockKeys.putLong(k, 8, gen);
    return k;
  }

  /** pid + FF x 8 + 00: after every key of pid, before any key of pid + 1. */
  static byte[] upperBound(long pid) {
    byte[] k = new byte[17];
    BlockKeys.putLong(k, 0, pid);
    BlockKeys.putLong(k, 8, -1L);
    return k;
  }

  static byte[] encodeFloor(long floor) {
    byte[] v = new byte[9];
    v[0] = VERSION;
    BlockKeys.putLong(v, 1, floor);
    return v;
  }

  static byte[] encode(long genEpoch, List<ByteRange> ranges) {
    byte[] v = new byte[ENTRY_HEADER + PAIR * ranges.size()];
    v[0] = ENTRY_VERSION;
    BlockKeys.putLong(v, 1, genEpoch);
    int at = ENTRY_HEADER;
    for (ByteRange r : ranges) {
      BlockKeys.putLong(v, at, r.offset());
      BlockKeys.putLong(v, at + 8, r.length());
      at += PAIR;
    }
    return v;
  }

  /** Where an entry's ranges start (after the version, and the epoch from version 2 on). */
  private static int rangesStart(long pid, byte[] v) {
    int start = v.length == 0 ? -1 : v[0] == VERSION ? 1 : v[0] == ENTRY_VERSION ? ENTRY_HEADER : -1;
    if (start < 0 || v.length < start || (v.length - start) % PAIR != 0) {
      throw new BasaltException(ErrorCode.IO_ERROR, "corrupt gen log entry pid=" + pid + " length=" + v.length);
    }
    return start;
  }

  static long entryEpoch(long pid, byte[] v) {
    return rangesStart(pid, v) == ENTRY_HEADER ? BlockKeys.getLong(v, 1) : 0;
  }

  static List<ByteRange> decode(long pid, byte[] v) {
    int start = rangesStart(pid, v);
    List<ByteRange> out = new ArrayList<>((v.length - start) / PAIR);
    for (int at = start; at < v.length; at += PAIR) {
      long offset = BlockKeys.getLong(v, at);
      long length = BlockKeys.getLong(v, at + 8);
      if (offset < 0 || length < 0 || offset + length < offset) {
        throw new BasaltException(ErrorCode.IO_ERROR, "corrupt gen log range pid=" + pid + " offset=" + offset
            + " length=" + length);
      }
      out.add(new ByteRange(offset, length));
    }
    return out;
  }
}
