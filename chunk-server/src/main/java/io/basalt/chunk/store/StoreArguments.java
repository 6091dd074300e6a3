package io.basalt.chunk.store;

import io.basalt.proto.ErrorCode;
import io.basalt.proto.WriteKind;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * Argument checks of {@link RocksReplicaStore}; violations are {@code INVALID_ARGUMENT} with pid context. Range
 * checks never compute {@code offset + length} before knowing it cannot overflow: a wrapped sum would pass and
 * the read below would allocate {@code length} bytes first (2 GiB for an offset near Long.MAX_VALUE).
 */
public final class StoreArguments {
  /** Block indexes are 4-byte keys; capping below Integer.MAX_VALUE keeps index + 1 from overflowing. */
  public static final long MAX_END = (long) Integer.MAX_VALUE * ReplicaStore.BLOCK_SIZE;

  private StoreArguments() {}

  static void checkPid(long pid) {
    if (pid <= 0) throw invalid("pid must be > 0 pid=" + pid);
  }

  static void checkRange(long pid, long offset, int length) {
    checkPid(pid);
    if (offset < 0 || length < 0) throw invalid("negative offset/length pid=" + pid + " offset=" + offset
        + " length=" + length);
    if (offset > MAX_END - length) throw invalid("range beyond max replica size pid=" + pid + " offset=" + offset
        + " length=" + length);
  }

  static void checkApply(long pid, long epoch, long gen, long offset, int length, WriteKind kind, ByteBuf data) {
    checkRange(pid, offset, length);
    if (epoch < 0 || gen < 0) throw invalid("negative epoch/gen pid=" + pid + " epoch=" + epoch + " gen=" + gen);
    if (kind == null) throw invalid("write kind missing pid=" + pid);
    switch (kind) {
      case WRITE -> {
        if (data == null || data.readableBytes() != length) throw invalid("data length mismatch pid=" + pid
            + " length=" + length + " readable=" + (data == null ? "null" : data.readableBytes()));
      }
      case WRITE_ZEROES, TRIM -> {
        if (data != null && data.isReadable()) throw invalid("unexpected data for " + kind + " pid=" + pid);
      }
      default -> throw invalid("unsupported write kind pid=" + pid + " kind=" + kind);
    }
  }

  /** Ranges block-aligned, sorted, disjoint, inside the max replica size, their total = readable data. */
  static void checkChanges(long pid, long epoch, long baseGen, long toGen, List<ByteRange> ranges,
      ByteBuf data) {
    checkPid(pid);
    if (epoch < 0 || baseGen < 0 || toGen < baseGen) throw invalid("bad epoch/gens pid=" + pid + " epoch=" + epoch
        + " baseGen=" + baseGen + " toGen=" + toGen);
    if (ranges == null || data == null) throw invalid("ranges/data missing pid=" + pid);
    long prevEnd = -1;
    long total = 0;
    for (ByteRange r : ranges) {
      if (!r.blockAligned() || r.length() == 0 || r.offset() < prevEnd || r.length() > Integer.MAX_VALUE
          || r.offset() > MAX_END - r.length()) {
        throw invalid("change ranges must be non-empty, block-aligned, sorted and disjoint pid=" + pid
            + " range=[" + r.offset() + "+" + r.length() + "] previousEnd=" + prevEnd);
      }
      prevEnd = r.end();
      total += r.length();
    }
    if (total != data.readableBytes()) throw invalid("change data length mismatch pid=" + pid + " ranges="
        + total + " readable=" + data.readableBytes());
  }

  /**
   * A catch-up page: {@code covered} block-aligned, non-empty, sorted, disjoint, inside the max replica size; every
   * entry of {@code blocks} ascending and inside one of them.
   */
  static void checkCoveredBlocks(long pid, List<ByteRange> covered, long[] blocks) {
    if (covered == null || blocks == null) throw invalid("covered ranges/blocks missing pid=" + pid);
    long prevEnd = -1;
    int next = 0;
    long prevBlock = -1;
    for (ByteRange r : covered) {
      if (!r.blockAligned() || r.length() == 0 || r.offset() < prevEnd || r.offset() > MAX_END - r.length()) {
        throw invalid("covered ranges must be non-empty, block-aligned, sorted and disjoint pid=" + pid
            + " range=[" + r.offset() + "+" + r.length() + "] previousEnd=" + prevEnd);
      }
      prevEnd = r.end();
      long first = r.offset() / ReplicaStore.BLOCK_SIZE;
      long end = r.end() / ReplicaStore.BLOCK_SIZE;
      while (next < blocks.length && blocks[next] < end) {
        if (blocks[next] < first || blocks[next] <= prevBlock) {
          throw invalid("copied block outside the covered ranges or out of order pid=" + pid + " block="
              + blocks[next]);
        }
        prevBlock = blocks[next++];
      }
    }
    if (next != blocks.length) {
      throw invalid("copied block outside the covered ranges pid=" + pid + " block=" + blocks[next]);
    }
  }

  private static BasaltException invalid(String msg) {
    return new BasaltException(ErrorCode.INVALID_ARGUMENT, msg);
  }
}
