package io.basalt.it.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.client.ClusterVolumeProvider;
import io.basalt.client.volume.Volume;
import io.basalt.it.check.ClusterChecker;
import io.basalt.it.check.StressResult;
import io.basalt.it.check.Stresser;
import io.basalt.it.cluster.ClusterNode;
import io.basalt.it.cluster.NodePartitions;
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.VolumeInfo;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster in network namespaces (one per process, on a private bridge) with nftables cuts between chosen
 * processes (TESTPLAN 2). Skipped, and counted as skipped, where the machine cannot make namespaces (not root).
 * F12: the owner <-> replica data channel is cut both ways while writers run (meta links intact): the owner reports
 * ReplicaFailed, meta removes the replica (epoch + 1) and the waiting writes complete within the replica write
 * timeout plus a margin; recovery copies the extent to the 4th chunk, and after healing the checker passes.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class NetworkPartitionIT {
  private static final long MiB = 1 << 20;

  @TempDir
  Path dir;

  @Test
  void cutOwnerReplicaChannelRemovesTheReplicaAndRecoveryReplacesIt() {
    try (ProcessCluster cluster = RecoveryCluster.builder(dir, 4).netns(true).start();
        ClusterVolumeProvider volumes = RecoveryCluster.volumes(cluster)) {
      assertThat(cluster.inNetworkNamespaces()).isTrue();
      assertThat(cluster.chunk(1).host()).startsWith("10.213.").endsWith(".31");
      VolumeInfo info = cluster.createVolume("vol", MiB, MiB, 3);
      Volume volume = volumes.open("vol");
      try (Stresser s = Stresser.start(volume, RecoveryCluster.load(info.getVid(), MiB, MiB, 29))) {
        await().atMost(Duration.ofSeconds(30)).until(() -> s.writesAcked() >= 300
            && cluster.extents("vol").get(0).getOwnerCid() != 0);
        ExtentInfo extent = cluster.extents("vol").get(0);
        int ownerAt = extent.getReplicasList().indexOf(extent.getOwnerCid());
        ClusterNode owner = cluster.byAddress(extent.getReplicaAddresses(ownerAt)).orElseThrow();
        int replicaCid = extent.getReplicas(ownerAt == 0 ? 1 : 0);
        ClusterNode replica = cluster.chunkByCid(replicaCid);
        NodePartitions net = cluster.partitions();

        long cutAt = System.nanoTime();
        net.cutBoth(owner, replica);
        // ReplicaFailed: the owner reports the silent replica, meta removes it (epoch + 1), writes go on
        await().atMost(Duration.ofSeconds(10)).until(() -> !cluster.extents("vol").get(0).getReplicasList()
            .contains(replicaCid));
        assertThat(net.dropped(owner, replica)).as("the cut took effect").isPositive();
        assertThat(cluster.extents("vol").get(0).getEpoch()).isGreaterThan(extent.getEpoch());
        long removedAt = s.writesAcked();
        await().atMost(Duration.ofSeconds(20)).until(() -> s.writesAcked() >= removedAt + 200);
        Duration toRedundancy = RecoveryCluster.awaitRedundant(cluster, "vol", 3, cutAt, Duration.ofSeconds(60));

        net.healAll();
        assertThat(net.active()).isEmpty();
        StressResult r = s.stop();
        System.out.printf("F12 nft cut owner<->replica: max QD1 pause %d ms, time to redundancy %d ms%n",
            r.maxPause().toMillis(), toRedundancy.toMillis());
        ClusterChecker.of(cluster, "vol").stresser(s, volume).expectedReplicas(3)
            .pauseBudget(RecoveryCluster.PAUSE_BUDGET).deaths(cluster::unexpectedDeaths)
            .onFailure(report -> cluster.collectEvidence("NetworkPartitionIT", report))
            .check();
      }
    }
  }

  @Test
  void directedCutFromTheTestJvmToOneNode() {
    try (ProcessCluster cluster = ProcessCluster.builder(dir).chunks(2).nbd(false).netns(true).start()) {
      NodePartitions net = cluster.partitions();
      ClusterNode cut = cluster.chunk(0);
      ClusterNode open = cluster.chunk(1);
      net.rules().cut(net.testJvm(), cut.host());

      assertThat(connects(cut)).as("SYN to the cut node is dropped").isFalse();
      assertThat(connects(open)).as("other nodes still reachable").isTrue();
      assertThat(net.rules().dropped(net.testJvm(), cut.host())).isPositive();
      assertThat(net.rules().dropped(cut.host(), net.testJvm())).as("the other direction untouched").isZero();

      net.healAll();
      assertThat(connects(cut)).isTrue();
    }
  }

  private static boolean connects(ClusterNode node) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(node.host(), node.port()), 1_000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
