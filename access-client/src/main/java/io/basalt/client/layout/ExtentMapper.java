package io.basalt.client.layout;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a byte range of a volume at extent boundaries (DESIGN.md "Write path", step 1). Pure and immutable: no
 * I/O, safe from any thread.
 *
 * <p>Extent sizes are powers of two up to 1 GiB, so every piece fits an {@code int} and the {@code uint32} length
 * of a chunk request.
 */
public final class ExtentMapper {
  /** Largest supported extent size; pieces must fit an int. */
  public static final long MAX_EXTENT_SIZE = 1L << 30;

  private final long extentSize;
  private final int shift;

  public ExtentMapper(long extentSize) {
    if (extentSize <= 0 || Long.bitCount(extentSize) != 1 || extentSize > MAX_EXTENT_SIZE) {
      throw new IllegalArgumentException("extent size must be a power of two in [1, 1 GiB]: " + extentSize);
    }
    this.extentSize = extentSize;
    this.shift = Long.numberOfTrailingZeros(extentSize);
  }

  public long extentSize() {
    return extentSize;
  }

  /** The index of the extent holding byte {@code offset}. */
  public int indexOf(long offset) {
    if (offset < 0) {
      throw new IllegalArgumentException("negative offset " + offset);
    }
    return Math.toIntExact(offset >>> shift);
  }

  /** Extents needed to cover {@code volumeSize} bytes (the last one may be partly outside the volume). */
  public int extentCount(long volumeSize) {
    if (volumeSize < 0) {
      throw new IllegalArgumentException("negative size " + volumeSize);
    }
    return Math.toIntExact((volumeSize + extentSize - 1) >>> shift);
  }

  /**
   * The pieces of {@code [offset, offset + length)} in ascending order, one per extent touched; empty when
   * {@code length} is 0.
   */
  public List<ExtentPart> split(long offset, long length) {
    if (offset < 0 || length < 0 || offset > Long.MAX_VALUE - length) {
      throw new IllegalArgumentException("bad range offset=" + offset + " length=" + length);
    }
    if (length == 0) {
      return List.of();
    }
    long end = offset + length;
    List<ExtentPart> parts = new ArrayList<>(Math.toIntExact(((end - 1) >>> shift) - (offset >>> shift) + 1));
    long pos = offset;
    while (pos < end) {
      long inExtent = pos & (extentSize - 1);
      long n = Math.min(extentSize - inExtent, end - pos);
      parts.add(new ExtentPart(indexOf(pos), inExtent, (int) n, pos - offset));
      pos += n;
    }
    return parts;
  }
}
