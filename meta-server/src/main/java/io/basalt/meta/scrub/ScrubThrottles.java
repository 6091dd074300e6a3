package io.basalt.meta.scrub;

import io.basalt.proto.ErrorCode;
import io.basalt.proto.ScrubThrottle;
import io.basalt.rpc.BasaltException;

/**
 * The scrub throttle's rules: deep scrub reads at most 50 MiB/s per chunk and a chunk takes part in one scrub at a
 * time by default; an operator change keeps a zero field's current value, and is validated here. Pure; any thread.
 */
public final class ScrubThrottles {
  public static final long MIB = 1L << 20;
  public static final long MIN_BYTES_PER_SEC = MIB;
  public static final int MAX_PER_CHUNK = 16;
  public static final ScrubThrottle DEFAULT =
      ScrubThrottle.newBuilder().setBytesPerSec(50 * MIB).setPerChunk(1).build();

  private ScrubThrottles() {}

  /** The stored throttle with defaults for fields never set (an absent znode, or a zero). */
  public static ScrubThrottle effective(ScrubThrottle stored) {
    if (stored == null) {
      return DEFAULT;
    }
    ScrubThrottle.Builder b = stored.toBuilder();
    if (b.getBytesPerSec() == 0) {
      b.setBytesPerSec(DEFAULT.getBytesPerSec());
    }
    if (b.getPerChunk() == 0) {
      b.setPerChunk(DEFAULT.getPerChunk());
    }
    return b.build();
  }

  /**
   * {@code current} changed by an operator request: a zero field keeps its value.
   *
   * @throws BasaltException INVALID_ARGUMENT for a rate below 1 MiB/s or a per-chunk limit outside 1..16
   */
  public static ScrubThrottle merge(ScrubThrottle current, long bytesPerSec, int perChunk) {
    if (bytesPerSec != 0 && bytesPerSec < MIN_BYTES_PER_SEC) {
      throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "bytes_per_sec=" + Long.toUnsignedString(bytesPerSec)
          + " is below the minimum of " + MIN_BYTES_PER_SEC + " (1 MiB/s); 0 keeps the current value");
    }
    if (perChunk != 0 && (perChunk < 1 || perChunk > MAX_PER_CHUNK)) {
      throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "per_chunk=" + Integer.toUnsignedString(perChunk)
          + " is out of range 1.." + MAX_PER_CHUNK + "; 0 keeps the current value");
    }
    ScrubThrottle.Builder b = current.toBuilder();
    if (bytesPerSec != 0) {
      b.setBytesPerSec(bytesPerSec);
    }
    if (perChunk != 0) {
      b.setPerChunk(perChunk);
    }
    return b.build();
  }
}
