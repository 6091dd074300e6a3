package io.basalt.it.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
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
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.proto.AllocateExtentRequest;
import io.basalt.proto.ChunkInfo;
import io.basalt.proto.ChunkStatus;
import io.basalt.proto.Envelope;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.SessionState;
import io.basalt.proto.VolumeInfo;
import io.basalt.rpc.BasaltException;
import io.basalt.session.MetaClient;
import io.basalt.session.ZkMetaLocator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Meta failover with three meta servers on a three-member ZooKeeper ensemble (issue 12 point 5, TESTPLAN F07-F11),
 * at the default session timings (keepalive 1 s, session timeout 10 s) and the default ZooKeeper session timeout,
 * with a stresser writing throughout. The data path must not notice: leases live on the chunks, so no QD1 write
 * pauses for more than a second, no chunk session expires and no replica leaves its extent. Each test walks several
 * faults on one cluster (the invariants are checked after each), so the suite stays inside the CI budget.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class MetaFailoverIT {
  private static final long MiB = 1 << 20;
  /** The longest QD1 write pause a meta failover may cause (issue 12, 5a-c). */
  static final Duration PAUSE_BUDGET = Duration.ofSeconds(1);
  /** Session timeout of the cluster under test (the default). */
  static final Duration SESSION_TIMEOUT = Duration.ofSeconds(10);
  /**
   * Leader kill -9 to the first allocation served by the new leader: the dead leader's ZooKeeper session must expire
   * (the default ZooKeeper session timeout, 4 s) before a follower wins the latch, loads and publishes itself.
   */
  static final Duration FAILOVER_BOUND = Duration.ofSeconds(12);

  @TempDir
  Path dir;

  static ProcessCluster start(Path dir) {
    return ProcessCluster.builder(dir).zookeepers(3).metas(3).chunks(3).nbd(false).start();
  }

  static StressConfig load(long vid, long seed, Duration duration) {
    return StressConfig.defaults(seed).withVolumeId(vid).withLayout(MiB, 2048, 8).withLimits(duration, 0);
  }

  static Map<Long, List<Integer>> membership(ProcessCluster cluster) {
    return cluster.extents("vol").stream().collect(Collectors.toMap(ExtentInfo::getPid,
        ExtentInfo::getReplicasList));
  }

  static long expiredSessions(ProcessCluster cluster) {
    return cluster.sessions().stream().filter(s -> s.getState() == SessionState.SESSION_GONE)
        .filter(s -> s.getEndReason().equals("expired")).count();
  }

  /** Allocates extent {@code index} of volume {@code vid} through whichever meta leads (MetaClient follows it). */
  static void allocate(ProcessCluster cluster, long vid, int index) {
    cluster.metaClient().callSync(Envelope.newBuilder().setAllocateExtent(AllocateExtentRequest.newBuilder()
        .setVid(vid).setIndex(index)));
  }

  static void assertNothingLost(ProcessCluster cluster, Map<Long, List<Integer>> members) {
    assertThat(expiredSessions(cluster)).as("no chunk session expired").isZero();
    assertThat(cluster.listChunks()).extracting(ChunkInfo::getStatus).containsOnly(ChunkStatus.HEALTHY);
    assertThat(membership(cluster)).as("no replica removed").isEqualTo(members);
  }

  /**
   * 5a / F07: kill -9 the leader during writes, five times (the killed one restarts as a follower); prints each
   * failover time (kill to the first allocation served by the new leader) and their median. 5e: then kill every meta
   * server and start them again. 5f / F10, F11: then kill the ZooKeeper leader (invisible), then a second member (no
   * quorum: allocations get a retryable error, leased extents serve on as long as their leases last), and restart
   * both: everything resumes.
   */
  @Test
  void killedLeadersRestartedMetasAndZooKeeperFaults() {
    try (ProcessCluster cluster = start(dir);
        ClusterVolumeProvider volumes = new ClusterVolumeProvider(cluster.metaClient(), cluster.rpc(),
            ClientConfig.defaults(), new MetricRegistry())) {
      VolumeInfo info = cluster.createVolume("vol", 8 * MiB, MiB, 3);
      VolumeInfo probe = cluster.createVolume("probe", 16 * MiB, MiB, 3);
      Volume volume = volumes.open("vol");
      try (Stresser s = Stresser.start(volume, load(info.getVid(), 71, Duration.ofMinutes(5)))) {
        await().atMost(Duration.ofSeconds(60)).until(() -> s.writesAcked() >= 300
            && cluster.extents("vol").size() == 8);
        Map<Long, List<Integer>> members = membership(cluster);
        int probeIndex = 0;

        List<Long> failoverMs = new ArrayList<>();
        ClusterNode restarting = null;
        s.restartPauseWindow(); // each case's pause is measured from its fault on
        for (int round = 0; round < 5; round++) {
          if (restarting != null) {
            cluster.awaitReady(restarting); // the previous victim follows again: two standbys for this kill
          }
          ClusterNode leader = cluster.awaitMetaLeader();
          long killedAt = System.nanoTime();
          cluster.kill9(leader);
          allocate(cluster, probe.getVid(), probeIndex++);
          long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
          failoverMs.add(ms);
          ClusterNode next = cluster.awaitMetaLeader();
          assertThat(next).as("a follower leads").isNotSameAs(leader);
          System.out.printf("F07 round %d: leader %s killed, %s leads, first allocation after %d ms%n", round,
              leader.address(), next.address(), ms);
          cluster.start(leader);
          restarting = leader;
        }
        cluster.awaitReady(restarting);
        awaitWrites(s, 200);
        List<Long> sorted = new ArrayList<>(failoverMs);
        Collections.sort(sorted);
        Duration pause = s.snapshot().maxPause();
        System.out.printf("F07 failover (kill -9 to first allocation) ms: %s, median %d; max QD1 pause %d ms%n",
            failoverMs, sorted.get(2), pause.toMillis());
        assertThat(sorted).as("failover time").allSatisfy(ms -> assertThat(ms).isLessThan(FAILOVER_BOUND.toMillis()));
        assertThat(pause).as("longest QD1 write pause, leader killed").isLessThan(PAUSE_BUDGET);
        assertNothingLost(cluster, members);

        // 5e: every meta server at once
        List<ExtentInfo> before = cluster.extents("vol");
        s.restartPauseWindow();
        cluster.metas().forEach(cluster::kill9);
        cluster.metas().forEach(cluster::start);
        cluster.metas().forEach(cluster::awaitReady);
        allocate(cluster, probe.getVid(), probeIndex++);
        awaitWrites(s, 200);
        pause = s.snapshot().maxPause();
        System.out.printf("all metas restarted: max QD1 pause %d ms%n", pause.toMillis());
        assertThat(cluster.extents("vol")).extracting(ExtentInfo::getPid)
            .containsExactlyElementsOf(before.stream().map(ExtentInfo::getPid).toList());
        // No pause budget here (the issue sets none for 5e): no meta extends a lease until the restarted ones have
        // elected and loaded, so on a loaded machine an owner near the end of its lease may step down meanwhile.
        // What must hold is that nothing expires and nothing is removed.
        assertThat(pause).as("longest QD1 write pause, all metas restarted").isLessThan(SESSION_TIMEOUT);
        assertNothingLost(cluster, members);

        // 5f / F10: the ZooKeeper leader dies; the other two elect a new one, the meta leader keeps leading
        ClusterNode metaLeader = cluster.awaitMetaLeader();
        ClusterNode zkLeader = cluster.awaitZookeeperLeader();
        s.restartPauseWindow();
        cluster.kill9(zkLeader);
        allocate(cluster, probe.getVid(), probeIndex++);
        assertThat(cluster.awaitMetaLeader()).as("no meta leader change").isSameAs(metaLeader);
        awaitWrites(s, 200);
        pause = s.snapshot().maxPause();
        System.out.printf("F10 ZooKeeper leader %s killed: max QD1 pause %d ms%n", zkLeader.address(),
            pause.toMillis());
        assertThat(pause).as("one ZooKeeper member lost is invisible").isLessThan(PAUSE_BUDGET);

        // 5f / F11: a second member dies, no quorum: metadata changes get a retryable error, leased extents serve on
        ClusterNode second = cluster.zookeepers().stream().filter(z -> z != zkLeader).findFirst().orElseThrow();
        s.restartPauseWindow();
        cluster.kill9(second);
        long lostAt = System.nanoTime();
        try (ZkMetaLocator locator = ZkMetaLocator.connect(cluster.zkAddress(), cluster.clusterName());
            MetaClient impatient = new MetaClient(locator, cluster.rpc(), Duration.ofSeconds(1),
                Duration.ofSeconds(3))) {
          int index = probeIndex++;
          BasaltException refused = catchThrowableOfType(BasaltException.class, () -> impatient.callSync(
              Envelope.newBuilder().setAllocateExtent(AllocateExtentRequest.newBuilder().setVid(probe.getVid())
                  .setIndex(index))));
          assertThat(refused).as("an allocation without a ZooKeeper quorum fails").isNotNull();
          System.out.printf("F11 allocation without quorum: %s%n", refused.getMessage());
          assertThat(refused.retryable()).as("and says to retry: " + refused.getMessage()).isTrue();
        }
        long during = s.writesAcked();
        await("leased extents keep serving").atMost(Duration.ofSeconds(5)).until(() -> s.writesAcked() >= during + 50);
        System.out.printf("F11 writes acknowledged in the first %d ms without quorum: %d%n",
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lostAt), s.writesAcked() - during);
        cluster.start(second);
        cluster.start(zkLeader);
        cluster.awaitReady(second);
        cluster.awaitReady(zkLeader);
        long backAt = System.nanoTime();
        allocate(cluster, probe.getVid(), probeIndex++);
        System.out.printf("F11 quorum lost for %d ms; first allocation %d ms after it returned%n",
            TimeUnit.NANOSECONDS.toMillis(backAt - lostAt), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - backAt));
        awaitWrites(s, 200);
        StressResult r = s.stop();
        System.out.printf("F11: max QD1 pause %d ms (the leases ran out while no quorum extended them)%n",
            r.maxPause().toMillis());
        assertNothingLost(cluster, members);
        ClusterChecker.of(cluster, "vol").stresser(s, volume).expectedReplicas(3)
            .deaths(cluster::unexpectedDeaths)
            .onFailure(report -> cluster.collectEvidence("MetaFailoverIT-kill", report)).check();
      }
    }
  }

  /**
   * 5b / F09 (pause variant): SIGSTOP the leader for three session timeouts, then SIGCONT. 5c: then drop all traffic
   * to and from the new leader's address for 30 s (nftables; every node in its own network namespace), then heal.
   * Each time a follower takes over; no chunk session expires, no replica is removed, no QD1 write pauses beyond a
   * second; the old leader, back, decides nothing (it verifies its leadership, finds it gone and follows).
   */
  @Test
  void pausedAndBlackHoledLeadersAreReplacedAndDecideNothingWhenBack() {
    try (ProcessCluster cluster = ProcessCluster.builder(dir).zookeepers(3).metas(3).chunks(3).nbd(false)
        .netns(true).start();
        ClusterVolumeProvider volumes = new ClusterVolumeProvider(cluster.metaClient(), cluster.rpc(),
            ClientConfig.defaults(), new MetricRegistry())) {
      VolumeInfo info = cluster.createVolume("vol", 8 * MiB, MiB, 3);
      VolumeInfo probe = cluster.createVolume("probe", 16 * MiB, MiB, 3);
      Volume volume = volumes.open("vol");
      try (Stresser s = Stresser.start(volume, load(info.getVid(), 73, Duration.ofMinutes(4)))) {
        await().atMost(Duration.ofSeconds(60)).until(() -> s.writesAcked() >= 300
            && cluster.extents("vol").size() == 8);
        Map<Long, List<Integer>> members = membership(cluster);

        // 5b: SIGSTOP for 3 session timeouts
        ClusterNode paused = cluster.awaitMetaLeader();
        s.restartPauseWindow();
        long stoppedAt = System.nanoTime();
        cluster.stop(paused);
        allocate(cluster, probe.getVid(), 0);
        System.out.printf("F09 pause: leader %s stopped, first allocation by the new leader after %d ms%n",
            paused.address(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt));
        ClusterNode next = cluster.awaitMetaLeader();
        assertThat(next).isNotSameAs(paused);
        await().pollDelay(SESSION_TIMEOUT.multipliedBy(3)).atMost(SESSION_TIMEOUT.multipliedBy(4)).until(() -> true);
        cluster.cont(paused);
        await("the old leader follows").atMost(Duration.ofSeconds(30))
            .until(() -> cluster.logged(paused, "-> FOLLOWER"));
        allocate(cluster, probe.getVid(), 1);
        awaitWrites(s, 200);
        Duration pause = s.snapshot().maxPause();
        System.out.printf("F09 pause: max QD1 pause %d ms%n", pause.toMillis());
        assertThat(cluster.awaitMetaLeader()).as("the woken leader did not take back the lead").isSameAs(next);
        assertThat(cluster.logged(paused, "commit failed")).as("the woken leader attempted no metadata write")
            .isFalse();
        assertThat(pause).as("longest QD1 write pause, leader paused").isLessThan(PAUSE_BUDGET);
        assertNothingLost(cluster, members);

        // 5c: black-hole the current leader for 30 s
        ClusterNode cut = next;
        var net = cluster.partitions();
        s.restartPauseWindow();
        long cutAt = System.nanoTime();
        net.isolate(cut);
        net.cutFromTestJvm(cut);
        allocate(cluster, probe.getVid(), 2);
        System.out.printf("black-holed leader %s: first allocation by the new leader after %d ms%n", cut.address(),
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt));
        await().pollDelay(Duration.ofSeconds(30)).atMost(Duration.ofSeconds(40)).until(() -> true);
        net.healAll();
        await("the cut-off leader follows").atMost(Duration.ofSeconds(30))
            .until(() -> cluster.logged(cut, "-> FOLLOWER"));
        allocate(cluster, probe.getVid(), 3);
        awaitWrites(s, 200);
        StressResult r = s.stop();
        System.out.printf("black-holed leader: max QD1 pause %d ms%n", r.maxPause().toMillis());
        assertThat(cluster.awaitMetaLeader()).as("the healed leader did not take back the lead").isNotSameAs(cut);
        assertThat(cluster.logged(cut, "commit failed")).as("the cut-off leader attempted no metadata write")
            .isFalse();
        assertThat(r.maxPause()).as("longest QD1 write pause").isLessThan(PAUSE_BUDGET);
        assertNothingLost(cluster, members);
        ClusterChecker.of(cluster, "vol").stresser(s, volume).expectedReplicas(3)
            .deaths(cluster::unexpectedDeaths)
            .onFailure(report -> cluster.collectEvidence("MetaFailoverIT-pause", report)).check();
      }
    }
  }

  /** Waits until {@code n} more writes were acknowledged: the data path runs after a fault. */
  static void awaitWrites(Stresser s, int n) {
    long acked = s.writesAcked();
    await().atMost(Duration.ofSeconds(30)).until(() -> s.writesAcked() >= acked + n);
  }
}
