package io.basalt.client.layout;

/**
 * One piece of a volume I/O that falls inside a single extent.
 *
 * @param index extent index within the volume
 * @param offsetInExtent byte offset of the piece inside that extent
 * @param length bytes in the piece (never more than the extent size)
 * @param offsetInRequest byte offset of the piece inside the caller's request (its data buffer for a write)
 */
public record ExtentPart(int index, long offsetInExtent, int length, long offsetInRequest) {
  public ExtentPart {
    if (index < 0 || offsetInExtent < 0 || length <= 0 || offsetInRequest < 0) {
      throw new IllegalArgumentException("bad extent part index=" + index + " offsetInExtent=" + offsetInExtent
          + " length=" + length + " offsetInRequest=" + offsetInRequest);
    }
  }
}
