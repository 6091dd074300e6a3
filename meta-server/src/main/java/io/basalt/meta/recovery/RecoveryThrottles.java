package io.basalt.meta.recovery;

import io.basalt.meta.state.ThrottleRule;
import io.basalt.proto.RecoveryThrottle;
import io.basalt.rpc.BasaltException;

/**
 * The recovery throttle's rules (DESIGN.md "Defaults"): 200 MiB/s per target chunk and 4 recoveries per chunk by
 * default, at most 64 ({@link ThrottleRule}). Pure; any thread.
 */
public final class RecoveryThrottles {
  public static final long MIB = ThrottleRule.MIB;
  public static final long MIN_BYTES_PER_SEC = ThrottleRule.MIN_BYTES_PER_SEC;
  public static final int MAX_PER_CHUNK = 64;
  public static final RecoveryThrottle DEFAULT =
      RecoveryThrottle.newBuilder().setBytesPerSec(200 * MIB).setPerChunk(4).build();
  private static final ThrottleRule RULE = new ThrottleRule(DEFAULT.getBytesPerSec(), DEFAULT.getPerChunk(),
      MAX_PER_CHUNK);

  private RecoveryThrottles() {}

  /** The stored throttle with defaults for fields never set (an absent znode, or a zero). */
  public static RecoveryThrottle effective(RecoveryThrottle stored) {
    if (stored == null) {
      return DEFAULT;
    }
    return of(RULE.effective(stored.getBytesPerSec(), stored.getPerChunk()), stored);
  }

  /**
   * {@code current} changed by an operator request: a zero field keeps its value.
   *
   * @throws BasaltException INVALID_ARGUMENT for a rate below 1 MiB/s or a per-chunk limit outside 1..64
   */
  public static RecoveryThrottle merge(RecoveryThrottle current, long bytesPerSec, int perChunk) {
    return of(RULE.merge(new ThrottleRule.Values(current.getBytesPerSec(), current.getPerChunk()), bytesPerSec,
        perChunk), current);
  }

  private static RecoveryThrottle of(ThrottleRule.Values v, RecoveryThrottle base) {
    return base.toBuilder().setBytesPerSec(v.bytesPerSec()).setPerChunk(v.perChunk()).build();
  }
}
