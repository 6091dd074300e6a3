package io.basalt.chunk.store;

import java.nio.ByteBuffer;

/**
 * Values of the {@code blocks} column family since format 3: which of the block's two data slots holds its committed
 * content ({@link ExtentFiles}) and the CRC32C of that content, 5 bytes: slot (1 B) + CRC (4 B big-endian). A block
 * without a record reads as zeros.
 *
 * <p>Why two slots: a write puts its data into the slot the record does NOT name, then commits the record (with the
 * replica's gen and gen log) in one WriteBatch. A crash between the two leaves the committed slot untouched, so no
 * block is ever torn between an old CRC and new data, and readers on other threads never see the slot they read
 * being overwritten before a newer commit exists (see {@link BlockReader}).
 */
record BlockRecord(int slot, int crc) {
  static final int SIZE = 5;

  BlockRecord {
    if (slot != 0 && slot != 1) throw new IllegalArgumentException("slot must be 0 or 1: " + slot);
  }

  /** The slot a new version of this block goes to. */
  int other() {
    return 1 - slot;
  }

  byte[] encode() {
    byte[] v = new byte[SIZE];
    v[0] = (byte) slot;
    BlockKeys.putInt(v, 1, crc);
    return v;
  }

  /** Into {@code dst} at its position (advanced by SIZE). */
  void encodeTo(ByteBuffer dst) {
    dst.put((byte) slot).putInt(crc);
  }

  /** Null when the bytes are not a record (length or slot wrong): the caller reports corruption. */
  static BlockRecord decode(byte[] v, int length) {
    if (length != SIZE || (v[0] != 0 && v[0] != 1)) return null;
    return new BlockRecord(v[0], BlockKeys.getInt(v, 1));
  }

  /** As {@link #decode(byte[], int)} for SIZE bytes of {@code v} at {@code at} (absolute). */
  static BlockRecord decode(ByteBuffer v, int at, int length) {
    if (length != SIZE) return null;
    byte slot = v.get(at);
    if (slot != 0 && slot != 1) return null;
    return new BlockRecord(slot, v.getInt(at + 1));
  }
}
