package io.basalt.tester;

import io.basalt.it.cluster.ClusterNode;
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.RecoveryInfo;
import io.basalt.proto.RecoveryThrottle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Failures during recovery (issue 14 point 2): a copy interrupted by killing its target, its source or the meta
 * leader; and two chunks lost one after the other. The interrupted copies run under a throttle of 1 MiB/s so they
 * last long enough to be caught mid-copy; the throttle in force before is put back when the case recovers.
 */
final class RecoveryFaults {
  private RecoveryFaults() {}

  static final long COPY_RATE = 1 << 20;

  enum Victim {
    TARGET("target"), SOURCE("source"), META_LEADER("meta-leader");

    final String label;

    Victim(String label) {
      this.label = label;
    }
  }

  static List<FaultCase> cases() {
    List<FaultCase> all = new ArrayList<>();
    for (Victim v : Victim.values()) {
      all.add(new Interrupted(v));
    }
    all.add(new TwoLost());
    return all;
  }

  private record Interrupted(Victim victim) implements FaultCase {
    @Override
    public String name() {
      return "recovery-kill-" + victim.label;
    }

    @Override
    public String summary() {
      return "kill -9 a non-owner replica, and once a copy to a new replica is under way, kill -9 its "
          + (victim == Victim.META_LEADER ? "meta leader" : victim.label) + "; start both again";
    }

    @Override
    public boolean fast() {
      return false;
    }


    @Override
    public Fault plan(CaseContext ctx) {
      TesterCluster tc = ctx.tester();
      ProcessCluster c = ctx.cluster();
      ExtentInfo x = ctx.randomExtent();
      ClusterNode first = tc.nonOwnerMember(x, ctx.random());
      List<ClusterNode> killed = new ArrayList<>();
      return new Fault("kill -9 a non-owner replica (" + first.name() + ", cid=" + tc.cidOf(first) + ") of extent "
          + x.getIndex() + ", then the " + (victim == Victim.META_LEADER ? "meta leader" : victim.label)
          + " of a copy under way") {
        private RecoveryThrottle before;

        @Override
        Optional<ClusterNode> node() {
          return Optional.of(first);
        }

        @Override
        void inject() {
          before = c.recoveries().getThrottle();
          c.setRecoveryThrottle(COPY_RATE, 1);
          c.kill9(first);
          killed.add(first);
        }

        @Override
        String settle() {
          Duration bound = ctx.sessionTimeout().multipliedBy(2).plusSeconds(40);
          RecoveryInfo[] copy = new RecoveryInfo[1];
          long ms = CaseContext.within(bound, () -> {
            copy[0] = c.recoveries().getRecoveriesList().stream().filter(r -> r.getTargetCid() != 0
                && r.getBytesDone() > 0 && r.getBytesDone() < r.getBytesTotal()).findFirst().orElse(null);
            return copy[0] != null;
          });
          if (copy[0] == null) {
            return "no copy was seen under way within " + bound.toSeconds() + " s (each finished first): no second"
                + " kill";
          }
          RecoveryInfo r = copy[0];
          ClusterNode second = switch (victim) {
            case TARGET -> c.chunkByCid(r.getTargetCid());
            case SOURCE -> r.getSourceCid() != 0 ? c.chunkByCid(r.getSourceCid()) : null;
            case META_LEADER -> c.awaitMetaLeader();
          };
          if (second == null) {
            return "a copy of extent " + r.getIndex() + " was under way without a known source: no second kill";
          }
          c.kill9(second);
          killed.add(second);
          String line = "a copy of " + r.getVolume() + " extent " + r.getIndex() + " to cid=" + r.getTargetCid()
              + " was under way after " + ms + " ms (" + r.getBytesDone() + " of " + r.getBytesTotal()
              + " bytes): killed its " + victim.label + " " + second.name();
          if (victim == Victim.META_LEADER) {
            Duration b = TesterOptions.ZK_SESSION_TIMEOUT.plusSeconds(20);
            line += "; " + CaseContext.took("another meta leads", CaseContext.within(b, () -> c.metaLeader()
                .filter(m -> m != second && m.isAlive()).isPresent()), b);
          }
          return line;
        }

        @Override
        void recover() {
          if (before != null) {
            c.setRecoveryThrottle(before.getBytesPerSec(), before.getPerChunk());
          }
          for (ClusterNode n : killed) {
            c.start(n);
          }
          killed.forEach(c::awaitReady);
        }
      };
    }
  }

  /** Two members of one extent killed one after the other: the second once the first has left the extent. */
  private static final class TwoLost extends BasicCase {
    TwoLost() {
      super("two-chunks-lost", "kill -9 a non-owner replica of a random extent, and once it left the extent, another"
          + " of its members; start both again", false);
    }


    @Override
    public Fault plan(CaseContext ctx) {
      TesterCluster tc = ctx.tester();
      ProcessCluster c = ctx.cluster();
      ExtentInfo x = ctx.randomExtent();
      ClusterNode a = tc.nonOwnerMember(x, ctx.random());
      int cidA = tc.cidOf(a);
      List<ClusterNode> killed = new ArrayList<>();
      return new Fault("kill -9 " + a.name() + " (cid=" + cidA + "), a non-owner replica of extent " + x.getIndex()
          + ", then another member of it") {
        @Override
        Optional<ClusterNode> node() {
          return Optional.of(a);
        }

        @Override
        void inject() {
          c.kill9(a);
          killed.add(a);
        }

        @Override
        String settle() {
          Duration bound = ctx.sessionTimeout().plusSeconds(20);
          long left = CaseContext.within(bound, () -> tc.leftExtent(x.getIndex(), cidA));
          ExtentInfo now = c.extents(TesterCluster.STRESS).stream().filter(e -> e.getIndex() == x.getIndex())
              .findFirst().orElseThrow();
          List<Integer> others = now.getReplicasList().stream().filter(cid -> cid != cidA).toList();
          ClusterNode b = c.chunkByCid(others.get(ctx.random().nextInt(others.size())));
          int cidB = tc.cidOf(b);
          c.kill9(b);
          killed.add(b);
          long leftB = CaseContext.within(bound, () -> tc.leftExtent(x.getIndex(), cidB));
          return CaseContext.took(a.name() + " left extent " + x.getIndex(), left, bound) + "; then killed "
              + b.name() + " (cid=" + cidB + (cidB == now.getOwnerCid() ? ", its owner" : "") + "), "
              + CaseContext.took("which left it", leftB, bound);
        }

        @Override
        void recover() {
          killed.forEach(c::start);
          killed.forEach(c::awaitReady);
        }
      };
    }
  }
}
