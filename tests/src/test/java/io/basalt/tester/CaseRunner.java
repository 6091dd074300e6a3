package io.basalt.tester;

import io.basalt.it.check.ClusterChecker;
import io.basalt.it.check.Stresser;
import io.basalt.it.cluster.ProcessCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import org.opentest4j.TestAbortedException;

/**
 * Runs one case (issue 14 point 1): inject the failure, wait, recover it, cancel the stressers, wait for full
 * redundancy, check (point 4), restart the stressers; and records its figures. On the first violation it freezes
 * the cluster, saves the evidence (TESTPLAN 3.7) and throws {@link Violation}.
 */
final class CaseRunner {
  private final TesterCluster tester;
  private final TesterLoad load;
  private final TesterLog log;
  private final CaseFigures figures;
  private final TesterOptions options;

  CaseRunner(TesterCluster tester, TesterLoad load, TesterLog log, CaseFigures figures) {
    this.tester = tester;
    this.load = load;
    this.log = log;
    this.figures = figures;
    this.options = tester.options;
  }

  /** Runs {@code c} as case {@code number} of {@code round}; returns false when it was skipped. */
  boolean run(int round, int number, FaultCase c, Random random) throws Violation {
    log.at(round, number);
    try {
      Optional<String> why = c.unavailable(tester);
      if (why.isPresent()) {
        skip(c, why.get());
        return false;
      }
      Path dir = options.dir().resolve("cases");
      Files.createDirectories(dir);
      load.stresser().restartPauseWindow();
      Fault f;
      try {
        f = c.plan(new CaseContext(tester, random, log, dir, load.sequentialExtent()));
      } catch (TestAbortedException e) {
        skip(c, e.getMessage());
        return false;
      }
      awaitLoad();
      log.line("injecting failure \"" + f.description() + "\"");
      long injected = System.nanoTime();
      try {
        f.inject();
      } catch (TestAbortedException e) {
        skip(c, e.getMessage());
        return false;
      }
      log.line("injected");
      String seen = f.settle();
      log.line("recovering (" + seen + ")");
      long t = System.nanoTime();
      f.recover();
      log.line("recovered in " + ms(t) + " ms");
      TesterLoad.Run run = load.stop();
      long redundant = CaseContext.within(options.redundancyTimeout(), tester::fullyRedundant);
      if (redundant < 0) {
        throw violation(round, number, c, "not fully redundant " + options.redundancyTimeout().toSeconds()
            + " s after the stressers stopped: " + tester.cluster.recoveries().getRecoveriesList(), null);
      }
      long toRedundancy = ms(injected);
      String stress = check(round, number, c, run);
      log.line("checked: " + stress + "; " + run.fio().summary() + "; full redundancy " + toRedundancy
          + " ms after the injection");
      figures.ran(c.name(), run.stress().maxPause().toMillis(), toRedundancy, run.stress().writesInDoubt(),
          run.fio());
      load.resume();
      return true;
    } catch (Violation v) {
      throw v;
    } catch (Exception | AssertionError e) {
      throw violation(round, number, c, "the case could not finish: " + e, e);
    } finally {
      log.at(0, 0);
    }
  }

  /** Writes the stresser must ack before a fault is injected (TESTPLAN 2: load is flowing, the case is not vacuous). */
  static final int MIN_WRITES = 20;

  /** Waits until the load flows; a cluster that acks too few writes before any fault is a violation of its own. */
  private void awaitLoad() {
    Duration bound = Duration.ofSeconds(30);
    long ms = CaseContext.within(bound, () -> load.stresser().writesAcked() >= MIN_WRITES);
    if (ms < 0) {
      throw new IllegalStateException("no load before the injection: the stresser acked "
          + load.stresser().writesAcked() + " writes in " + bound.toSeconds() + " s (at least " + MIN_WRITES
          + " wanted)");
    }
  }

  private void skip(FaultCase c, String why) {
    figures.skipped(c.name());
    log.line("skipped " + c.name() + ": " + why);
  }

  /** The checker on both volumes; returns the stress volume's summary, throws on a violation. */
  private String check(int round, int number, FaultCase c, TesterLoad.Run run) throws Violation {
    ProcessCluster cluster = tester.cluster;
    Stresser s = load.stresser();
    ClusterChecker.Report report;
    try {
      report = ClusterChecker.of(cluster, TesterCluster.STRESS).model(s.model(), s.history(), run.stress())
          .volume(load.volume()).expectedReplicas(TesterCluster.REPLICAS).pauseBudget(options.pauseBudget())
          .deaths(cluster::unexpectedDeaths).check();
      ClusterChecker.of(cluster, TesterCluster.FIO).replicasOnly().expectedReplicas(TesterCluster.REPLICAS)
          .deaths(cluster::unexpectedDeaths).check();
    } catch (AssertionError e) {
      throw violation(round, number, c, e.getMessage(), e);
    }
    if (!run.fio().ok()) {
      throw violation(round, number, c, run.fio().summary(), null);
    }
    return report.summary().replace("check ok: ", "");
  }

  /** Freezes the cluster, saves the evidence and the history, and returns the violation to throw. */
  private Violation violation(int round, int number, FaultCase c, String what, Throwable cause) {
    String summary = "VIOLATION in round " + round + " case " + number + " (" + c.name() + "), seed "
        + options.seed() + ": " + what;
    log.line(summary);
    try {
      Path evidence = options.dir().resolve("evidence-round-" + round + "-case-" + number);
      tester.cluster.collectEvidence(evidence, summary);
      load.stresser().history().copyTo(evidence);
      Files.writeString(evidence.resolve("reproduce.sh"), "#!/usr/bin/env bash\n# " + summary.replace('\n', ' ')
          + "\n# the same seed gives the same case order and random draws (targets follow the cluster's state)\n"
          + "cd " + Path.of(System.getProperty("basalt.repo.root", ".")).toAbsolutePath().normalize()
          + " && exec bin/basalt-tester " + options.commandLine().replaceAll("--seed(=|\\s+)\\S+", "").trim()
          + " --seed " + options.seed() + "\n");
      log.line("evidence saved in " + evidence);
    } catch (IOException | RuntimeException | Error e) {
      log.line("saving the evidence failed: " + e);
    }
    return new Violation(summary, cause);
  }

  private static long ms(long since) {
    return (System.nanoTime() - since) / 1_000_000;
  }
}
