package io.basalt.chunk.store;

import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Values of the {@code blocks} column family: 4096 data bytes + CRC32C of the data (4 B big-endian). The CRC is
 * ours, not RocksDB's, so corruption anywhere between apply and read (blob file, page cache, memory) is caught.
 */
final class BlockValueCodec {
  static final int DATA_SIZE = ReplicaStore.BLOCK_SIZE;
  static final int VALUE_SIZE = DATA_SIZE + 4;
  private static final byte[] ZEROS = new byte[DATA_SIZE];

  private BlockValueCodec() {}

  /** A zero-filled value buffer; fill [0, DATA_SIZE) and then {@link #seal}. */
  static byte[] newValue() {
    return new byte[VALUE_SIZE];
  }

  /** Writes the CRC of the data part into the trailer. */
  static byte[] seal(byte[] value) {
    BlockKeys.putInt(value, DATA_SIZE, crc(value));
    return value;
  }

  /** True when the value has the right size and its CRC matches its data. */
  static boolean intact(byte[] value) {
    return value.length == VALUE_SIZE && BlockKeys.getInt(value, DATA_SIZE) == crc(value);
  }

  /** All-zero blocks are deleted instead of stored, so equal contents give equal digests. */
  static boolean isZeroData(byte[] value) {
    return Arrays.mismatch(value, 0, DATA_SIZE, ZEROS, 0, DATA_SIZE) < 0;
  }

  private static int crc(byte[] value) {
    CRC32C c = new CRC32C();
    c.update(value, 0, DATA_SIZE);
    return (int) c.getValue();
  }
}
