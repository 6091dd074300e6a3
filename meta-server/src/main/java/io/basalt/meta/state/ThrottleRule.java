package io.basalt.meta.state;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;

/**
 * The rules of a per-chunk throttle kept in ZooKeeper (recovery's, scrub's): a rate in bytes/s and how many tasks a
 * chunk takes part in at once. A field never set (an absent znode, or a zero) takes the default; an operator change
 * keeps a zero field's current value and is validated: a rate of at least 1 MiB/s, a count within 1..max. Immutable;
 * any thread. Each component keeps its own proto message and converts at its edge.
 */
public record ThrottleRule(long defaultBytesPerSec, int defaultPerChunk, int maxPerChunk) {
  public static final long MIB = 1L << 20;
  public static final long MIN_BYTES_PER_SEC = MIB;

  /** A throttle's two values. */
  public record Values(long bytesPerSec, int perChunk) {}

  /** The stored values with defaults for the fields never set. */
  public Values effective(long bytesPerSec, int perChunk) {
    return new Values(bytesPerSec == 0 ? defaultBytesPerSec : bytesPerSec, perChunk == 0 ? defaultPerChunk : perChunk);
  }

  /**
   * {@code current} changed by an operator request: a zero field keeps its value.
   *
   * @throws BasaltException INVALID_ARGUMENT for a rate below 1 MiB/s or a per-chunk limit outside 1..max
   */
  public Values merge(Values current, long bytesPerSec, int perChunk) {
    if (bytesPerSec != 0 && bytesPerSec < MIN_BYTES_PER_SEC) {
      throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "bytes_per_sec=" + Long.toUnsignedString(bytesPerSec)
          + " is below the minimum of " + MIN_BYTES_PER_SEC + " (1 MiB/s); 0 keeps the current value");
    }
    if (perChunk != 0 && (perChunk < 1 || perChunk > maxPerChunk)) {
      throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "per_chunk=" + Integer.toUnsignedString(perChunk)
          + " is out of range 1.." + maxPerChunk + "; 0 keeps the current value");
    }
    return new Values(bytesPerSec != 0 ? bytesPerSec : current.bytesPerSec(),
        perChunk != 0 ? perChunk : current.perChunk());
  }
}
