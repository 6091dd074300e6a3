package io.basalt.it.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.client.io.ClientConfig;
import io.basalt.client.ClusterVolumeProvider;
import io.basalt.client.volume.Volume;
import io.basalt.it.check.ClusterChecker;
import io.basalt.it.check.StressConfig;
import io.basalt.it.check.StressResult;
import io.basalt.it.check.Stresser;
import io.basalt.it.cluster.ClusterNode;
import io.basalt.it.cluster.NodeRole;
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.proto.ChunkInfo;
import io.basalt.proto.ChunkStatus;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.SessionInfo;
import io.basalt.proto.SessionState;
import io.basalt.proto.VolumeInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sessions under faults that must <em>not</em> cost redundancy (TESTPLAN F04, F06): keepalive 200 ms, session
 * timeout 2 s, 4 chunks, 3 replicas, a stresser writing throughout; invariants checked after each.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SessionFaultIT {
  private static final long MiB = 1 << 20;
  static final Duration KEEPALIVE = Duration.ofMillis(200);
  static final Duration TIMEOUT = Duration.ofSeconds(2);

  @TempDir
  Path dir;

  static ProcessCluster start(Path dir) {
    return ProcessCluster.builder(dir).chunks(4).nbd(false).sessions(KEEPALIVE, TIMEOUT).start();
  }

  static StressConfig load(long vid, long seed) {
    return StressConfig.defaults(seed).withVolumeId(vid).withLayout(MiB, 2048, 8)
        .withLimits(Duration.ofSeconds(90), 0);
  }

  /** Membership per pid: what must not change when nothing is really lost. */
  static Map<Long, List<Integer>> membership(ProcessCluster cluster) {
    return cluster.extents("vol").stream().collect(Collectors.toMap(ExtentInfo::getPid,
        ExtentInfo::getReplicasList));
  }

  static Map<Long, Long> epochs(ProcessCluster cluster) {
    return cluster.extents("vol").stream().collect(Collectors.toMap(ExtentInfo::getPid, ExtentInfo::getEpoch));
  }

  static ClusterNode ownerOfFirstExtent(ProcessCluster cluster) {
    ExtentInfo e = cluster.extents("vol").get(0);
    return cluster.chunkByCid(e.getOwnerCid());
  }

  static long expiredSessions(ProcessCluster cluster) {
    return cluster.sessions().stream().filter(s -> s.getState() == SessionState.SESSION_GONE)
        .filter(s -> s.getEndReason().equals("expired")).count();
  }

  /** F04: SIGSTOP the owner for half the session timeout: no expiry, no epoch change, no recovery. */
  @Test
  void shortOwnerStopExpiresNothing() {
    try (ProcessCluster cluster = start(dir);
        ClusterVolumeProvider volumes = new ClusterVolumeProvider(cluster.metaClient(), cluster.rpc(),
            ClientConfig.defaults(), new MetricRegistry())) {
      VolumeInfo info = cluster.createVolume("vol", 8 * MiB, MiB, 3);
      Volume volume = volumes.open("vol");
      try (Stresser s = Stresser.start(volume, load(info.getVid(), 41))) {
        await().atMost(Duration.ofSeconds(30)).until(() -> s.writesAcked() >= 300
            && cluster.extents("vol").size() == 8
            && cluster.extents("vol").stream().allMatch(e -> e.getOwnerCid() != 0));
        Map<Long, List<Integer>> members = membership(cluster);
        Map<Long, Long> epochs = epochs(cluster);
        ClusterNode owner = ownerOfFirstExtent(cluster);
        long before = s.writesAcked();

        cluster.stop(owner);
        await().pollDelay(TIMEOUT.dividedBy(2)).atMost(TIMEOUT).until(() -> true);
        cluster.cont(owner);
        await().atMost(Duration.ofSeconds(20)).until(() -> s.writesAcked() >= before + 300);

        assertThat(expiredSessions(cluster)).as("no session expired").isZero();
        assertThat(membership(cluster)).as("no replica removed").isEqualTo(members);
        assertThat(epochs(cluster)).as("no epoch change").isEqualTo(epochs);
        StressResult r = s.stop();
        System.out.printf("F04 owner SIGSTOP %d ms (session timeout %d ms): max QD1 pause %d ms%n",
            TIMEOUT.toMillis() / 2, TIMEOUT.toMillis(), r.maxPause().toMillis());
        ClusterChecker.of(cluster, "vol").stresser(s, volume).expectedReplicas(3)
            .deaths(cluster::unexpectedDeaths)
            .onFailure(report -> cluster.collectEvidence("SessionFaultIT-F04", report)).check();
      }
    }
  }

  /**
   * F06 (seed incident, meta variant): SIGSTOP the meta leader for twice the session timeout. The chunks' local
   * leases run out (they cannot tell a paused leader from a partition) and they reconnect, but the leader, seeing its
   * own pause, expires no session and removes no replica.
   */
  @Test
  void pausedMetaLeaderExpiresNoSessionAndRemovesNoReplica() {
    try (ProcessCluster cluster = start(dir);
        ClusterVolumeProvider volumes = new ClusterVolumeProvider(cluster.metaClient(), cluster.rpc(),
            ClientConfig.defaults(), new MetricRegistry())) {
      VolumeInfo info = cluster.createVolume("vol", 8 * MiB, MiB, 3);
      Volume volume = volumes.open("vol");
      try (Stresser s = Stresser.start(volume, load(info.getVid(), 43))) {
        await().atMost(Duration.ofSeconds(30)).until(() -> s.writesAcked() >= 300
            && cluster.extents("vol").size() == 8);
        Map<Long, List<Integer>> members = membership(cluster);
        ClusterNode leader = cluster.awaitMetaLeader();

        cluster.stop(leader);
        await().pollDelay(TIMEOUT.multipliedBy(2)).atMost(TIMEOUT.multipliedBy(3)).until(() -> true);
        cluster.cont(leader);
        long resumedAt = s.writesAcked();
        await().atMost(Duration.ofSeconds(30)).until(() -> s.writesAcked() >= resumedAt + 300);

        assertThat(cluster.clusterStatus().getPausesCompensated()).as("the leader saw its own pause")
            .isPositive();
        assertThat(expiredSessions(cluster)).as("no chunk session expired").isZero();
        assertThat(cluster.listChunks()).extracting(ChunkInfo::getStatus).containsOnly(ChunkStatus.HEALTHY);
        assertThat(membership(cluster)).as("no replica removed").isEqualTo(members);
        assertThat(cluster.clusterStatus().getJeopardy()).isFalse();
        s.stop();
        ClusterChecker.of(cluster, "vol").stresser(s, volume).expectedReplicas(3)
            .deaths(cluster::unexpectedDeaths)
            .onFailure(report -> cluster.collectEvidence("SessionFaultIT-F06-meta", report)).check();
      }
    }
  }

  /**
   * F06 (freezer variant): SIGSTOP three of four chunks together past the session timeout: cluster jeopardy,
   * leases released but no replica removed; after SIGCONT every chunk is back HEALTHY with all its replicas.
   */
  @Test
  void massChunkStopIsJeopardyNotDataLoss() {
    try (ProcessCluster cluster = start(dir);
        ClusterVolumeProvider volumes = new ClusterVolumeProvider(cluster.metaClient(), cluster.rpc(),
            ClientConfig.defaults(), new MetricRegistry())) {
      VolumeInfo info = cluster.createVolume("vol", 8 * MiB, MiB, 3);
      Volume volume = volumes.open("vol");
      try (Stresser s = Stresser.start(volume, load(info.getVid(), 47))) {
        await().atMost(Duration.ofSeconds(30)).until(() -> s.writesAcked() >= 300
            && cluster.extents("vol").size() == 8);
        Map<Long, List<Integer>> members = membership(cluster);
        List<ClusterNode> frozen = cluster.chunks().subList(0, 3);

        frozen.forEach(cluster::stop);
        await().atMost(Duration.ofSeconds(20)).until(() -> cluster.clusterStatus().getJeopardy());
        assertThat(cluster.clusterStatus().getJeopardyReason()).contains("3 of 4");
        assertThat(cluster.clusterStatus().getHeldExpiries()).isEqualTo(3);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
            .until(() -> membership(cluster).equals(members));

        frozen.forEach(cluster::cont);
        await().atMost(Duration.ofSeconds(30)).until(() -> !cluster.clusterStatus().getJeopardy()
            && cluster.clusterStatus().getChunksHealthy() == 4);
        long resumedAt = s.writesAcked();
        await().atMost(Duration.ofSeconds(30)).until(() -> s.writesAcked() >= resumedAt + 300);
        assertThat(membership(cluster)).as("no replica removed").isEqualTo(members);
        assertThat(cluster.sessions()).filteredOn(si -> si.getState() == SessionState.SESSION_ALIVE)
            .extracting(SessionInfo::getCid).containsExactlyInAnyOrder(1, 2, 3, 4);
        s.stop();
        ClusterChecker.of(cluster, "vol").stresser(s, volume).expectedReplicas(3)
            .deaths(cluster::unexpectedDeaths)
            .onFailure(report -> cluster.collectEvidence("SessionFaultIT-F06-freeze", report)).check();
      }
    }
  }

  /**
   * F06 (failpoint variant, the seed incident's "delayed RPC"): the leader handles keepalives 3 s late
   * ({@code meta.keepalive.handle=delay(3000)}), so every chunk session expires at once: jeopardy, leases released,
   * zero replicas removed; once keepalives flow again the chunks return and the cluster serves.
   */
  @Test
  void delayedKeepaliveHandlingIsJeopardyNotDataLoss() {
    try (ProcessCluster cluster = ProcessCluster.builder(dir).chunks(4).nbd(false).sessions(KEEPALIVE, TIMEOUT)
        .args(NodeRole.META, "--test-mode").start();
        ClusterVolumeProvider volumes = new ClusterVolumeProvider(cluster.metaClient(), cluster.rpc(),
            ClientConfig.defaults(), new MetricRegistry())) {
      VolumeInfo info = cluster.createVolume("vol", 8 * MiB, MiB, 3);
      Volume volume = volumes.open("vol");
      try (Stresser s = Stresser.start(volume, load(info.getVid(), 67))) {
        await().atMost(Duration.ofSeconds(30)).until(() -> s.writesAcked() >= 300
            && cluster.extents("vol").size() == 8);
        Map<Long, List<Integer>> members = membership(cluster);
        ClusterNode leader = cluster.awaitMetaLeader();

        cluster.failpoint(leader, "meta.keepalive.handle", "8*delay(3000)");
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.logged(leader, "CLUSTER JEOPARDY"));
        // The delays block the leader's event loops, so admin calls may time out until they are used up.
        await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> !cluster.clusterStatus().getJeopardy()
            && cluster.clusterStatus().getChunksHealthy() == 4);
        assertThat(cluster.logged(leader, "expired chunk left its extents")).as("no replica removed").isFalse();
        long resumedAt = s.writesAcked();
        await().atMost(Duration.ofSeconds(30)).until(() -> s.writesAcked() >= resumedAt + 300);
        assertThat(membership(cluster)).as("no replica removed").isEqualTo(members);
        s.stop();
        ClusterChecker.of(cluster, "vol").stresser(s, volume).expectedReplicas(3)
            .deaths(cluster::unexpectedDeaths)
            .onFailure(report -> cluster.collectEvidence("SessionFaultIT-F06-delayed-rpc", report)).check();
      }
    }
  }
}
