package io.basalt.meta.scrub;

import java.time.Duration;

/**
 * Scrub timing (DESIGN.md "Consistency check"). Immutable.
 *
 * @param lightPeriod every extent gets a light scrub (digests only) this long after its last scrub
 * @param deepPeriod every extent gets a deep scrub (every block read, every CRC checked) this long after its last
 *     deep scrub
 * @param tick how often the pass looks for due extents; zero = never on its own (tests run passes)
 * @param callTimeout deadline of a light ScrubExtent and of a QuarantineReplica; a deep one adds the extent's size
 *     at the throttle's rate
 * @param retryAfter an extent that could not be compared (no owner, a member behind or past the gen, an error)
 *     is tried again after this
 * @param rangeBytes the size of the ranges members hash separately (locates a mismatch)
 */
public record ScrubConfig(Duration lightPeriod, Duration deepPeriod, Duration tick, Duration callTimeout,
    Duration retryAfter, long rangeBytes) {
  public static final Duration DEFAULT_LIGHT_PERIOD = Duration.ofHours(24);
  public static final Duration DEFAULT_DEEP_PERIOD = Duration.ofDays(7);
  public static final Duration DEFAULT_TICK = Duration.ofSeconds(1);
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(30);
  public static final long DEFAULT_RANGE_BYTES = 1L << 20;
  /** Longest deadline of any one call, however slow the throttle. */
  public static final Duration MAX_CALL_TIMEOUT = Duration.ofMinutes(30);

  public ScrubConfig {
    positive(lightPeriod, "scrub light period");
    positive(deepPeriod, "scrub deep period");
    if (tick == null || tick.isNegative()) {
      throw new IllegalArgumentException("scrub tick must be >= 0, got " + tick);
    }
    positive(callTimeout, "scrub call timeout");
    positive(retryAfter, "scrub retry delay");
    if (rangeBytes <= 0 || rangeBytes % 4096 != 0) {
      throw new IllegalArgumentException("scrub range must be a positive multiple of 4096, got " + rangeBytes);
    }
  }

  public static ScrubConfig defaults() {
    return new ScrubConfig(DEFAULT_LIGHT_PERIOD, DEFAULT_DEEP_PERIOD, DEFAULT_TICK, DEFAULT_CALL_TIMEOUT,
        DEFAULT_RETRY_AFTER, DEFAULT_RANGE_BYTES);
  }

  public ScrubConfig withPeriods(Duration light, Duration deep) {
    return new ScrubConfig(light, deep, tick, callTimeout, retryAfter, rangeBytes);
  }

  public ScrubConfig withTick(Duration every) {
    return new ScrubConfig(lightPeriod, deepPeriod, every, callTimeout, retryAfter, rangeBytes);
  }

  public ScrubConfig withCallTimeout(Duration timeout) {
    return new ScrubConfig(lightPeriod, deepPeriod, tick, timeout, retryAfter, rangeBytes);
  }

  public ScrubConfig withRetryAfter(Duration after) {
    return new ScrubConfig(lightPeriod, deepPeriod, tick, callTimeout, after, rangeBytes);
  }

  private static void positive(Duration d, String what) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be > 0, got " + d);
    }
  }
}
