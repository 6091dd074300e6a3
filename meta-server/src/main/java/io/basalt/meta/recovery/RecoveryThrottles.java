package io.basalt.meta.recovery;

import io.basalt.proto.ErrorCode;
import io.basalt.proto.RecoveryThrottle;
import io.basalt.rpc.BasaltException;

/**
 * The recovery throttle's rules (DESIGN.md "Defaults"): 200 MiB/s per target chunk and 4 recoveries per chunk by
 * default; an operator change keeps a zero field's current value, and is validated here. Pure; any thread.
 */
public final class RecoveryThrottles {
  public static final long MIB = 1L << 20;
  public static final long MIN_BYTES_PER_SEC = MIB;
  public static final int MAX_PER_CHUNK = 64;
  public static final RecoveryThrottle DEFAULT =
      RecoveryThrottle.newBuilder().setBytesPerSec(200 * MIB).setPerChunk(4).build();

  private RecoveryThrottles() {}

  /** The stored throttle with defaults for fields never set (an absent znode, or a zero). */
  public static RecoveryThrottle effective(RecoveryThrottle stored) {
    if (stored == null) {
      return DEFAULT;
    }
    RecoveryThrottle.Builder b = stored.toBuilder();
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
   * @throws BasaltException INVALID_ARGUMENT for a rate below 1 MiB/s or a per-chunk limit outside 1..64
   */
  public static RecoveryThrottle merge(RecoveryThrottle current, long bytesPerSec, int perChunk) {
    if (bytesPerSec != 0 && bytesPerSec < MIN_BYTES_PER_SEC) {
      throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "bytes_per_sec=" + Long.toUnsignedString(bytesPerSec)
          + " is below the minimum of " + MIN_BYTES_PER_SEC + " (1 MiB/s); 0 keeps the current value");
    }
    if (perChunk != 0 && (perChunk < 1 || perChunk > MAX_PER_CHUNK)) {
      throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "per_chunk=" + Integer.toUnsignedString(perChunk)
          + " is out of range 1.." + MAX_PER_CHUNK + "; 0 keeps the current value");
    }
    RecoveryThrottle.Builder b = current.toBuilder();
    if (bytesPerSec != 0) {
      b.setBytesPerSec(bytesPerSec);
    }
    if (perChunk != 0) {
      b.setPerChunk(perChunk);
    }
    return b.build();
  }
}
