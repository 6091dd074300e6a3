package io.basalt.it.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.client.io.ClientConfig;
import io.basalt.client.ClusterVolumeProvider;
import io.basalt.client.volume.Volume;
import io.basalt.it.check.ClusterChecker;
import io.basalt.it.check.StressConfig;
import io.basalt.it.check.Stresser;
import io.basalt.it.cluster.ClusterNode;
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.it.faults.FaultProxy;
import io.basalt.proto.ChunkInfo;
import io.basalt.proto.VolumeInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A FaultProxy on one chunk's path to the meta leader ({@code proxyMeta(true)}), its data channels untouched:
 * blackholed, the chunk's heartbeats stop reaching meta while the others' go on, and client I/O carries on (the data
 * path needs no meta while leases hold); passed again, the heartbeats resume. What meta then does about the silent
 * chunk (session expiry, fencing) is the session issue's F14.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ChunkMetaPathIT {
  private static final long MiB = 1 << 20;

  @TempDir
  Path dir;

  @Test
  void blackholedMetaPathSilencesOneChunkOnly() {
    try (ProcessCluster cluster = ProcessCluster.builder(dir).chunks(3).nbd(false).proxyMeta(true).start();
        ClusterVolumeProvider volumes = new ClusterVolumeProvider(cluster.metaClient(), cluster.rpc(),
            ClientConfig.defaults(), new MetricRegistry())) {
      VolumeInfo info = cluster.createVolume("vol", 4 * MiB, 4 * MiB, 3);
      Volume volume = volumes.open("vol");
      ClusterNode silenced = cluster.chunk(0);
      FaultProxy metaPath = cluster.metaProxy(silenced);
      assertThat(metaPath.stats().bytesClientToServer()).as("registration crossed the proxy").isPositive();
      StressConfig config = StressConfig.defaults(31).withVolumeId(info.getVid()).withLayout(4 * MiB, 1024, 16)
          .withLimits(Duration.ofSeconds(60), 0);
      try (Stresser s = Stresser.start(volume, config)) {
        await().atMost(Duration.ofSeconds(30)).until(() -> s.writesAcked() >= 100);

        metaPath.blackhole();
        await().atMost(Duration.ofSeconds(20)).until(() -> lastSeenMs(cluster, silenced) > 4_000);
        assertThat(cluster.listChunks()).filteredOn(c -> c.getCid() != cid(cluster, silenced))
            .allSatisfy(c -> assertThat(c.getLastSeenMs()).isBetween(0L, 3_000L));
        assertThat(metaPath.stats().bytesDropped()).isPositive();
        long before = s.writesAcked();
        await().atMost(Duration.ofSeconds(20)).until(() -> s.writesAcked() >= before + 100);

        metaPath.pass();
        await().atMost(Duration.ofSeconds(30)).until(() -> { long age = lastSeenMs(cluster, silenced); return age >= 0 && age < 3_000; });
        s.stop();
        ClusterChecker.of(cluster, "vol").stresser(s, volume).expectedReplicas(3)
            .deaths(cluster::unexpectedDeaths)
            .onFailure(report -> cluster.collectEvidence("ChunkMetaPathIT", report))
            .check();
      }
    }
  }

  private static int cid(ProcessCluster cluster, ClusterNode chunk) {
    return cluster.listChunks().stream().filter(c -> c.getAddress().equals(chunk.advertisedAddress()))
        .mapToInt(ChunkInfo::getCid).findFirst().orElseThrow();
  }

  private static long lastSeenMs(ProcessCluster cluster, ClusterNode chunk) {
    return cluster.listChunks().stream().filter(c -> c.getAddress().equals(chunk.advertisedAddress()))
        .mapToLong(ChunkInfo::getLastSeenMs).findFirst().orElseThrow();
  }
}
