package io.basalt.chunk.store;

/**
 * Keys of the {@code blocks} column family: pid (8 B big-endian) + block index (4 B big-endian), so one replica's
 * blocks are contiguous and sorted by index under the default bytewise comparator (pids and indexes are
 * non-negative, so signed and unsigned order agree). Also the 8-byte pid key of the {@code extents} family.
 */
final class BlockKeys {
  static final int KEY_SIZE = 12;

  private BlockKeys() {}

  static byte[] key(long pid, int index) {
    byte[] k = new byte[KEY_SIZE];
    putLong(k, 0, pid);
    putInt(k, 8, index);
    return k;
  }

  /** Smallest key of a replica (inclusive). */
  static byte[] lowerBound(long pid) {
    return key(pid, 0);
  }

  /**
   * Exclusive upper bound of a replica: pid + FFFFFFFF + 00 sorts after every 12-byte key of that pid and before
   * any key of pid + 1, without overflowing at {@code Long.MAX_VALUE}.
   */
  static byte[] upperBound(long pid) {
    byte[] k = new byte[KEY_SIZE + 1];
    putLong(k, 0, pid);
    putInt(k, 8, -1);
    return k;
  }

  static long pid(byte[] key) {
    return getLong(key, 0);
  }

  static int index(byte[] key) {
    return getInt(key, 8);
  }

  static byte[] pidKey(long pid) {
    byte[] k = new byte[8];
    putLong(k, 0, pid);
    return k;
  }

  static void putLong(byte[] b, int at, long v) {
    for (int i = 7; i >= 0; i--) {
      b[at + i] = (byte) v;
      v >>>= 8;
    }
  }

  static void putInt(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 24);
    b[at + 1] = (byte) (v >>> 16);
    b[at + 2] = (byte) (v >>> 8);
    b[at + 3] = (byte) v;
  }

  static long getLong(byte[] b, int at) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[at + i] & 0xFF);
    }
    return v;
  }

  static int getInt(byte[] b, int at) {
    return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
  }
}
