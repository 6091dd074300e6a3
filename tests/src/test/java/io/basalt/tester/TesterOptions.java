package io.basalt.tester;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What a tester run was asked for (see {@link TesterMain} for the flags).
 *
 * @param rounds rounds to run (0: until {@code duration})
 * @param duration how long to run (null: until {@code rounds})
 * @param seed drives every random choice: the case order, targets, stresser seeds
 * @param cases case names to walk (empty: every case, or every fast case with {@code fastOnly})
 * @param fastOnly only the cases marked fast (what CI runs)
 * @param dir the run's directory: cluster, histories, evidence
 * @param reportEvery print the per-case table every this many rounds (0: only at the end)
 * @param keepalive chunk keepalive interval
 * @param sessionTimeout chunk session timeout
 * @param pauseBudget the longest QD1 pause a case may cause (I5)
 * @param redundancyTimeout how long a case may take to get every extent back to full redundancy
 * @param fio whether to run fio --verify beside the stresser
 * @param commandLine the arguments as given (for the evidence's reproduce.sh)
 */
record TesterOptions(int rounds, Duration duration, long seed, List<String> cases, boolean fastOnly, Path dir,
    int reportEvery, Duration keepalive, Duration sessionTimeout, Duration pauseBudget, Duration redundancyTimeout,
    boolean fio, String commandLine) {
  /** The meta servers' ZooKeeper session timeout (the default): a frozen meta leader loses its latch past it. */
  static final Duration ZK_SESSION_TIMEOUT = Duration.ofSeconds(4);

  /** Whether the run should stop before starting round {@code round} (1-based). */
  boolean done(int round, long startNanos) {
    if (rounds > 0 && round > rounds) {
      return true;
    }
    return duration != null && System.nanoTime() - startNanos >= duration.toNanos();
  }
}
