package io.basalt.common;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link MonotonicClock} that moves only when a test says so: lease expiry, deadlines and pauses are tested by
 * advancing it, never by sleeping. Thread-safe (tests advance it while server threads read it).
 */
public final class ManualClock implements MonotonicClock {
  private final AtomicLong nanos;

  /** Starts at an arbitrary non-zero origin, so code that treats 0 as "never" is not fooled. */
  public ManualClock() {
    this(1_000_000_000L);
  }

  public ManualClock(long startNanos) {
    this.nanos = new AtomicLong(startNanos);
  }

  @Override
  public long nanoTime() {
    return nanos.get();
  }

  /** Moves the clock forward by {@code d} (a negative duration is refused: the clock is monotonic). */
  public long advance(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("a monotonic clock does not go back: " + d);
    }
    return nanos.addAndGet(d.toNanos());
  }

  public long advanceMillis(long ms) {
    return advance(Duration.ofMillis(ms));
  }
}
