package io.basalt.chunk.store;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * A byte range {@code [offset, offset + length)} of one extent replica: what a write touched (gen log) and what a
 * member catch-up copies. Immutable; the static helpers return new sorted lists and never modify their input.
 */
public record ByteRange(long offset, long length) {
  /** Most ranges a catch-up message lists outside a data page (partial ranges, includes): keeps headers small. */
  public static final int MAX_UNPAGED = 1024;
  private static final Comparator<ByteRange> BY_OFFSET = Comparator.comparingLong(ByteRange::offset);

  public ByteRange {
    if (offset < 0 || length < 0 || offset + length < offset) {
      throw new IllegalArgumentException("bad byte range offset=" + offset + " length=" + length);
    }
  }

  public long end() {
    return offset + length;
  }

  /** True when both ends fall on a {@link ReplicaStore#BLOCK_SIZE} boundary. */
  public boolean blockAligned() {
    return offset % ReplicaStore.BLOCK_SIZE == 0 && length % ReplicaStore.BLOCK_SIZE == 0;
  }

  /** The smallest block-aligned range covering this one. */
  public ByteRange aligned() {
    long b = ReplicaStore.BLOCK_SIZE;
    long start = offset / b * b;
    long stop = (end() + b - 1) / b * b;
    return new ByteRange(start, stop - start);
  }

  /** Sorted, with overlapping or touching ranges merged and empty ones dropped. */
  public static List<ByteRange> merge(Collection<ByteRange> ranges) {
    List<ByteRange> sorted = new ArrayList<>(ranges);
    sorted.sort(BY_OFFSET);
    List<ByteRange> out = new ArrayList<>();
    long start = -1;
    long stop = -1;
    for (ByteRange r : sorted) {
      if (r.length == 0) continue;
      if (start >= 0 && r.offset <= stop) {
        stop = Math.max(stop, r.end());
      } else {
        if (start >= 0) out.add(new ByteRange(start, stop - start));
        start = r.offset;
        stop = r.end();
      }
    }
    if (start >= 0) out.add(new ByteRange(start, stop - start));
    return out;
  }

  /** Block-aligned, sorted and merged: the blocks {@code ranges} touch. */
  public static List<ByteRange> alignAndMerge(Collection<ByteRange> ranges) {
    List<ByteRange> aligned = new ArrayList<>(ranges.size());
    for (ByteRange r : ranges) {
      if (r.length > 0) aligned.add(r.aligned());
    }
    return merge(aligned);
  }

  /**
   * At most {@code max} ranges covering at least {@code merged} (sorted, merged): when there are more, the one
   * range from the first start to the last end. Copying more than changed is harmless; a header too big is not.
   */
  public static List<ByteRange> coarsen(List<ByteRange> merged, int max) {
    if (merged.size() <= max) return merged;
    long start = merged.get(0).offset;
    long stop = merged.get(merged.size() - 1).end();
    return List.of(new ByteRange(start, stop - start));
  }

  public io.basalt.proto.ByteRange toProto() {
    return io.basalt.proto.ByteRange.newBuilder().setOffset(offset).setLength(length).build();
  }

  /**
   * Wire ranges -> ranges, each non-empty and block-aligned (order is checked where it matters); at most
   * {@code max} of them. Violations are INVALID_ARGUMENT naming {@code what} and pid.
   */
  public static List<ByteRange> fromProto(String what, long pid, List<io.basalt.proto.ByteRange> in, int max) {
    if (in.size() > max) throw invalid(what + ": " + in.size() + " ranges, at most " + max + " pid=" + pid);
    List<ByteRange> out = new ArrayList<>(in.size());
    for (io.basalt.proto.ByteRange p : in) {
      long offset = p.getOffset();
      long length = p.getLength();
      if (offset < 0 || length <= 0 || offset + length < offset
          || offset % ReplicaStore.BLOCK_SIZE != 0 || length % ReplicaStore.BLOCK_SIZE != 0) {
        throw invalid(what + ": ranges must be non-empty and block-aligned pid=" + pid + " offset="
            + Long.toUnsignedString(offset) + " length=" + Long.toUnsignedString(length));
      }
      out.add(new ByteRange(offset, length));
    }
    return out;
  }

  private static BasaltException invalid(String msg) {
    return new BasaltException(ErrorCode.INVALID_ARGUMENT, msg);
  }

  /** Sum of the lengths. */
  public static long totalLength(Collection<ByteRange> ranges) {
    long n = 0;
    for (ByteRange r : ranges) n += r.length;
    return n;
  }
}
