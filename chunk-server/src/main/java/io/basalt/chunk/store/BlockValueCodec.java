package io.basalt.chunk.store;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Block checksums and zero tests. The CRC32C of each 4 KiB block is ours, not RocksDB's, so corruption anywhere
 * between apply and read (data file, page cache, memory) is caught; it is computed by the JDK's intrinsic, over
 * direct buffers in place.
 *
 * <p>Format 2 stored block values as 4096 data bytes + CRC32C (4 B big-endian) in RocksDB; {@link #legacyIntact}
 * reads them for the upgrade to format 3.
 */
final class BlockValueCodec {
  static final int DATA_SIZE = ReplicaStore.BLOCK_SIZE;
  /** Size of a format 2 block value (data + CRC). */
  static final int LEGACY_VALUE_SIZE = DATA_SIZE + 4;
  private static final byte[] ZEROS = new byte[DATA_SIZE];
  private static final ByteBuffer DIRECT_ZEROS = ByteBuffer.allocateDirect(DATA_SIZE).asReadOnlyBuffer();

  private BlockValueCodec() {}

  /** CRC32C of a 4 KiB block. */
  static int crc(byte[] data) {
    CRC32C c = new CRC32C();
    c.update(data, 0, DATA_SIZE);
    return (int) c.getValue();
  }

  /** One block of zeros, read-only and shared (a duplicate: callers may not move its position). */
  static ByteBuffer zeroBlock() {
    return DIRECT_ZEROS.duplicate();
  }

  /** CRC32C of DATA_SIZE bytes at {@code at} (absolute; position and limit untouched). */
  static int crc(ByteBuffer b, int at) {
    CRC32C c = new CRC32C();
    c.update(b.slice(at, DATA_SIZE));
    return (int) c.getValue();
  }

  /** CRC32C of DATA_SIZE bytes of {@code buf} at {@code at}, over each component in place (no copy). */
  static int crc(ByteBuf buf, int at) {
    CRC32C c = new CRC32C();
    if (buf.nioBufferCount() == 1) {
      c.update(buf.nioBuffer(at, DATA_SIZE)); // a view, not internalNioBuffer: the payload may be shared
    } else {
      for (ByteBuffer b : buf.nioBuffers(at, DATA_SIZE)) c.update(b);
    }
    return (int) c.getValue();
  }

  /** All-zero blocks are deleted instead of stored, so equal contents give equal digests. */
  static boolean isZeroData(byte[] data) {
    return Arrays.mismatch(data, 0, DATA_SIZE, ZEROS, 0, DATA_SIZE) < 0;
  }

  /** As {@link #isZeroData(byte[])} for DATA_SIZE bytes of {@code buf} at {@code at}. */
  static boolean isZeroData(ByteBuf buf, int at) {
    if (buf.nioBufferCount() == 1) {
      return buf.nioBuffer(at, DATA_SIZE).mismatch(DIRECT_ZEROS.duplicate()) < 0;
    }
    int from = 0;
    for (ByteBuffer b : buf.nioBuffers(at, DATA_SIZE)) {
      int n = b.remaining();
      if (b.mismatch(DIRECT_ZEROS.duplicate().position(from).limit(from + n)) >= 0) return false;
      from += n;
    }
    return true;
  }

  /** True when a format 2 value has the right size and its CRC matches its data. */
  static boolean legacyIntact(byte[] value) {
    return value.length == LEGACY_VALUE_SIZE && BlockKeys.getInt(value, DATA_SIZE) == crc(value);
  }
}
