package io.basalt.it.check;

import java.time.Duration;

/**
 * What a {@link Stresser} run did (TESTPLAN 3.6 figures): write outcomes (failed and timed-out writes are both in
 * doubt), reads checked, flushes, the QD1 writer's longest completion-to-completion gap (the I/O pause, I5) and the
 * write latency percentiles of all writers, and the first violation found online, if any.
 */
public record StressResult(long writesAcked, long writesFailed, long writesTimedOut, long readsChecked,
    long blocksChecked, long readsFailed, long flushesOk, long flushesFailed, Duration maxPause, Duration p99,
    Duration p999, Duration maxLatency, Duration elapsed, BlockModel.Violation firstViolation) {

  /** Writes that may or may not have taken effect: errors and timeouts. */
  public long writesInDoubt() {
    return writesFailed + writesTimedOut;
  }

  public boolean ok() {
    return firstViolation == null;
  }

  /** Fails with the first violation found online, if any. */
  public StressResult assertNoViolation() {
    if (firstViolation != null) {
      throw new AssertionError("stresser found a violation online: " + firstViolation + " (" + this.summary() + ")");
    }
    return this;
  }

  public String summary() {
    return String.format("%d writes acked, %d in doubt (%d failed, %d timed out), %d reads (%d blocks) checked, "
        + "%d reads failed, %d flushes (%d failed), max pause %d ms, write p99 %.1f ms p99.9 %.1f ms max %d ms "
        + "in %.1f s%s", writesAcked, writesInDoubt(), writesFailed, writesTimedOut, readsChecked, blocksChecked,
        readsFailed, flushesOk + flushesFailed, flushesFailed, maxPause.toMillis(), p99.toNanos() / 1e6,
        p999.toNanos() / 1e6, maxLatency.toMillis(), elapsed.toMillis() / 1e3,
        firstViolation == null ? "" : "; VIOLATION " + firstViolation);
  }

  @Override
  public String toString() {
    return summary();
  }
}
