package io.basalt.chunk.store;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * The block side of one WriteBatch under construction: for every block the batch changes, the data slot its new
 * version goes to and what it reads as (so a later write of the same group commit that read-modify-writes it starts
 * from the batch's version, not the committed one), and the data writes to make before the batch commits, in order.
 * One per batch; one thread.
 */
final class StagedBlocks {
  /** No slot chosen yet: the next version goes to the slot the committed record does not name. */
  static final int UNKNOWN = -1;

  /** slot: target slot or UNKNOWN; data from buf at {@code at}, or from {@code value}, or zeros when both null. */
  private record Entry(int slot, ByteBuf buf, int at, byte[] value) {}

  /** A pending data write: {@code blocks} whole blocks from buf at {@code at} or one block from {@code value}. */
  private static final class Pending {
    final int index;
    final int slot;
    final ByteBuf buf;
    final int at;
    final byte[] value;
    int blocks = 1;

    Pending(int index, int slot, ByteBuf buf, int at, byte[] value) {
      this.index = index;
      this.slot = slot;
      this.buf = buf;
      this.at = at;
      this.value = value;
    }
  }

  private final HashMap<Integer, Entry> blocks = new HashMap<>();
  private final List<int[]> deletedRanges = new ArrayList<>(0);
  private final ArrayList<Pending> pending = new ArrayList<>();
  private final SlotMap.Slots slots;

  /** {@code slots}: the replica's committed slots (see {@link SlotMap}). */
  StagedBlocks(SlotMap.Slots slots) {
    this.slots = slots;
  }

  /**
   * The slot this batch writes the block to: the one it already chose, else the one the committed record does not
   * name (either, for a block without a record).
   */
  int target(int index) {
    Entry e = blocks.get(index);
    if (e != null && e.slot() != UNKNOWN) return e.slot();
    return 1 - slots.slot(index);
  }

  /** True when the batch decides this block's content: {@link #value} is then what it reads as. */
  boolean knows(int index) {
    if (blocks.containsKey(index)) return true;
    for (int[] r : deletedRanges) {
      if (index >= r[0] && index < r[1]) return true;
    }
    return false;
  }

  /** The staged data (a private 4 KiB copy the caller may modify), or null when the batch makes it zeros. */
  byte[] value(int index) {
    Entry e = blocks.get(index);
    if (e == null) return null;
    if (e.buf() != null) {
      byte[] out = new byte[ExtentFiles.BLOCK];
      e.buf().getBytes(e.at(), out, 0, ExtentFiles.BLOCK);
      return out;
    }
    return e.value() == null ? null : e.value().clone();
  }

  /** A whole block written from {@code buf} at {@code at} (not copied: buf outlives the batch's commit). */
  void put(int index, int slot, ByteBuf buf, int at) {
    blocks.put(index, new Entry(slot, buf, at, null));
    Pending last = pending.isEmpty() ? null : pending.get(pending.size() - 1);
    if (last != null && last.buf == buf && last.slot == slot && last.index + last.blocks == index
        && last.at + last.blocks * ExtentFiles.BLOCK == at) {
      last.blocks++; // one system call for a run of whole blocks (a 1 MiB write: one)
    } else {
      pending.add(new Pending(index, slot, buf, at, null));
    }
  }

  /** A block's whole new 4 KiB {@code value} (owned by this batch from now on). */
  void put(int index, int slot, byte[] value) {
    blocks.put(index, new Entry(slot, null, 0, value));
    pending.add(new Pending(index, slot, null, 0, value));
  }

  /** The block reads as zeros; {@code slot}: the slot a later version in this batch must use, or UNKNOWN. */
  void delete(int index, int slot) {
    blocks.put(index, new Entry(slot, null, 0, null));
  }

  /** [from, to) deleted by one range tombstone: blocks staged inside it read as zeros from now on. */
  void deleteRange(int from, int to) {
    blocks.keySet().removeIf(i -> i >= from && i < to);
    deletedRanges.add(new int[] {from, to});
  }

  /** After the batch committed: the slot of every block it stored is now the one its record names. */
  void committed() {
    for (var e : blocks.entrySet()) {
      Entry v = e.getValue();
      if (v.buf() != null || v.value() != null) slots.set(e.getKey(), v.slot());
    }
  }

  /** Makes the batch's data writes, in order, so a later write of the same block in the batch wins. */
  void writeData(ExtentFiles files, long pid) throws IOException {
    for (Pending p : pending) {
      long pos = (long) p.index * ExtentFiles.BLOCK;
      if (p.value != null) {
        files.writeAt(pid, p.slot, pos, ByteBuffer.wrap(p.value));
        continue;
      }
      // A composite payload's components need not end on block boundaries: each is written at its own offset.
      for (ByteBuffer b : p.buf.nioBuffers(p.at, p.blocks * ExtentFiles.BLOCK)) {
        int len = b.remaining();
        files.writeAt(pid, p.slot, pos, b);
        pos += len;
      }
    }
  }
}
