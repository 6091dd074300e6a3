package io.basalt.it.check;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The stamp every stresser block carries (TESTPLAN 3.1): a 64-byte header naming what was written where and by
 * whom, then xorshift fill seeded from (run, writer, seq, LBA), and a CRC32C over the whole 4 KiB block. Any block
 * read back is verifiable on its own, without storing written data, and a block landing at the wrong LBA is told
 * apart from garbage.
 *
 * <p>Header layout (big endian): 0 magic, 8 volume id, 16 LBA (4 KiB block index), 24 writer id, 28 reserved (0),
 * 32 writer seq, 40 op id, 48 run id, 56 CRC32C (of the block with these 4 bytes zeroed), 60 reserved (0).
 */
public record BlockStamp(long volumeId, long lba, int writer, long seq, long opId, long runId) {
  public static final int BLOCK = 4096;
  public static final int HEADER = 64;
  static final long MAGIC = 0x4241534C5453544DL; // "BASLTSTM"
  private static final int CRC_AT = 56;

  public BlockStamp {
    if (lba < 0 || writer <= 0 || seq <= 0) {
      throw new IllegalArgumentException("bad stamp lba=" + lba + " writer=" + writer + " seq=" + seq);
    }
  }

  /** What a block read back turned out to be. */
  public enum Kind { ZERO, VALID, MISDIRECTED, GARBAGE }

  /** A decoded block: the stamp for VALID and MISDIRECTED, null otherwise; {@code detail} says why for GARBAGE. */
  public record Result(Kind kind, BlockStamp stamp, String detail) {
    public static final Result ZERO = new Result(Kind.ZERO, null, "zeros");

    static Result garbage(String why) {
      return new Result(Kind.GARBAGE, null, why);
    }

    /** The stamp's seq, 0 for zeros, -1 otherwise. */
    public long seq() {
      return kind == Kind.ZERO ? 0 : kind == Kind.VALID ? stamp.seq() : -1;
    }

    @Override
    public String toString() {
      return switch (kind) {
        case ZERO -> "zeros";
        case VALID -> "seq " + stamp.seq() + " (writer " + stamp.writer() + ", op " + stamp.opId() + ")";
        case MISDIRECTED -> "misdirected stamp of lba " + stamp.lba() + " (writer " + stamp.writer() + ", seq "
            + stamp.seq() + ")";
        case GARBAGE -> "garbage (" + detail + ")";
      };
    }
  }

  /** The 4096 bytes of this stamp's block. */
  public byte[] encode() {
    byte[] b = new byte[BLOCK];
    encodeInto(b, 0);
    return b;
  }

  /** Writes this stamp's block into {@code dst[off, off + 4096)}. */
  public void encodeInto(byte[] dst, int off) {
    ByteBuffer h = ByteBuffer.wrap(dst, off, BLOCK);
    h.putLong(MAGIC).putLong(volumeId).putLong(lba).putInt(writer).putInt(0).putLong(seq).putLong(opId)
        .putLong(runId).putInt(0).putInt(0);
    fill(dst, off, seed(runId, writer, seq, lba));
    ByteBuffer.wrap(dst, off, BLOCK).slice().putInt(CRC_AT, crc(dst, off));
  }

  /** Decodes one block as read back from {@code expectedLba}. */
  public static Result decode(byte[] block, long expectedLba) {
    return decode(block, 0, expectedLba);
  }

  /** Decodes the block at {@code src[off, off + 4096)} as read back from {@code expectedLba}. */
  public static Result decode(byte[] src, int off, long expectedLba) {
    if (isZero(src, off)) {
      return Result.ZERO;
    }
    ByteBuffer h = ByteBuffer.wrap(src, off, BLOCK).slice();
    if (h.getLong(0) != MAGIC) {
      return Result.garbage(String.format("bad magic %016x", h.getLong(0)));
    }
    int stored = h.getInt(CRC_AT);
    int actual = crc(src, off);
    if (stored != actual) {
      return Result.garbage(String.format("bad crc32c stored=%08x actual=%08x", stored, actual));
    }
    long lba = h.getLong(16);
    int writer = h.getInt(24);
    long seq = h.getLong(32);
    if (lba < 0 || writer <= 0 || seq <= 0 || h.getInt(28) != 0 || h.getInt(60) != 0) {
      return Result.garbage("bad header fields lba=" + lba + " writer=" + writer + " seq=" + seq);
    }
    BlockStamp s = new BlockStamp(h.getLong(8), lba, writer, seq, h.getLong(40), h.getLong(48));
    int bad = firstBadFill(src, off, seed(s.runId, writer, seq, lba));
    if (bad >= 0) {
      return Result.garbage("valid header and crc but fill differs at byte " + bad + " (divergent content) of "
          + s);
    }
    return new Result(lba == expectedLba ? Kind.VALID : Kind.MISDIRECTED, s, lba == expectedLba ? "" : "misdirected");
  }

  static boolean isZero(byte[] src, int off) {
    ByteBuffer b = ByteBuffer.wrap(src, off, BLOCK).slice();
    for (int i = 0; i < BLOCK; i += 8) {
      if (b.getLong(i) != 0) {
        return false;
      }
    }
    return true;
  }

  private static int crc(byte[] src, int off) {
    CRC32C c = new CRC32C();
    c.update(src, off, CRC_AT);
    c.update(new byte[4]);
    c.update(src, off + CRC_AT + 4, BLOCK - CRC_AT - 4);
    return (int) c.getValue();
  }

  private static long seed(long run, int writer, long seq, long lba) {
    long x = mix(run ^ 0x9E3779B97F4A7C15L);
    x = mix(x ^ writer);
    x = mix(x ^ seq);
    x = mix(x ^ lba);
    return x == 0 ? 0x2545F4914F6CDD1DL : x;
  }

  /** SplitMix64's finaliser: spreads similar inputs over the seed space. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static void fill(byte[] dst, int off, long x) {
    ByteBuffer b = ByteBuffer.wrap(dst, off, BLOCK).slice();
    for (int i = HEADER; i < BLOCK; i += 8) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      b.putLong(i, x);
    }
  }

  private static int firstBadFill(byte[] src, int off, long x) {
    ByteBuffer b = ByteBuffer.wrap(src, off, BLOCK).slice();
    for (int i = HEADER; i < BLOCK; i += 8) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      if (b.getLong(i) != x) {
        return i;
      }
    }
    return -1;
  }
}
