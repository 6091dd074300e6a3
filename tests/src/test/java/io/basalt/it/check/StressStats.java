package io.basalt.it.check;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of a running stresser, updated from every worker thread (thread-safe): outcomes, the pause of the QD1
 * writer, and write latencies in a log-linear histogram (about 3 % resolution, fixed memory).
 */
final class StressStats {
  private static final int SUB = 32; // buckets per power of two
  private static final int BUCKETS = 64 * SUB;

  final LongAdder writesAcked = new LongAdder();
  final LongAdder writesFailed = new LongAdder();
  final LongAdder writesTimedOut = new LongAdder();
  final LongAdder readsChecked = new LongAdder();
  final LongAdder blocksChecked = new LongAdder();
  final LongAdder readsFailed = new LongAdder();
  final LongAdder flushesOk = new LongAdder();
  final LongAdder flushesFailed = new LongAdder();
  final AtomicLong writesIssued = new AtomicLong();
  final AtomicReference<BlockModel.Violation> firstViolation = new AtomicReference<>();
  private final long[] latency = new long[BUCKETS];
  private long latencyCount;
  private long maxLatencyNanos;
  private final long startNanos;
  private long lastSequentialAck;
  private long maxPauseNanos;

  StressStats(long startNanos) {
    this.startNanos = startNanos;
    this.lastSequentialAck = startNanos;
  }

  void write(OpHistory.Outcome o, long nanos) {
    switch (o) {
      case OK -> writesAcked.increment();
      case ERR -> writesFailed.increment();
      case TIMEOUT -> writesTimedOut.increment();
      default -> throw new IllegalStateException(o.toString());
    }
    synchronized (latency) {
      latency[bucket(Math.max(1, nanos))]++;
      latencyCount++;
      maxLatencyNanos = Math.max(maxLatencyNanos, nanos);
    }
  }

  /**
   * Forgets the longest pause so far: from now on it is measured over the gaps that end after this call (the gap in
   * progress counts whole), so a fault's pause is not confused with a warm-up stall before it.
   */
  synchronized void restartPauseWindow() {
    maxPauseNanos = 0;
  }

  /** The QD1 writer's ack at {@code now}: the gap since its previous ack (or the start) may be the pause. */
  synchronized void sequentialAck(long now) {
    maxPauseNanos = Math.max(maxPauseNanos, now - lastSequentialAck);
    lastSequentialAck = now;
  }

  StressResult result(long endNanos) {
    long pause;
    synchronized (this) {
      pause = maxPauseNanos;
    }
    long p99;
    long p999;
    long max;
    synchronized (latency) {
      p99 = percentile(0.99);
      p999 = percentile(0.999);
      max = maxLatencyNanos;
    }
    return new StressResult(writesAcked.sum(), writesFailed.sum(), writesTimedOut.sum(), readsChecked.sum(),
        blocksChecked.sum(), readsFailed.sum(), flushesOk.sum(), flushesFailed.sum(), Duration.ofNanos(pause),
        Duration.ofNanos(p99), Duration.ofNanos(p999), Duration.ofNanos(max), Duration.ofNanos(endNanos - startNanos),
        firstViolation.get());
  }

  /** Upper bound of the bucket holding the q-quantile (guarded by latency). */
  private long percentile(double q) {
    long rank = (long) Math.ceil(q * latencyCount);
    long seen = 0;
    for (int b = 0; b < BUCKETS; b++) {
      seen += latency[b];
      if (seen >= rank && latencyCount > 0) {
        return Math.min(upper(b), maxLatencyNanos);
      }
    }
    return 0;
  }

  static int bucket(long v) {
    int exp = 63 - Long.numberOfLeadingZeros(v);
    if (exp < 5) {
      return (int) v;
    }
    int sub = (int) ((v >>> (exp - 5)) & (SUB - 1));
    return exp * SUB + sub;
  }

  static long upper(int b) {
    int exp = b / SUB;
    int sub = b % SUB;
    if (exp < 5) {
      return b;
    }
    return ((long) (SUB + sub + 1) << (exp - 5)) - 1;
  }

  @Override
  public String toString() {
    return "StressStats" + Arrays.asList(writesAcked, writesFailed, writesTimedOut, readsChecked);
  }
}
