package io.basalt.it.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.client.ClientConfig;
import io.basalt.client.ClusterVolumeProvider;
import io.basalt.client.Volume;
import io.basalt.it.check.ClusterChecker;
import io.basalt.it.check.StressConfig;
import io.basalt.it.check.Stresser;
import io.basalt.it.cluster.ClusterNode;
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.it.faults.FaultProxy;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.VolumeInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A FaultProxy on a replica's data channel (every chunk advertises its proxy): blackhole the replica's traffic
 * while writers run, so the owner's replicates to it hang until their deadline and writes to the extent stall;
 * heal, and the owner's retry queue catches the replica up. Nothing acknowledged is lost and replicas end equal.
 * (Removing the replica instead of waiting is the recovery issue's F12.)
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ReplicaChannelBlackholeIT {
  private static final long MiB = 1 << 20;

  @TempDir
  Path dir;

  @Test
  void blackholedReplicaStallsWritesThenCatchesUp() {
    try (ProcessCluster cluster = ProcessCluster.builder(dir).chunks(3).nbd(false).proxyChunks(true).start();
        ClusterVolumeProvider volumes = new ClusterVolumeProvider(cluster.metaClient(), cluster.rpc(),
            ClientConfig.defaults(), new MetricRegistry())) {
      VolumeInfo info = cluster.createVolume("vol", 4 * MiB, 4 * MiB, 3);
      Volume volume = volumes.open("vol");
      StressConfig config = StressConfig.defaults(23).withVolumeId(info.getVid()).withLayout(4 * MiB, 1024, 16)
          .withLimits(Duration.ofSeconds(60), 0);
      try (Stresser s = Stresser.start(volume, config)) {
        await().atMost(Duration.ofSeconds(30)).until(() -> s.writesAcked() >= 200
            && cluster.extents("vol").size() == 1 && cluster.extents("vol").get(0).getOwnerCid() != 0);
        ExtentInfo extent = cluster.extents("vol").get(0);
        int victimAt = extent.getReplicas(0) == extent.getOwnerCid() ? 1 : 0;
        ClusterNode victim = cluster.byAddress(extent.getReplicaAddresses(victimAt)).orElseThrow();
        FaultProxy proxy = cluster.proxy(victim);
        assertThat(proxy.stats().bytesClientToServer()).as("replication crosses the proxy").isPositive();

        proxy.blackhole();
        long dropsBefore = proxy.stats().bytesDropped();
        await().atMost(Duration.ofSeconds(20)).until(() -> proxy.stats().bytesDropped() > dropsBefore);
        long stalledAt = s.writesAcked();
        // the fault took effect: with one replica unreachable no write of the extent completes
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
            .until(() -> s.writesAcked() <= stalledAt + 16);

        proxy.pass();
        await().atMost(Duration.ofSeconds(60)).until(() -> s.writesAcked() >= stalledAt + 200);
        s.stop();
        ClusterChecker.of(cluster, "vol").stresser(s, volume).expectedReplicas(3)
            .deaths(cluster::unexpectedDeaths)
            .onFailure(report -> cluster.collectEvidence("ReplicaChannelBlackholeIT", report))
            .check();
      }
    }
  }
}
