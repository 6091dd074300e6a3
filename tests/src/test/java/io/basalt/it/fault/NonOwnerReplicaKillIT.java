package io.basalt.it.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.codahale.metrics.MetricRegistry;
import io.basalt.client.ClientConfig;
import io.basalt.client.ClusterVolumeProvider;
import io.basalt.client.Volume;
import io.basalt.it.check.ClusterChecker;
import io.basalt.it.check.StressConfig;
import io.basalt.it.check.StressResult;
import io.basalt.it.check.Stresser;
import io.basalt.it.cluster.ClusterNode;
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.VolumeInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * First fault case of the harness (the point 6; TESTPLAN F01 without recovery yet): kill -9 a chunk that
 * holds replicas but owns no extent while writers run, keep it down for a while, restart it. Writes to its
 * extents stall while it is down (the owner retries replication until it returns: recovery comes with a later
 * issue), then resume; every acknowledged write survives on every replica and the replicas end identical.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class NonOwnerReplicaKillIT {
  private static final long MiB = 1 << 20;

  @TempDir
  Path dir;

  @Test
  void killAndRestartANonOwnerReplicaDuringWrites() {
    try (ProcessCluster cluster = ProcessCluster.builder(dir).chunks(4).nbd(false).start();
        ClusterVolumeProvider volumes = new ClusterVolumeProvider(cluster.metaClient(), cluster.rpc(),
            ClientConfig.defaults(), new MetricRegistry())) {
      // Two 4 MiB extents: two owners among four chunks, so some chunk holds replicas and owns nothing.
      VolumeInfo info = cluster.createVolume("vol", 8 * MiB, 4 * MiB, 3);
      Volume volume = volumes.open("vol");
      StressConfig config = StressConfig.defaults(11).withVolumeId(info.getVid())
          .withLayout(4 * MiB, 2048, 16).withLimits(Duration.ofSeconds(60), 0)
          .withHistory(dir.resolve("history.txt"), 200_000);
      try (Stresser s = Stresser.start(volume, config)) {
        await().atMost(Duration.ofSeconds(30)).until(() -> s.writesAcked() >= 200
            && cluster.extents("vol").size() == 2);   // load flows and both extents exist: not vacuous
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.extents("vol").stream()
            .allMatch(e -> e.getOwnerCid() != 0));
        ClusterNode victim = nonOwnerReplica(cluster, cluster.extents("vol"));

        cluster.kill9(victim);
        long ackedAtKill = s.writesAcked();
        // The fault takes effect: writers keep going on nothing but in-doubt/pending writes for a while.
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> !victim.isAlive());
        cluster.start(victim);
        cluster.awaitReady(victim);
        await().atMost(Duration.ofSeconds(60)).until(() -> s.writesAcked() >= ackedAtKill + 200); // resumed
        StressResult r = s.stop();
        assertThat(r.writesAcked()).isGreaterThan(400);

        ClusterChecker.of(cluster, "vol").stresser(s, volume).expectedReplicas(3)
            .deaths(cluster::unexpectedDeaths)
            .onFailure(report -> cluster.collectEvidence("NonOwnerReplicaKillIT", report))
            .check();
      }
    }
  }

  /** A live chunk that is a replica of some extent and owner of none. */
  private static ClusterNode nonOwnerReplica(ProcessCluster cluster, List<ExtentInfo> extents) {
    Set<Integer> owners = extents.stream().map(ExtentInfo::getOwnerCid).collect(Collectors.toSet());
    for (ExtentInfo e : extents) {
      for (int i = 0; i < e.getReplicasCount(); i++) {
        if (!owners.contains(e.getReplicas(i))) {
          String address = e.getReplicaAddresses(i);
          return cluster.byAddress(address).orElseThrow(() -> new AssertionError("no node at " + address));
        }
      }
    }
    throw new AssertionError("every replica is an owner: " + extents);
  }
}
