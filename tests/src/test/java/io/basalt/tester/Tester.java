package io.basalt.tester;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The round loop (issue 14 point 1): each round walks the chosen cases in an order shuffled by the seed, each case
 * planned with its own seeded random source, until {@code --rounds} or {@code --duration}; the per-case table every
 * {@code --report-every} rounds and at the end, then the last line.
 */
final class Tester {
  private final TesterOptions options;
  private final List<FaultCase> cases;
  private final TesterLog log;

  Tester(TesterOptions options, List<FaultCase> cases, TesterLog log) {
    this.options = options;
    this.cases = cases;
    this.log = log;
  }

  /** How long the run should last: its duration, or its rounds at about 40 s a case. */
  private java.time.Duration horizon() {
    return options.duration() != null ? options.duration()
        : java.time.Duration.ofSeconds(40L * Math.max(1, options.rounds()) * cases.size());
  }

  /** Runs the rounds; returns the process exit code (0: no violation, 1: one). */
  int run() throws Exception {
    long start = System.nanoTime();
    Random seeds = new Random(options.seed());
    CaseFigures figures = new CaseFigures(cases);
    int rounds = 0;
    int violations = 0;
    log.line("seed " + options.seed() + " (replay with --seed " + options.seed() + "); cases: "
        + String.join(",", cases.stream().map(FaultCase::name).toList()));
    try (TesterCluster cluster = TesterCluster.start(options, log);
        TesterLoad load = TesterLoad.start(cluster, 1, seeds.nextLong(), horizon())) {
      CaseRunner runner = new CaseRunner(cluster, load, log, figures);
      log.line("stressers started: the stresser on " + TesterCluster.STRESS + " through the NBD server"
          + (options.fio() ? ", fio --verify on " + TesterCluster.FIO : ""));
      try {
        round:
        for (int round = 1; !options.done(round, start); round++) {
          List<FaultCase> order = new ArrayList<>(cases);
          Collections.shuffle(order, seeds);
          log.line("round " + round + ": " + String.join(", ", order.stream().map(FaultCase::name).toList()));
          for (int i = 0; i < order.size(); i++) {
            if (options.duration() != null && options.done(round, start)) {
              log.line("duration reached in round " + round);
              break round;
            }
            runner.run(round, i + 1, order.get(i), new Random(seeds.nextLong()));
          }
          rounds = round;
          if (options.reportEvery() > 0 && round % options.reportEvery() == 0) {
            log.raw(figures.table("per-case figures after " + round + " rounds:"));
          }
        }
      } catch (Violation v) {
        violations = 1;
      }
    }
    log.raw(figures.table("per-case figures (" + rounds + " rounds):"));
    log.raw(String.format("tester: %d rounds, %d cases, %d violations, seed %d", rounds, figures.runs(), violations,
        options.seed()));
    return violations == 0 ? 0 : 1;
  }
}
