package io.basalt.it.check;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The pace of the contended range (TESTPLAN 3.1 c, 3.3). Its blocks are checked by search, which takes at most
 * {@link RegisterHistory#MAX_OPS} ops per block, and a flat-out stresser would spend that in its first second, before
 * any fault is injected. So the run spreads it over its configured duration: 45 % of the busiest block's budget for
 * writes and 45 % for reads, the rest as slack. The contended writers all fire on one shared schedule, so their
 * writes overlap in time (the point of the range); a reader takes a contended read when one is due, else a normal
 * one. {@link #room} is the hard stop behind the pace, for runs that outlast their duration or bursts after a stall:
 * an op is only sent while every block it touches has room for it and for every other worker's op in flight.
 * Thread-safe.
 */
final class ContendedBudget {
  private static final double SHARE = 0.45;

  private final BlockModel model;
  private final long startNanos;
  private final long writeIntervalNanos;
  private final long readIntervalNanos;
  private final int margin;
  private final AtomicLong nextRead;

  ContendedBudget(StressConfig c, StressLayout layout, BlockModel model, long startNanos) {
    this.model = model;
    this.startNanos = startNanos;
    double hottest = hottestBlockShare(layout.contendedBlocks());
    double opsEach = SHARE * RegisterHistory.MAX_OPS / hottest; // contended writes (or reads) in the whole run
    long duration = Math.max(1, c.duration().toNanos());
    this.writeIntervalNanos = Math.max(1, (long) (duration * (double) layout.contendedWriters() / opsEach));
    this.readIntervalNanos = Math.max(1, (long) (duration / opsEach));
    this.margin = layout.contendedWriters() + c.readers() + 2;
    this.nextRead = new AtomicLong(startNanos);
  }

  /**
   * The largest share of contended ops (writes and reads have one shape: 1..min(4, blocks) blocks, anywhere in the
   * range) that touch any one block; the middle blocks are touched most.
   */
  static double hottestBlockShare(int blocks) {
    int most = Math.min(4, blocks);
    double[] touched = new double[blocks];
    for (int n = 1; n <= most; n++) {
      int starts = blocks - n + 1;
      for (int s = 0; s < starts; s++) {
        for (int b = s; b < s + n; b++) {
          touched[b] += 1.0 / most / starts;
        }
      }
    }
    double max = 0;
    for (double t : touched) {
      max = Math.max(max, t);
    }
    return max;
  }

  /** When the contended writers' shared schedule starts. */
  long startNanos() {
    return startNanos;
  }

  /** Time between two writes of one contended writer. */
  long writeIntervalNanos() {
    return writeIntervalNanos;
  }

  /** Time between two contended reads, over all readers. */
  long readIntervalNanos() {
    return readIntervalNanos;
  }

  /** Claims the next contended read if it is due (at most one is owed after a stall); false: read elsewhere. */
  boolean readDue() {
    long now = System.nanoTime();
    long due = nextRead.get();
    if (now - due < 0) {
      return false;
    }
    return nextRead.compareAndSet(due, Math.max(due, now - readIntervalNanos) + readIntervalNanos);
  }

  /** True when an op on {@code [lba, lba + n)} keeps every contended block it touches checkable. */
  boolean room(long lba, int n) {
    return model.contendedRoom(lba, n) > margin;
  }
}
