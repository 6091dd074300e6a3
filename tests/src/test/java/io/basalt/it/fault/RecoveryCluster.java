package io.basalt.it.fault;

import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.client.ClusterVolumeProvider;
import io.basalt.client.io.ClientConfig;
import io.basalt.client.volume.Volume;
import io.basalt.it.check.ClusterChecker;
import io.basalt.it.check.StressResult;
import io.basalt.it.check.Stresser;
import io.basalt.it.check.StressConfig;
import io.basalt.it.cluster.ClusterNode;
import io.basalt.it.cluster.NodeRole;
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.it.cluster.ProcessClusterBuilder;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.RecoveryInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the recovery fault cases share (TESTPLAN F01, F03, F12, F15, F21, F22; issue 5): test timings (keepalive
 * 200 ms, session timeout 2 s, replica write timeout 1 s), a client that gives a silent chunk up after 1 s, and the
 * questions the cases ask of a cluster (who is a member, which chunk owns nothing, is every extent redundant).
 */
final class RecoveryCluster {
  static final long MiB = 1 << 20;
  static final Duration KEEPALIVE = Duration.ofMillis(200);
  static final Duration TIMEOUT = Duration.ofSeconds(2);
  static final Duration REPLICA_TIMEOUT = Duration.ofSeconds(1);
  /** A write waits at most for the replica timeout, then for meta to remove the replica (one RTT), plus slack. */
  static final Duration PAUSE_BUDGET = REPLICA_TIMEOUT.plus(Duration.ofSeconds(3));
  /** An owner lost: its session expires (2 s), a new owner takes over and syncs, the client finds it (as F02). */
  static final Duration OWNER_LOSS_BUDGET = Duration.ofSeconds(8);
  static final ClientConfig CLIENT = ClientConfig.defaults().withCallDeadline(Duration.ofSeconds(1));

  private RecoveryCluster() {}

  static ProcessClusterBuilder builder(Path dir, int chunks) {
    return builder(dir, chunks, KEEPALIVE, TIMEOUT);
  }

  /**
   * The fault cases set their copy rates with the throttle alone (a copy of a few MiB at 1 MiB/s must outlast a
   * fault), so their chunks copy at the full throttle under client load: {@code --recovery-busy-share 1}. The yield
   * to clients is measured by RecoveryBenchIT ({@link #withDefaultYield}) and its wiring tested in RecoveryTest.
   */
  static ProcessClusterBuilder builder(Path dir, int chunks, Duration keepalive, Duration timeout) {
    return base(dir, chunks, keepalive, timeout).args(NodeRole.CHUNK, "--recovery-busy-share", "1");
  }

  /** As {@link #builder(Path, int)} with the chunks' default recovery busy share (copies yield to client I/O). */
  static ProcessClusterBuilder withDefaultYield(Path dir, int chunks) {
    return base(dir, chunks, KEEPALIVE, TIMEOUT);
  }

  private static ProcessClusterBuilder base(Path dir, int chunks, Duration keepalive, Duration timeout) {
    return ProcessCluster.builder(dir).chunks(chunks).nbd(false).sessions(keepalive, timeout)
        .args(NodeRole.CHUNK, "--replica-write-timeout", REPLICA_TIMEOUT.toMillis() + "ms", "--report-interval", "1s");
  }

  /** The block client the recovery cases write through (gives a silent chunk up after 1 s). */
  static ClusterVolumeProvider volumes(ProcessCluster cluster) {
    return new ClusterVolumeProvider(cluster.metaClient(), cluster.rpc(), CLIENT, new MetricRegistry());
  }

  /** Random writers over the whole volume (dense extents soon), the QD1 writer, readers; ends after 3 minutes. */
  static StressConfig load(long vid, long extentSize, long volumeSize, long seed) {
    return StressConfig.defaults(seed).withVolumeId(vid).withLayout(extentSize, (int) (volumeSize / 4096), 8)
        .withLimits(Duration.ofMinutes(3), 0);
  }

  static void awaitOwners(ProcessCluster cluster, String volume, int extents) {
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      List<ExtentInfo> all = cluster.extents(volume);
      return all.size() == extents && all.stream().allMatch(e -> e.getOwnerCid() != 0);
    });
  }

  /** A live chunk that is a member of some extent and owner of none (its loss is a replica's, not an owner's). */
  static ClusterNode nonOwnerMember(ProcessCluster cluster, String volume) {
    List<ExtentInfo> extents = cluster.extents(volume);
    Set<Integer> owners = extents.stream().map(ExtentInfo::getOwnerCid).collect(Collectors.toSet());
    for (ExtentInfo e : extents) {
      for (int cid : e.getReplicasList()) {
        if (!owners.contains(cid)) {
          return cluster.chunkByCid(cid);
        }
      }
    }
    throw new AssertionError("every member owns an extent: " + extents);
  }

  static int cidOf(ProcessCluster cluster, ClusterNode node) {
    return cluster.listChunks().stream().filter(c -> c.getAddress().equals(node.address())
        || cluster.byAddress(c.getAddress()).filter(n -> n == node).isPresent()).findFirst()
        .orElseThrow(() -> new AssertionError("no chunk registered for " + node)).getCid();
  }

  /** Extents (pids) that count {@code cid} as a full member. */
  static Set<Long> pidsWithMember(ProcessCluster cluster, String volume, int cid) {
    Set<Long> pids = new HashSet<>();
    for (ExtentInfo e : cluster.extents(volume)) {
      if (e.getReplicasList().contains(cid)) {
        pids.add(e.getPid());
      }
    }
    return pids;
  }

  /** Whether no extent of the volume counts {@code cid} as a member or recovery target. */
  static boolean gone(ProcessCluster cluster, String volume, int cid) {
    return cluster.extents(volume).stream().noneMatch(e -> e.getReplicasList().contains(cid)
        || e.getRecoveringCid() == cid);
  }

  /** The running recoveries that have copied something (a target is mid-copy). */
  static List<RecoveryInfo> copying(ProcessCluster cluster) {
    return cluster.recoveries().getRecoveriesList().stream()
        .filter(r -> r.getTargetCid() != 0 && r.getBytesDone() > 0 && r.getBytesDone() < r.getBytesTotal())
        .toList();
  }

  /**
   * Stops the stresser, prints its longest QD1 pause, and runs the checker on volume "vol": 3 hash-equal replicas
   * per extent, every acknowledged write present, pauses within {@code pauseBudget}, no unexpected death.
   */
  static void check(ProcessCluster cluster, Stresser s, Volume volume, String name, Duration pauseBudget) {
    StressResult r = s.stop();
    System.out.printf("%s: max QD1 pause %d ms, p99 %.1f ms, writes acked %d, in doubt %d%n", name,
        r.maxPause().toMillis(), r.p99().toNanos() / 1e6, r.writesAcked(), r.writesInDoubt());
    ClusterChecker.of(cluster, "vol").stresser(s, volume).expectedReplicas(3).pauseBudget(pauseBudget)
        .deaths(cluster::unexpectedDeaths).onFailure(report -> cluster.collectEvidence(name, report)).check();
  }

  /** Awaits full redundancy of {@code volume} and returns how long it took from {@code sinceNanos}. */
  static Duration awaitRedundant(ProcessCluster cluster, String volume, int replicas, long sinceNanos,
      Duration atMost) {
    await().atMost(atMost).pollInterval(Duration.ofMillis(100))
        .until(() -> cluster.fullyRedundant(volume, replicas));
    return Duration.ofNanos(System.nanoTime() - sinceNanos);
  }
}
