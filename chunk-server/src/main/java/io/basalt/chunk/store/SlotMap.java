package io.basalt.chunk.store;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;

/**
 * Which data slot each block's committed record names, per replica, in memory (one bit per block: 8 KiB for a
 * 256 MiB extent), so a whole-block write picks the free slot without reading its record back from RocksDB. A
 * replica's bits are loaded from its records on its first write after open and kept write-through: set after the
 * commit that made them true, by the pid's serialised writer only (the same rule as the replica meta cache). A block
 * without a record keeps whatever bit it had; either slot is free for it.
 */
final class SlotMap {
  private final RocksHandles h;
  private final ConcurrentHashMap<Long, Slots> replicas = new ConcurrentHashMap<>();

  SlotMap(RocksHandles h) {
    this.h = h;
  }

  /** The pid's slots, loaded from its records if this is its first write since open (or since it was deleted). */
  Slots of(long pid) throws RocksDBException {
    Slots s = replicas.get(pid);
    if (s != null) return s;
    s = load(pid);
    Slots raced = replicas.putIfAbsent(pid, s);
    return raced != null ? raced : s;
  }

  /** Drops a deleted replica's bits (a later replica of the same pid starts from its own records). */
  void forget(long pid) {
    replicas.remove(pid);
  }

  private Slots load(long pid) throws RocksDBException {
    Slots s = new Slots();
    try (Slice upper = new Slice(BlockKeys.upperBound(pid));
        ReadOptions ro = new ReadOptions().setIterateUpperBound(upper).setFillCache(false);
        RocksIterator it = h.db.newIterator(h.blocks, ro)) {
      for (it.seek(BlockKeys.lowerBound(pid)); it.isValid(); it.next()) {
        byte[] v = it.value();
        BlockRecord r = BlockRecord.decode(v, v.length);
        if (r != null && r.slot() == 1) s.set(BlockKeys.index(it.key()), 1); // a bad record: reads report it
      }
      it.status();
    }
    return s;
  }

  /** One replica's bits; used by its serialised writer only. */
  static final class Slots {
    private long[] bits = new long[16];

    int slot(int index) {
      int word = index >>> 6;
      return word < bits.length ? (int) (bits[word] >>> (index & 63)) & 1 : 0;
    }

    void set(int index, int slot) {
      int word = index >>> 6;
      if (word >= bits.length) {
        if (slot == 0) return;
        bits = Arrays.copyOf(bits, Math.max(word + 1, bits.length * 2));
      }
      if (slot == 1) bits[word] |= 1L << (index & 63);
      else bits[word] &= ~(1L << (index & 63));
    }
  }
}
