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

  private final HashMap<Integer, byte[]> blocks = new HashMap<>();
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
    byte[] v = blocks.get(index);
    return v == null || v == DELETED ? null : v.clone();
  }

  void put(int index, byte[] sealedValue) {
    blocks.put(index, sealedValue);
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
