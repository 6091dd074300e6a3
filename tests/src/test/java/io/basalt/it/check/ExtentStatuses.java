package io.basalt.it.check;

import static org.awaitility.Awaitility.await;

import io.basalt.it.cluster.ClusterView;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ReplicaState;
import io.basalt.proto.ReplicaStatusResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The replicas of one extent as their chunks report them (TESTPLAN 3.4, offline variant; I2): waits until every
 * replica reports the same generation (or nothing changes any more), then asks a second time so a hash that is not
 * deterministic or still moving is caught, and compares existence, state, generation and hash.
 */
final class ExtentStatuses {
  /** One replica's report, or why it could not be had. */
  record Replica(int cid, String address, boolean exists, long gen, String hash, long blocks, ReplicaState state,
      String error) {
    @Override
    public String toString() {
      if (!error.isEmpty()) {
        return "cid=" + cid + " (" + address + ") unreachable: " + error;
      }
      return "cid=" + cid + " (" + address + ") " + (exists ? "gen=" + gen + " hash=" + abbrev(hash) + " blocks="
          + blocks + " " + state : "missing");
    }

    private static String abbrev(String h) {
      return h.length() > 16 ? h.substring(0, 16) : h;
    }
  }

  private final ExtentInfo extent;
  private final List<Replica> replicas;

  private ExtentStatuses(ExtentInfo extent, List<Replica> replicas) {
    this.extent = extent;
    this.replicas = List.copyOf(replicas);
  }

  /** Reads the replicas' statuses until they agree on a generation, or stop changing for {@code stableFor}. */
  static ExtentStatuses settle(ClusterView view, ExtentInfo e, Duration timeout, Duration stableFor) {
    List<List<Replica>> last = new ArrayList<>(List.of(read(view, e)));
    long[] changed = {System.nanoTime()};
    try {
      await().atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50)).until(() -> {
        List<Replica> now = read(view, e);
        if (!now.equals(last.get(0))) {
          last.set(0, now);
          changed[0] = System.nanoTime();
        }
        return sameGeneration(now) || System.nanoTime() - changed[0] > stableFor.toNanos();
      });
    } catch (ConditionTimeoutException stillMoving) {
      // compared as they are: the mismatch is reported
    }
    return new ExtentStatuses(e, last.get(0));
  }

  private static List<Replica> read(ClusterView view, ExtentInfo e) {
    List<Replica> out = new ArrayList<>();
    for (int i = 0; i < e.getReplicaAddressesCount(); i++) {
      int cid = i < e.getReplicasCount() ? e.getReplicas(i) : 0;
      String address = e.getReplicaAddresses(i);
      try {
        ReplicaStatusResponse s = view.replicaStatus(address, e.getPid());
        out.add(new Replica(cid, address, s.getExists(), s.getGen(), s.getHash(), s.getBlockCount(), s.getState(),
            ""));
      } catch (RuntimeException ex) {
        out.add(new Replica(cid, address, false, -1, "", 0, ReplicaState.REPLICA_STATE_UNSPECIFIED,
            String.valueOf(ex.getMessage())));
      }
    }
    return out;
  }

  private static boolean sameGeneration(List<Replica> rs) {
    return rs.stream().allMatch(r -> r.error().isEmpty() && r.exists())
        && rs.stream().map(Replica::gen).distinct().count() == 1;
  }

  /**
   * Reports, through {@code problem}, a wrong replica count, a missing, unreachable or non-ACTIVE replica, differing
   * generations, differing hashes at one generation, and a hash that changed on the second ask.
   */
  void compare(ClusterView view, int expectedReplicas, Consumer<String> problem) {
    String ctx = " [" + context() + "]";
    long pid = extent.getPid();
    if (expectedReplicas > 0 && extent.getReplicasCount() != expectedReplicas) {
      problem.accept("replica count: pid=" + pid + " has " + extent.getReplicasCount() + " replicas "
          + extent.getReplicasList() + ", expected " + expectedReplicas + ctx);
    }
    for (Replica r : replicas) {
      if (!r.error().isEmpty() || !r.exists() || r.state() != ReplicaState.ACTIVE) {
        problem.accept("replica not active: pid=" + pid + " " + r + ctx);
      }
    }
    if (replicas.stream().map(Replica::gen).distinct().count() > 1) {
      problem.accept("generations differ: pid=" + pid + " gens=" + gens() + " hashes=" + hashes() + ctx);
      return;
    }
    if (replicas.stream().map(Replica::hash).distinct().count() > 1) {
      problem.accept("hashes differ at the same generation (I2): pid=" + pid + " gen=" + replicas.get(0).gen()
          + " hashes=" + hashes() + " blocks=" + replicas.stream().map(r -> r.cid() + ":" + r.blocks()).toList() + ctx);
      return;
    }
    List<Replica> again = read(view, extent);
    if (!again.equals(replicas)) {
      problem.accept("status changed on the second ask (nondeterministic hash or still moving): pid=" + pid
          + " first=" + replicas + " second=" + again + ctx);
    }
  }

  /** True when every replica exists, is ACTIVE, and all share one generation and hash. */
  boolean identical() {
    return sameGeneration(replicas) && replicas.stream().allMatch(r -> r.state() == ReplicaState.ACTIVE)
        && replicas.stream().map(Replica::hash).distinct().count() == 1;
  }

  /** "pid=.. index=.. epoch=.. owner=.. replicas=[cid=.. gen=.. hash=.., ...]" for every message about it. */
  String context() {
    return "pid=" + extent.getPid() + " index=" + extent.getIndex() + " epoch=" + extent.getEpoch() + " owner="
        + extent.getOwnerCid() + " replicas=" + replicas;
  }

  private String gens() {
    return replicas.stream().map(r -> "cid" + r.cid() + ":" + r.gen()).collect(Collectors.joining(",", "[", "]"));
  }

  private String hashes() {
    return replicas.stream().map(r -> "cid" + r.cid() + ":" + Replica.abbrev(r.hash()))
        .collect(Collectors.joining(",", "[", "]"));
  }

  ExtentInfo extent() {
    return extent;
  }

  List<Replica> replicas() {
    return replicas;
  }
}
