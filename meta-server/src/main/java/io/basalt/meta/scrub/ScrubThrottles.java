package io.basalt.meta.scrub;

import io.basalt.meta.state.ThrottleRule;
import io.basalt.proto.ScrubThrottle;
import io.basalt.rpc.BasaltException;

/**
 * The scrub throttle's rules: deep scrub reads at most 50 MiB/s per chunk and a chunk takes part in one scrub at a
 * time by default, at most 16 ({@link ThrottleRule}). Pure; any thread.
 */
public final class ScrubThrottles {
  public static final long MIB = ThrottleRule.MIB;
  public static final long MIN_BYTES_PER_SEC = ThrottleRule.MIN_BYTES_PER_SEC;
  public static final int MAX_PER_CHUNK = 16;
  public static final ScrubThrottle DEFAULT =
      ScrubThrottle.newBuilder().setBytesPerSec(50 * MIB).setPerChunk(1).build();
  private static final ThrottleRule RULE = new ThrottleRule(DEFAULT.getBytesPerSec(), DEFAULT.getPerChunk(),
      MAX_PER_CHUNK);

  private ScrubThrottles() {}

  /** The stored throttle with defaults for fields never set (an absent znode, or a zero). */
  public static ScrubThrottle effective(ScrubThrottle stored) {
    if (stored == null) {
      return DEFAULT;
    }
    return of(RULE.effective(stored.getBytesPerSec(), stored.getPerChunk()), stored);
  }

  /**
   * {@code current} changed by an operator request: a zero field keeps its value.
   *
   * @throws BasaltException INVALID_ARGUMENT for a rate below 1 MiB/s or a per-chunk limit outside 1..16
   */
  public static ScrubThrottle merge(ScrubThrottle current, long bytesPerSec, int perChunk) {
    return of(RULE.merge(new ThrottleRule.Values(current.getBytesPerSec(), current.getPerChunk()), bytesPerSec,
        perChunk), current);
  }

  private static ScrubThrottle of(ThrottleRule.Values v, ScrubThrottle base) {
    return base.toBuilder().setBytesPerSec(v.bytesPerSec()).setPerChunk(v.perChunk()).build();
  }
}
