package io.basalt.tester;

import io.basalt.it.cluster.ClusterNode;
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.proto.ExtentInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Process failures (issue 14 point 2): kill -9, SIGSTOP past the session timeout and SIGSTOP below it, each for a
 * non-owner replica, a lease owner, the meta leader and a ZooKeeper member; and a quick restart of a chunk.
 */
final class ProcessFaults {
  private ProcessFaults() {}

  enum Target {
    REPLICA("replica"), OWNER("owner"), META_LEADER("meta-leader"), ZOOKEEPER("zk-member");

    final String label;

    Target(String label) {
      this.label = label;
    }
  }

  enum Action {
    KILL("kill"), STOP_LONG("stop-long"), STOP_SHORT("stop-short");

    final String label;

    Action(String label) {
      this.label = label;
    }
  }

  /** The twelve target x action cases and the quick restart. */
  static List<FaultCase> cases() {
    List<FaultCase> all = new ArrayList<>();
    for (Action a : Action.values()) {
      for (Target t : Target.values()) {
        all.add(new SignalCase(a, t));
      }
    }
    all.add(new QuickRestart());
    return all;
  }

  /** A process picked for a case, and what the log calls it. */
  record Victim(ClusterNode node, String what, ExtentInfo extent) {}

  static Victim pick(Target t, CaseContext ctx) {
    TesterCluster tc = ctx.tester();
    ProcessCluster c = ctx.cluster();
    switch (t) {
      case REPLICA, OWNER -> {
        ExtentInfo x = t == Target.OWNER ? tc.ownedExtent(ctx.qd1Extent(), Duration.ofSeconds(30))
            : ctx.randomExtent();
        ClusterNode n = t == Target.OWNER ? tc.ownerOf(x) : tc.nonOwnerMember(x, ctx.random());
        String what = (t == Target.OWNER ? "the lease owner" : "a non-owner replica") + " (" + n.name() + ", cid="
            + tc.cidOf(n) + ") of extent " + x.getIndex();
        return new Victim(n, what, x);
      }
      case META_LEADER -> {
        ClusterNode n = c.awaitMetaLeader();
        return new Victim(n, "the meta leader (" + n.name() + ")", null);
      }
      case ZOOKEEPER -> {
        List<ClusterNode> zks = c.zookeepers();
        ClusterNode n = zks.get(ctx.random().nextInt(zks.size()));
        return new Victim(n, "ZooKeeper member " + n.name() + " (" + c.zookeeperMode(n).orElse("not serving") + ")",
            null);
      }
      default -> throw new IllegalArgumentException(t.toString());
    }
  }

  /** How long a SIGSTOP below the timeout that matters for {@code t} lasts: half of it. */
  static Duration shortStop(Target t, CaseContext ctx) {
    return t == Target.META_LEADER || t == Target.ZOOKEEPER ? TesterOptions.ZK_SESSION_TIMEOUT.dividedBy(2)
        : ctx.sessionTimeout().dividedBy(2);
  }

  /**
   * Waits until the cluster has reacted to losing {@code v} (a chunk left its extent, another meta leads, the
   * ensemble has a leader), at least for {@code atLeast}; returns the settle line.
   */
  static String awaitReaction(Victim v, CaseContext ctx, Duration atLeast) {
    long start = System.nanoTime();
    ProcessCluster c = ctx.cluster();
    Duration bound = ctx.sessionTimeout().plus(TesterOptions.ZK_SESSION_TIMEOUT).plusSeconds(20);
    String seen = switch (v.node().role()) {
      case CHUNK -> {
        int cid = ctx.tester().cidOf(v.node());
        yield CaseContext.took("it left extent " + v.extent().getIndex(), CaseContext.within(bound,
            () -> ctx.tester().leftExtent(v.extent().getIndex(), cid)), bound);
      }
      case META -> CaseContext.took("another meta leads", CaseContext.within(bound, () -> c.metaLeader()
          .filter(m -> m != v.node() && m.isAlive() && !m.isStopped()).isPresent()), bound);
      case ZOOKEEPER -> CaseContext.took("the ensemble has a serving leader", CaseContext.within(bound,
          () -> c.zookeepers().stream().filter(z -> z != v.node())
              .anyMatch(z -> c.zookeeperMode(z).filter("leader"::equals).isPresent())), bound);
      default -> "";
    };
    Duration left = atLeast.minusNanos(System.nanoTime() - start);
    if (!left.isNegative()) {
      CaseContext.hold(left);
    }
    return seen;
  }

