package io.basalt.chunk.store;

import static io.basalt.chunk.store.ReplicaStore.BLOCK_SIZE;

import java.io.RandomAccessFile;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

/** Seeded data and the expected-digest model for {@link RocksReplicaStoreTest}. */
final class StoreTestData {
  private StoreTestData() {}

  static int pickOffset(Random rnd, int size) {
    return switch (rnd.nextInt(4)) {
      case 0 -> rnd.nextInt(size / BLOCK_SIZE) * BLOCK_SIZE;
      case 1 -> rnd.nextInt(size / 512) * 512;
      default -> rnd.nextInt(size);
    };
  }

  static int pickLength(Random rnd) {
    return switch (rnd.nextInt(5)) {
      case 0 -> 1;
      case 1 -> (1 + rnd.nextInt(8)) * 512;
      case 2 -> (1 + rnd.nextInt(4)) * BLOCK_SIZE;
      default -> rnd.nextInt(3 * BLOCK_SIZE);
    };
  }

  /**
   * Flips one bit of the committed data of a block in its data file (the record and its CRC kept): what a bad disk
   * sector or a stray write does.
   */
  static void flipDataBit(RocksReplicaStore store, long pid, int block, int offsetInBlock) throws Exception {
    RocksHandles h = store.handles();
    byte[] v = h.db.get(h.blocks, BlockKeys.key(pid, block));
    BlockRecord rec = BlockRecord.decode(v, v.length);
    try (RandomAccessFile f = new RandomAccessFile(store.files().file(pid, rec.slot()).toFile(),
        "rw")) {
      long pos = (long) block * BLOCK_SIZE + offsetInBlock;
      f.seek(pos);
      int b = f.read();
      f.seek(pos);
      f.write(b ^ 0x01);
    }
  }

  static byte[] random(long seed, int length) {
    byte[] b = new byte[length];
    new Random(seed).nextBytes(b);
    return b;
  }

  static byte[] filled(int length, byte value) {
    byte[] b = new byte[length];
    Arrays.fill(b, value);
    return b;
  }

  /** What digest() must return for a replica holding {@code model} from offset 0: non-zero blocks only. */
  static String modelDigest(byte[] model) {
    MessageDigest sha = BlockReader.sha256();
    byte[] block = new byte[BLOCK_SIZE];
    for (int index = 0; index * BLOCK_SIZE < model.length; index++) {
      Arrays.fill(block, (byte) 0);
      System.arraycopy(model, index * BLOCK_SIZE, block, 0, Math.min(BLOCK_SIZE, model.length - index * BLOCK_SIZE));
      if (Arrays.equals(block, new byte[BLOCK_SIZE])) continue;
      byte[] key = BlockKeys.key(1, index);
      sha.update(key, 8, 4);
      sha.update(block);
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  static long nonZeroBlocks(byte[] model) {
    long n = 0;
    for (int from = 0; from < model.length; from += BLOCK_SIZE) {
      int to = Math.min(model.length, from + BLOCK_SIZE);
      if (Arrays.mismatch(model, from, to, new byte[to - from], 0, to - from) >= 0) n++;
    }
    return n;
  }
}
