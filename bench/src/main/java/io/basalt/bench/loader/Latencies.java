package io.basalt.bench.loader;

import java.util.Arrays;

/**
 * Every completion latency of a run, kept exactly (a run of tens of thousands of writes fits in a few hundred KiB),
 * so percentiles are not an estimate. Completions arrive on client threads: one lock, held for an array store.
 */
final class Latencies {
  private long[] nanos = new long[1 << 16];
  private int count;

  synchronized void add(long latencyNanos) {
    if (count == nanos.length) {
      nanos = Arrays.copyOf(nanos, nanos.length * 2);
    }
    nanos[count++] = latencyNanos;
  }

  /** The sorted latencies recorded so far (a copy). */
  synchronized long[] sorted() {
    long[] copy = Arrays.copyOf(nanos, count);
    Arrays.sort(copy);
    return copy;
  }

  /** The value at {@code percentile} (0-100] of sorted values, nearest rank; 0 when empty. */
  static long percentile(long[] sorted, double percentile) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(percentile / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
  }
}