  private record SignalCase(Action action, Target target) implements FaultCase {
    @Override
    public String name() {
      return action.label + "-" + target.label;
    }

    @Override
    public String summary() {
      String what = switch (target) {
        case REPLICA -> "a non-owner replica of a random extent";
        case OWNER -> "the lease owner of the QD1 writer's extent";
        case META_LEADER -> "the meta leader";
        case ZOOKEEPER -> "a random ZooKeeper member";
      };
      return switch (action) {
        case KILL -> "kill -9 " + what + ", wait until the cluster reacts, start it again";
        case STOP_LONG -> "SIGSTOP " + what + " past its session timeout, then SIGCONT";
        case STOP_SHORT -> "SIGSTOP " + what + " for half its session timeout, then SIGCONT";
      };
    }

    /** One case per target in CI's short round, each with a different action. */
    @Override
    public boolean fast() {
      return switch (target) {
        case OWNER -> action == Action.KILL;
        case REPLICA -> action == Action.STOP_LONG;
        case META_LEADER -> action == Action.STOP_SHORT;
        case ZOOKEEPER -> action == Action.KILL;
      };
    }


    @Override
    public Fault plan(CaseContext ctx) {
      Victim v = pick(target, ctx);
      ProcessCluster c = ctx.cluster();
      Duration shortStop = shortStop(target, ctx);
      Duration longStop = (target == Target.META_LEADER || target == Target.ZOOKEEPER
          ? TesterOptions.ZK_SESSION_TIMEOUT : ctx.sessionTimeout()).plusSeconds(1);
      String verb = switch (action) {
        case KILL -> "kill -9 ";
        case STOP_LONG -> "SIGSTOP for " + longStop.toMillis() + " ms or more (past the session timeout) ";
        case STOP_SHORT -> "SIGSTOP for " + shortStop.toMillis() + " ms (below the session timeout) ";
      };
      return new Fault(verb + v.what()) {
        @Override
        Optional<ClusterNode> node() {
          return Optional.of(v.node());
        }

        @Override
        void inject() {
          if (action == Action.KILL) {
            c.kill9(v.node());
          } else {
            c.stop(v.node());
          }
        }

        @Override
        String settle() {
          return switch (action) {
            case KILL -> awaitReaction(v, ctx, Duration.ZERO);
            case STOP_LONG -> awaitReaction(v, ctx, longStop);
            case STOP_SHORT -> {
              CaseContext.hold(shortStop);
              yield "held " + shortStop.toMillis() + " ms";
            }
          };
        }

        @Override
        void recover() {
          if (action == Action.KILL) {
            c.start(v.node());
            c.awaitReady(v.node());
          } else {
            c.cont(v.node());
          }
        }
      };
    }
  }

  /** kill -9 a chunk and start it again at once, on the same directory and address. */
  private static final class QuickRestart extends BasicCase {
    QuickRestart() {
      super("restart-chunk", "kill -9 a random chunk and start it again at once (before its session could expire)",
          true);
    }


    @Override
    public Fault plan(CaseContext ctx) {
      List<ClusterNode> chunks = ctx.cluster().chunks();
      ClusterNode n = chunks.get(ctx.random().nextInt(chunks.size()));
      ProcessCluster c = ctx.cluster();
      return new Fault("quick restart (kill -9, start at once) of " + n.name() + " (cid=" + ctx.tester().cidOf(n)
          + ")") {
        @Override
        Optional<ClusterNode> node() {
          return Optional.of(n);
        }

        @Override
        void inject() {
          c.kill9(n);
          c.start(n);
        }

        @Override
        String settle() {
          long t = System.nanoTime();
          c.awaitReady(n);
          return "ready again after " + (System.nanoTime() - t) / 1_000_000 + " ms";
        }

        @Override
        void recover() {
          // restarted already
        }
      };
    }
  }
}
