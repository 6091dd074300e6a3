package io.basalt.tester;

import io.basalt.it.cluster.ClusterNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A second fault injected while the first is still recovering (issue 14 point 2): the first is injected and undone
 * (its chunk restarted, SIGCONT), and while the cluster catches up from it a second one, on another process, is
 * injected, held and undone. Both are drawn from the process cases; the second from the chunk ones only, so the pair
 * never takes two of three ZooKeeper members or two meta servers at once.
 */
final class DoubleFault extends BasicCase {
  static final List<String> FIRST = List.of("kill-replica", "kill-owner", "stop-long-owner", "restart-chunk",
      "kill-meta-leader");
  static final List<String> SECOND = List.of("kill-replica", "kill-owner", "stop-short-owner", "restart-chunk");

  private final Map<String, FaultCase> cases;

  DoubleFault(Map<String, FaultCase> cases) {
    super("second-fault-while-recovering", "one of " + FIRST + ", and once it is undone, while the cluster recovers,"
        + " one of " + SECOND + " on another process", true);
    this.cases = cases;
  }

  @Override
  public Optional<String> unavailable(TesterCluster cluster) {
    return Optional.empty();
  }

  @Override
  public Fault plan(CaseContext ctx) throws Exception {
    FaultCase firstCase = cases.get(FIRST.get(ctx.random().nextInt(FIRST.size())));
    Fault first = firstCase.plan(ctx);
    FaultCase secondCase = cases.get(SECOND.get(ctx.random().nextInt(SECOND.size())));
    return new Fault(first.description() + "; then, while it recovers, " + secondCase.name()
        + " on another process") {
      private Fault second;

      @Override
      Optional<ClusterNode> node() {
        return first.node();
      }

      @Override
      void inject() throws Exception {
        first.inject();
      }

      @Override
      String settle() throws Exception {
        String firstSeen = first.settle();
        first.recover();
        second = planAvoiding(secondCase, ctx, first.node());
        ctx.log().line("first fault undone (" + firstSeen + "); injecting the second while the cluster recovers: \""
            + second.description() + "\"");
        second.inject();
        return "second: " + second.settle();
      }

      @Override
      void recover() throws Exception {
        second.recover();
      }
    };
  }

  /**
   * Plans {@code c} on a target other than {@code avoid} (targets are random, a few draws); when {@code c} keeps
   * landing there (the owner it would hit is that process again), the other second cases in turn.
   */
  private Fault planAvoiding(FaultCase c, CaseContext ctx, Optional<ClusterNode> avoid) throws Exception {
    List<FaultCase> candidates = new java.util.ArrayList<>(List.of(c));
    SECOND.stream().map(cases::get).filter(o -> o != c).forEach(candidates::add);
    for (FaultCase candidate : candidates) {
      for (int i = 0; i < 5; i++) {
        Fault f = candidate.plan(ctx);
        if (avoid.isEmpty() || !f.node().equals(avoid)) {
          return f;
        }
      }
    }
    throw new IllegalStateException("no second fault avoids " + avoid.map(ClusterNode::name).orElse("?"));
  }
}
