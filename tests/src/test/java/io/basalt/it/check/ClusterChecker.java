package io.basalt.it.check;

import io.basalt.client.volume.Volume;
import io.basalt.it.cluster.ClusterView;
import io.basalt.proto.ExtentInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The invariants checked after every fault case, once healed (TESTPLAN 3.2-3.6): (a) I1: every block read back
 * through the volume and from every replica directly holds its last acked stamp or a later in-doubt one (in the
 * contended range: a value some linearization ends with), and replicas are byte-identical; plus the stresser's
 * online violation, an exact replay of its history and the search of its contended range; (b) I2:
 * every extent's replicas report one generation and one hash; (c) every extent has its expected replica count;
 * (d) I5: the stresser's max pause within budget; (e) I6: no process died that the test did not kill.
 *
 * <p>After a power cut ({@link #powerCutAt}), (a) asks less of the final state: only the durable prefix must survive
 * (see {@link PowerCut}), later acked writes may be lost, but nothing may come back as garbage or as a value never
 * written.
 *
 * <p>Prints a one-line summary when everything holds. On failure it first hands the report to the evidence hook
 * (freeze the cluster, save data dirs: TESTPLAN 3.7, never repair first), then throws an {@link AssertionError}
 * naming pid, LBA, replica cids, generations and hashes. Configure, then {@link #check()}; not thread-safe.
 *
 * <p>A fault case:
 * <pre>{@code
 * try (Stresser s = Stresser.start(volume, StressConfig.defaults(seed).withVolumeId(vid)
 *     .withLimits(Duration.ofSeconds(30), 0).withHistory(dir.resolve("history.txt"), 100_000))) {
 *   await().atMost(ofSeconds(10)).until(() -> s.writesAcked() >= 200); // load is flowing: not vacuous
 *   cluster.kill9(victim);                                               // the fault ... then heal
 *   s.stop();
 *   ClusterChecker.of(cluster, "vol").stresser(s, volume).expectedReplicas(3)
 *       .pauseBudget(Duration.ofMillis(1300)).deaths(cluster::unexpectedDeaths)
 *       .onFailure(report -> s.history().copyTo(cluster.collectEvidence("F01", report).dir()))
 *       .check();
 * }
 * }</pre>
 */
public final class ClusterChecker {
  private static final Logger log = LoggerFactory.getLogger(ClusterChecker.class);
  private static final int MAX_LISTED = 25;

  private final ClusterView view;
  private final String volumeName;
  private Volume volume;
  private BlockModel model;
  private OpHistory history;
  private StressResult result;
  private int expectedReplicas;
  private Duration pauseBudget;
  private Supplier<? extends Collection<?>> deaths = List::of;
  private Consumer<String> evidence = report -> { };
  private Duration settleTimeout = Duration.ofSeconds(15);
  private Duration stableFor = Duration.ofSeconds(1);
  private Duration readTimeout = Duration.ofSeconds(30);
  private Long powerCutNanos;
  private boolean replicasOnly;

  private ClusterChecker(ClusterView view, String volumeName) {
    this.view = Objects.requireNonNull(view);
    this.volumeName = Objects.requireNonNull(volumeName);
  }

  public static ClusterChecker of(ClusterView view, String volumeName) {
    return new ClusterChecker(view, volumeName);
  }

  /** What a run found: the summary line and every problem (empty when it holds). */
  public record Report(boolean ok, String summary, List<String> problems, int extents, long blocksVerified) {}

  /** The stresser's volume, model, history and (once ended) result. */
  public ClusterChecker stresser(Stresser s, Volume v) {
    this.volume = v;
    this.model = s.model();
    this.history = s.history();
    this.result = s.awaitResult();
    return this;
  }

  /** Read-through source; null skips the reads through the volume (replicas are still read directly). */
  public ClusterChecker volume(Volume v) {
    this.volume = v;
    return this;
  }

  public ClusterChecker model(BlockModel m, OpHistory h, StressResult r) {
    this.model = Objects.requireNonNull(m);
    this.history = h;
    this.result = r;
    return this;
  }

  /**
   * Checks only what needs no model: (b) equal generations and hashes, (c), (e); for a volume whose content another
   * tool verifies (fio's own verify in the functional tester).
   */
  public ClusterChecker replicasOnly() {
    this.replicasOnly = true;
    return this;
  }

  /** (c): every allocated extent must have this many replicas (0: not checked). */
  public ClusterChecker expectedReplicas(int n) {
    this.expectedReplicas = n;
    return this;
  }

  /** (d): the QD1 writer's longest gap may not exceed {@code budget} (null: reported, not checked). */
  public ClusterChecker pauseBudget(Duration budget) {
    this.pauseBudget = budget;
    return this;
  }

  /** (e): processes that died unexpectedly ({@code cluster::unexpectedDeaths}); any element fails the check. */
  public ClusterChecker deaths(Supplier<? extends Collection<?>> unexpectedDeaths) {
    this.deaths = Objects.requireNonNull(unexpectedDeaths);
    return this;
  }

  /** Called with the failure report before the {@link AssertionError} is thrown (freeze, save evidence). */
  public ClusterChecker onFailure(Consumer<String> evidenceHook) {
    this.evidence = Objects.requireNonNull(evidenceHook);
    return this;
  }

  /** How long replicas may take to agree on a generation, and how long unchanged counts as settled. */
  public ClusterChecker settle(Duration timeout, Duration unchangedFor) {
    this.settleTimeout = timeout;
    this.stableFor = unchangedFor;
    return this;
  }

  /**
   * Declares a power cut at {@code cutNanos} ({@link System#nanoTime} of this JVM, the stresser's clock), after the
   * stresser stopped: the final state need only hold the writes acked before the last FLUSH that completed before
   * the cut, and FUA writes acked before it; later acked writes count as in doubt. Needs the whole history in
   * memory. Without it (the default) every acked write must survive.
   */
  public ClusterChecker powerCutAt(long cutNanos) {
    this.powerCutNanos = cutNanos;
    return this;
  }

  /** Runs every check; returns the report when everything holds, else saves evidence and throws. */
  public Report check() {
    if (!replicasOnly) {
      Objects.requireNonNull(model, "model (or stresser) is required");
    }
    long start = System.nanoTime();
    List<String> problems = new ArrayList<>();
    int[] count = {0};
    Consumer<String> problem = p -> {
      if (count[0]++ < 1000) {
        problems.add(p);
      }
    };
    Collection<?> died = deaths.get();
    if (!died.isEmpty()) {
      problem.accept("unexpected process deaths (I6): " + died);
    }
    if (result != null && result.firstViolation() != null) {
      problem.accept("online violation: " + result.firstViolation());
    }
    if (!replicasOnly && !replay(problem)) {
      model.checkContended().stream().limit(MAX_LISTED).forEach(v -> problem.accept("contended range: " + v));
    }
    BlockModel finalModel = model;
    String cut = "";
    if (powerCutNanos != null && !replicasOnly) {
      if (history == null || history.truncated()) {
        problem.accept("power cut: the durable prefix needs the whole history in memory, but it "
            + (history == null ? "is missing" : "was truncated at " + history.ops().size() + " of " + history.size()
            + " ops (raise historyMemoryCap)") + "; every acked write is required instead");
      } else {
        PowerCut.Durability d = PowerCut.at(model, history.ops(), powerCutNanos);
        finalModel = d.model();
        cut = ", " + d.summary();
        log.info("{}", d.summary());
      }
    }
    List<ExtentInfo> extents = List.of();
    int identical = 0;
    long blocks = 0;
    try {
      extents = view.extents(volumeName);
      Map<Integer, ExtentStatuses> statuses = new HashMap<>();
      for (ExtentInfo e : extents) {
        ExtentStatuses st = ExtentStatuses.settle(view, e, settleTimeout, stableFor);
        statuses.put(e.getIndex(), st);
        int before = count[0];
        st.compare(view, expectedReplicas, problem);
        identical += count[0] == before && st.identical() ? 1 : 0;
      }
      if (!replicasOnly) {
        long extentBytes = extents.isEmpty() ? 1 << 20 : extentSize(extents.get(0));
        blocks = new ContentCheck(view, volume, finalModel, extentBytes, readTimeout, problem).run(statuses);
      }
    } catch (RuntimeException e) {
      log.error("checker could not read the cluster", e);
      problem.accept("checker could not read the cluster: " + e);
    }
    if (result != null && pauseBudget != null && result.maxPause().compareTo(pauseBudget) > 0) {
      problem.accept("I/O pause (I5): the QD1 writer waited " + result.maxPause().toMillis() + " ms > budget "
          + pauseBudget.toMillis() + " ms");
    }
    int replicas = extents.isEmpty() ? 0 : extents.get(0).getReplicasCount();
    String figures = (result == null ? "" : String.format("%d writes acked, %d in doubt, %d reads checked, ",
        result.writesAcked(), result.writesInDoubt(), result.readsChecked()))
        + (model == null || model.contendedBlocks() == 0 ? ""
        : String.format("contended range of %d blocks searched (%d ops), ",
        model.contendedBlocks(), model.contendedOps()));
    String pause = (result == null ? "" : ", max pause " + result.maxPause().toMillis() + " ms") + cut;
    long ms = (System.nanoTime() - start) / 1_000_000;
    if (problems.isEmpty()) {
      String summary = String.format("check ok: %s%d extents x %d replicas identical, %d blocks verified%s "
          + "(volume %s, checked in %d ms)", figures, identical, replicas, blocks, pause, volumeName, ms)
          + (replicasOnly ? " [replicas only]" : "");
      System.out.println(summary);
      log.info(summary);
      return new Report(true, summary, List.of(), extents.size(), blocks);
    }
    String firstBlock = problems.stream().filter(p -> p.contains(" lba=")).findFirst()
        .filter(p -> !p.equals(problems.get(0)))
        .map(p -> "; first bad block: " + (p.contains(" [pid=") ? p.substring(0, p.indexOf(" [pid=")) : p))
        .orElse("");
    String summary = String.format("check FAILED: %d problems on volume %s; first: %s%s (%s%d of %d extents x %d "
        + "replicas identical, %d blocks verified%s; history %s)", count[0], volumeName, problems.get(0), firstBlock,
        figures, identical, extents.size(), replicas, blocks, pause,
        history == null ? "none" : history.file() == null ? "in memory" : history.file());
    String report = summary + listed(problems, count[0]);
    throw fail(report);
  }

  /** The exact replay of the history, contended range included; false when there is no whole history to replay. */
  private boolean replay(Consumer<String> problem) {
    if (history == null) {
      return false;
    }
    history.flush();
    if (history.truncated()) {
      log.info("history of {} ops exceeds the memory cap: exact replay skipped (file {})", history.size(),
          history.file());
      return false;
    }
    LinearizabilityChecker.Replay r = LinearizabilityChecker.replay(model, history.ops());
    r.violations().stream().limit(MAX_LISTED).forEach(v -> problem.accept("history replay: " + v));
    return true;
  }

  private static long extentSize(ExtentInfo e) {
    if (e.getExtentSize() <= 0) {
      throw new IllegalStateException("extent without extent_size: " + e);
    }
    return e.getExtentSize();
  }

  private static String listed(List<String> problems, int total) {
    StringBuilder b = new StringBuilder("\nproblems:");
    problems.stream().limit(MAX_LISTED).forEach(p -> b.append("\n  ").append(p));
    if (total > MAX_LISTED) {
      b.append("\n  ... and ").append(total - MAX_LISTED).append(" more");
    }
    return b.toString();
  }

  /** Notes the failure, runs the evidence hook, and returns the error to throw. */
  private AssertionError fail(String report) {
    if (history != null) {
      history.note("CHECK FAILED " + report.lines().findFirst().orElse(""));
      history.flush();
    }
    System.out.println(report.lines().findFirst().orElse(report));
    log.error("{}", report);
    try {
      evidence.accept(report);
    } catch (RuntimeException | Error e) {
      return new AssertionError(report + "\n(evidence hook failed: " + e + ")", e);
    }
    return new AssertionError(report);
  }
}
