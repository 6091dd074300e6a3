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
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.proto.VolumeInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, point 4 under TESTPLAN F02: reads see only what may be seen. The owner applies a write locally and then
 * hangs before sending it to any member (failpoint {@code chunk.owner.before-replicate-send}), while readers keep
 * reading the same few blocks; then the owner is killed. The write was never on a member, so the next owner does not
 * have it: a reader that had been served it would next read the older value again (new-then-old, an I1 violation
 * the checker's read rules catch). With the fix those reads wait for the write, fail with the owner and are served
 * again by the next owner.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class UnacknowledgedReadIT {
  private static final long MiB = 1 << 20;
  /**
   * The hung write gives up (in doubt) before the owner is killed, so no retry of it can land on the next owner
   * and make what a reader was served there true after all.
   */
  private static final ClientConfig CLIENT = ClientConfig.defaults().withCallDeadline(Duration.ofSeconds(1))
      .withIoDeadline(Duration.ofSeconds(2));

  @TempDir
  Path dir;

  @Test
  void aWriteTheOwnerNeverReplicatedIsNeverReadBeforeItIsLost() {
    try (ProcessCluster cluster = SessionFaultIT.start(dir);
        ClusterVolumeProvider volumes = new ClusterVolumeProvider(cluster.metaClient(), cluster.rpc(), CLIENT,
            new MetricRegistry())) {
      VolumeInfo info = cluster.createVolume("vol", MiB, MiB, 3);
      Volume volume = volumes.open("vol");
      // One extent, 4 writers on 8 blocks, 4 readers flat out on the same blocks.
      StressConfig config = StressConfig.defaults(83).withVolumeId(info.getVid()).withLayout(MiB, 8, 1)
          .withWorkers(4, false, 4).withRates(200, 0).withLimits(Duration.ofSeconds(120), 0);
      try (Stresser s = Stresser.start(volume, config)) {
        await().atMost(Duration.ofSeconds(30)).until(() -> s.writesAcked() >= 300
            && cluster.extents("vol").get(0).getOwnerCid() != 0);
        int oldCid = cluster.extents("vol").get(0).getOwnerCid();
        ClusterNode owner = cluster.chunkByCid(oldCid);

        cluster.failpoint(owner, "chunk.owner.before-replicate-send", "hang");
        long heldAt = s.writesAcked();
        // the fault took effect: writes stop being acknowledged, while reads go on
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.logged(owner,
            "failpoint chunk.owner.before-replicate-send fired"));
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(10))
            .until(() -> s.writesAcked() <= heldAt + 4);
        // past the client's I/O deadline: the hung write failed in doubt and is not retried any more
        await().atMost(Duration.ofSeconds(10)).until(() -> s.writesInDoubt() > 0);
        double held = cluster.metric(owner, "basalt_chunk_read_held_for_writes");
        cluster.kill9(owner);
        long killedAt = s.writesAcked();
        await().atMost(Duration.ofSeconds(30)).until(() -> s.violated() || s.writesAcked() >= killedAt + 300
            && cluster.extents("vol").get(0).getOwnerCid() != 0
            && cluster.extents("vol").get(0).getOwnerCid() != oldCid);
        await().atMost(Duration.ofSeconds(60)).until(() -> s.violated() || cluster.fullyRedundant("vol", 3));
        StressResult r = s.stop();
        System.out.printf("unacknowledged reads: %d reads checked, %d writes in doubt%n", r.readsChecked(),
            r.writesInDoubt());
        ClusterChecker.of(cluster, "vol").stresser(s, volume).expectedReplicas(3)
            .deaths(cluster::unexpectedDeaths)
            .onFailure(report -> cluster.collectEvidence("UnacknowledgedReadIT", report)).check();
        assertThat(held).as("reads of the hung write's block were held").isPositive();
      }
    }
  }
}
