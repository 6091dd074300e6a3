package io.basalt.chunk.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * The blocks a WriteBatch under construction already changes, so a later write of the same group commit that
 * read-modify-writes one of them starts from the batch's version, not the DB's (which does not have it yet).
 * Values are sealed (CRC trailer written); a block absent here is whatever the DB holds. One per batch; one thread.
 */
final class StagedBlocks {
  private static final byte[] DELETED = new byte[0];

  /** A sealed value (byte[]) or, for a whole block put straight from a payload, where it is ({@link Source}). */
  private final HashMap<Integer, Object> blocks = new HashMap<>();

  /** A whole block's data in a payload that outlives the batch's construction (never copied unless read back). */
  private record Source(io.netty.buffer.ByteBuf buf, int at) {}
  private final List<int[]> deletedRanges = new ArrayList<>(0);

  /** True when the batch decides this block's content: {@link #value} is then what it reads as. */
  boolean knows(int index) {
    if (blocks.containsKey(index)) return true;
    for (int[] r : deletedRanges) {
      if (index >= r[0] && index < r[1]) return true;
    }
    return false;
  }

  /** The staged value (a private copy the caller may modify), or null when the batch deletes it. */
  byte[] value(int index) {
    Object v = blocks.get(index);
    if (v == null || v == DELETED) return null;
    if (v instanceof Source s) {
      byte[] out = BlockValueCodec.newValue();
      s.buf().getBytes(s.at(), out, 0, BlockValueCodec.DATA_SIZE);
      return out;
    }
    return ((byte[]) v).clone();
  }

  void put(int index, byte[] sealedValue) {
    blocks.put(index, sealedValue);
  }

  /** A whole block written from {@code buf} at {@code at} (not copied). */
  void put(int index, io.netty.buffer.ByteBuf buf, int at) {
    blocks.put(index, new Source(buf, at));
  }

  void delete(int index) {
    blocks.put(index, DELETED);
  }

  /** [from, to) deleted by one range tombstone: blocks staged inside it read as zeros from now on. */
  void deleteRange(int from, int to) {
    blocks.keySet().removeIf(i -> i >= from && i < to);
    deletedRanges.add(new int[] {from, to});
  }
}
