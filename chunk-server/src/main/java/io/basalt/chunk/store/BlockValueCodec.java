package io.basalt.chunk.store;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatchInterface;

/**
 * Values of the {@code blocks} column family: 4096 data bytes + CRC32C of the data (4 B big-endian). The CRC is
 * ours, not RocksDB's, so corruption anywhere between apply and read (blob file, page cache, memory) is caught.
 *
 * <p>Two forms: {@code byte[]} (read-modify-write) and direct {@link ByteBuffer}s (bulk paths: no per-block
 * allocation, the CRC computed over the buffer by the JDK's CRC32C intrinsic, and puts that hand RocksDB the
 * buffer's address instead of copying a Java array through JNI).
 */
final class BlockValueCodec {
  static final int DATA_SIZE = ReplicaStore.BLOCK_SIZE;
  static final int VALUE_SIZE = DATA_SIZE + 4;
  private static final byte[] ZEROS = new byte[DATA_SIZE];
  private static final ByteBuffer DIRECT_ZEROS = ByteBuffer.allocateDirect(DATA_SIZE).asReadOnlyBuffer();
  /** Per-thread staging for {@link #putBlock}: one key and one value, reused for every block. */
  private static final ThreadLocal<Staging> STAGING = ThreadLocal.withInitial(Staging::new);

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

  /**
   * True when {@code value} holds a whole value at [at, at + VALUE_SIZE) ({@code length} is what RocksDB reported)
   * whose CRC matches. Absolute reads: position and limit are left alone.
   */
  static boolean intact(ByteBuffer value, int at, int length) {
    if (length != VALUE_SIZE) return false;
    return value.getInt(at + DATA_SIZE) == crc(value, at); // ByteBuffer default order is big-endian
  }

  /** All-zero blocks are deleted instead of stored, so equal contents give equal digests. */
  static boolean isZeroData(byte[] value) {
    return Arrays.mismatch(value, 0, DATA_SIZE, ZEROS, 0, DATA_SIZE) < 0;
  }

  /** As {@link #isZeroData(byte[])} for DATA_SIZE bytes of {@code data} at {@code at} (absolute). */
  static boolean isZeroData(ByteBuffer data, int at) {
    return data.slice(at, DATA_SIZE).mismatch(DIRECT_ZEROS.duplicate()) < 0;
  }

  /**
   * Adds the block {@code index} of {@code pid} with the DATA_SIZE bytes of {@code src} at {@code at} (absolute,
   * src untouched) to {@code batch}: an all-zero block is a delete (when it {@code mayExist}), anything else a put
   * of data + CRC. One copy into a per-thread direct staging buffer, the CRC over it, and a direct put (RocksDB
   * copies the staged bytes into the batch, so the staging is free again on return).
   */
  static boolean putBlock(WriteBatchInterface batch, ColumnFamilyHandle cf, long pid, int index, ByteBuf src, int at,
      boolean mayExist) throws RocksDBException {
    Staging s = STAGING.get();
    ByteBuffer key = s.key.clear();
    key.putLong(0, pid).putInt(8, index);
    ByteBuffer value = s.value.clear().limit(DATA_SIZE);
    src.getBytes(at, value);
    value.position(0);
    if (value.mismatch(DIRECT_ZEROS.duplicate()) < 0) {
      if (mayExist) batch.delete(cf, key);
      return false;
    }
    value.limit(VALUE_SIZE).putInt(DATA_SIZE, crc(value, 0));
    batch.put(cf, key, value);
    return true;
  }

  private static int crc(byte[] value) {
    CRC32C c = new CRC32C();
    c.update(value, 0, DATA_SIZE);
    return (int) c.getValue();
  }

  /** CRC32C of DATA_SIZE bytes at {@code at}; direct buffers go through the JDK intrinsic on their address. */
  static int crc(ByteBuffer b, int at) {
    CRC32C c = new CRC32C();
    c.update(b.slice(at, DATA_SIZE));
    return (int) c.getValue();
  }

  /** Reusable direct key and value buffers of one thread. */
  private static final class Staging {
    final ByteBuffer key = ByteBuffer.allocateDirect(BlockKeys.KEY_SIZE).order(ByteOrder.BIG_ENDIAN);
    final ByteBuffer value = ByteBuffer.allocateDirect(VALUE_SIZE).order(ByteOrder.BIG_ENDIAN);
  }
}
