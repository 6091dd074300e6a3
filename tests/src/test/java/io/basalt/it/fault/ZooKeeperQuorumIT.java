package io.basalt.it.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.client.ClientConfig;
import io.basalt.client.ClusterVolumeProvider;
import io.basalt.client.Volume;
import io.basalt.it.check.ClusterChecker;
import io.basalt.it.check.StressResult;
import io.basalt.it.check.Stresser;
import io.basalt.it.cluster.ClusterNode;
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.proto.AllocateExtentRequest;
import io.basalt.proto.Envelope;
import io.basalt.proto.VolumeInfo;
import io.basalt.rpc.BasaltException;
import io.basalt.session.MetaClient;
import io.basalt.session.ZkMetaLocator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ZooKeeper ensemble under faults (issue 12 5f, TESTPLAN F10, F11): three members, three meta servers, default
 * session timings, a stresser writing throughout. One member lost is invisible; a quorum lost stops metadata
 * changes (allocations get a retryable error) while extents with live leases keep serving; when the members return
 * everything resumes and nothing acknowledged is lost.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class ZooKeeperQuorumIT {
  private static final long MiB = 1 << 20;

  @TempDir
  Path dir;

  @Test
  void oneMemberLostIsInvisibleAndAQuorumLostOnlyStopsMetadataChanges() throws Exception {
    try (ProcessCluster cluster = MetaFailoverIT.start(dir);
        ClusterVolumeProvider volumes = new ClusterVolumeProvider(cluster.metaClient(), cluster.rpc(),
            ClientConfig.defaults(), new MetricRegistry())) {
      VolumeInfo info = cluster.createVolume("vol", 8 * MiB, MiB, 3);
      VolumeInfo probe = cluster.createVolume("probe", 16 * MiB, MiB, 3);
      Volume volume = volumes.open("vol");
      try (Stresser s = Stresser.start(volume, MetaFailoverIT.load(info.getVid(), 83, Duration.ofMinutes(4)))) {
        await().atMost(Duration.ofSeconds(60)).until(() -> s.writesAcked() >= 300
            && cluster.extents("vol").size() == 8);
        Map<Long, List<Integer>> members = MetaFailoverIT.membership(cluster);
        ClusterNode metaLeader = cluster.awaitMetaLeader();

        // F10: the ZooKeeper leader dies; the other two elect a new one and the meta leader keeps leading
        ClusterNode zkLeader = cluster.awaitZookeeperLeader();
        cluster.kill9(zkLeader);
        MetaFailoverIT.allocate(cluster, probe.getVid(), 0);
        assertThat(cluster.awaitMetaLeader()).as("no meta leader change").isSameAs(metaLeader);
        long acked = s.writesAcked();
        await().atMost(Duration.ofSeconds(20)).until(() -> s.writesAcked() >= acked + 200);
        StressResult one = s.snapshot();
        System.out.printf("F10 ZooKeeper leader %s killed: max QD1 pause so far %d ms%n", zkLeader.address(),
            one.maxPause().toMillis());
        assertThat(one.maxPause()).as("one member lost is invisible").isLessThan(MetaFailoverIT.PAUSE_BUDGET);

        // F11: a second member dies: no quorum. Metadata changes get a retryable error, leased extents serve on.
        ClusterNode second = cluster.zookeepers().stream().filter(z -> z != zkLeader).findFirst().orElseThrow();
        cluster.kill9(second);
        long lostAt = System.nanoTime();
        try (ZkMetaLocator locator = ZkMetaLocator.connect(cluster.zkAddress(), cluster.clusterName());
            MetaClient impatient = new MetaClient(locator, cluster.rpc(), Duration.ofSeconds(1),
                Duration.ofSeconds(3))) {
          BasaltException refused = catchThrowableOfType(BasaltException.class, () -> impatient.callSync(
              Envelope.newBuilder().setAllocateExtent(AllocateExtentRequest.newBuilder().setVid(probe.getVid())
                  .setIndex(1))));
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
        MetaFailoverIT.allocate(cluster, probe.getVid(), 2);
        System.out.printf("F11 quorum back: first allocation after %d ms%n",
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - backAt));
        long resumed = s.writesAcked();
        await().atMost(Duration.ofSeconds(30)).until(() -> s.writesAcked() >= resumed + 200);
        StressResult r = s.stop();
        System.out.printf("F11 quorum lost for %d ms: max QD1 pause %d ms%n",
            TimeUnit.NANOSECONDS.toMillis(backAt - lostAt), r.maxPause().toMillis());
        MetaFailoverIT.assertNothingLost(cluster, members);
        ClusterChecker.of(cluster, "vol").stresser(s, volume).expectedReplicas(3)
            .deaths(cluster::unexpectedDeaths)
            .onFailure(report -> cluster.collectEvidence("ZooKeeperQuorumIT", report)).check();
      }
    }
  }
}
