package io.basalt.tester;

import io.basalt.it.cluster.ProcessCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * What a case plans with: the cluster, a random source seeded for this case, the log, its work directory, and the
 * extent the QD1 writer writes (owner cases hit its owner, so that the QD1 pause figure is the failover's).
 */
record CaseContext(TesterCluster tester, Random random, TesterLog log, Path dir, int qd1Extent) {
  ProcessCluster cluster() {
    return tester.cluster;
  }

  /** A random extent of the stress volume, once it has an owner. */
  io.basalt.proto.ExtentInfo randomExtent() {
    return tester.ownedExtent(tester.randomExtent(random), Duration.ofSeconds(30));
  }

  Duration sessionTimeout() {
    return tester.options.sessionTimeout();
  }

  /**
   * Keeps a fault in place for its planned length (a SIGSTOP below the session timeout, a slow channel): the length
   * is the fault itself, not a wait for something to happen.
   */
  static void hold(Duration length) {
    long until = System.nanoTime() + length.toNanos();
    long left;
    while ((left = until - System.nanoTime()) > 0) {
      LockSupport.parkNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
    }
  }

  /**
   * Polls {@code condition} every 50 ms for at most {@code atMost}; returns how long it took, or -1 when it did not
   * hold in time (the caller logs that: a reaction not seen is a figure, the check after the case is the verdict).
   */
  static long within(Duration atMost, BooleanSupplier condition) {
    long start = System.nanoTime();
    long end = start + atMost.toNanos();
    while (true) {
      try {
        if (condition.getAsBoolean()) {
          return (System.nanoTime() - start) / 1_000_000;
        }
      } catch (RuntimeException e) {
        // the cluster may not answer mid-fault (a meta leader dying): poll again
      }
      if (System.nanoTime() - end >= 0) {
        return -1;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
  }

  /**
   * "{@code what} after N ms" for a settle line, when {@link #within} saw the cluster react; when it did not, the
   * fault did not take effect or the cluster did not react to it (TESTPLAN 2: a case whose fault shows no effect fails
   * as vacuous), and the case fails.
   */
  static String took(String what, long ms, Duration atMost) {
    if (ms < 0) {
      throw new IllegalStateException("no reaction to the fault: " + what + " was not seen within "
          + atMost.toSeconds() + " s");
    }
    return what + " after " + ms + " ms";
  }
}
