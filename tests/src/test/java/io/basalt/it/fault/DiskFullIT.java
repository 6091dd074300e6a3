package io.basalt.it.fault;

import static io.basalt.it.fault.RecoveryCluster.MiB;
import static io.basalt.it.fault.RecoveryCluster.PAUSE_BUDGET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.client.ClusterVolumeProvider;
import io.basalt.client.volume.Volume;
import io.basalt.it.check.StressResult;
import io.basalt.it.check.Stresser;
import io.basalt.it.cluster.ClusterNode;
import io.basalt.it.cluster.NodeRole;
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.proto.ChunkInfo;
import io.basalt.proto.VolumeInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * TESTPLAN F16: one chunk's data directory is a small tmpfs, filled up with {@code fallocate} under a stresser. The
 * chunk hits NO_SPACE (an ENOSPC, or usable space below its reserve), says so to meta and is shown full; its replicas
 * move to the spare chunk and redundancy comes back; no client write fails (spare chunks exist); nothing acknowledged
 * is lost (the checker); the process stays up; once the fill is deleted it has room again.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DiskFullIT {
  /**
   * Room for RocksDB (its WAL is preallocated at 1.1 x the 32 MiB memtable), the chunk's replicas and the reserve,
   * and small enough to fill in a blink.
   */
  private static final int TMPFS_MIB = 128;
  /** The chunk is full below 8 MiB usable, has room again at 16 MiB: more than its replicas free when deleted. */
  private static final String RESERVE = "8MiB";

  @TempDir
  Path dir;

  @Test
  void aFullDiskMovesItsReplicasWithoutAClientErrorAndRecoversWhenSpaceIsFreed() throws Exception {
    // chunk-0's data directory (ProcessClusterBuilder: <base>/chunk-<i>) is the small disk, mounted before it starts
    try (SmallDisk disk = SmallDisk.mount(dir.resolve("chunk-0"), TMPFS_MIB);
        ProcessCluster cluster = RecoveryCluster.builder(dir, 4).args(NodeRole.CHUNK, "--disk-reserve", RESERVE)
            .start();
        ClusterVolumeProvider volumes = RecoveryCluster.volumes(cluster)) {
      VolumeInfo info = cluster.createVolume("vol", 4 * MiB, MiB, 3);
      Volume volume = volumes.open("vol");
      try (Stresser s = Stresser.start(volume, RecoveryCluster.load(info.getVid(), MiB, 4 * MiB, 97))) {
        RecoveryCluster.awaitOwners(cluster, "vol", 4);
        await().atMost(Duration.ofSeconds(30)).until(() -> s.writesAcked() >= 300);
        ClusterNode node = cluster.chunk(0);
        int cid = RecoveryCluster.cidOf(cluster, node);
        Set<Long> written = RecoveryCluster.pidsWithMember(cluster, "vol", cid);
        assertThat(written).as("the small disk's chunk holds replicas being written").isNotEmpty();
        assertThat(chunk(cluster, cid).getFull()).isFalse();
        StressResult before = s.snapshot();
        long usableBefore = disk.usableBytes();

        long faultAt = System.nanoTime();
        long filled = disk.fill();
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
            .until(() -> chunk(cluster, cid).getFull());
        long fullSeenMs = Duration.ofNanos(System.nanoTime() - faultAt).toMillis();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
            .until(() -> RecoveryCluster.gone(cluster, "vol", cid));
        long movedMs = Duration.ofNanos(System.nanoTime() - faultAt).toMillis();
        Duration toRedundancy = RecoveryCluster.awaitRedundant(cluster, "vol", 3, faultAt, Duration.ofSeconds(60));
        long readsAtRedundancy = s.readsChecked();
        await().atMost(Duration.ofSeconds(10)).until(() -> s.readsChecked() > readsAtRedundancy + 20);

        StressResult during = s.snapshot();
        assertThat(node.isAlive()).as("the full chunk's process stays up").isTrue();
        assertThat(cluster.metric(node, "basalt_chunk_disk_full")).isEqualTo(1);
        assertThat(chunk(cluster, cid).getFull()).as("still full: the fill is still there").isTrue();
        assertThat(during.writesFailed() - before.writesFailed()).as("client write errors (spare chunks exist)")
            .isZero();
        double noSpaceErrors = cluster.metric(node, "basalt_chunk_no_space_errors");

        disk.free();
        long freedAt = System.nanoTime();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
            .until(() -> !chunk(cluster, cid).getFull());
        long roomMs = Duration.ofNanos(System.nanoTime() - freedAt).toMillis();
        assertThat(cluster.metric(node, "basalt_chunk_disk_full")).isZero();

        System.out.printf("F16 disk full: tmpfs %d MiB (%d MiB usable before, %d MiB filled), full at meta after %d"
            + " ms, out of every extent after %d ms (was in %d), time to redundancy %d ms, ENOSPC errors %.0f, client"
            + " write errors %d, in doubt %d (timed out %d), room again %d ms after the fill was deleted%n",
            TMPFS_MIB, usableBefore / MiB, filled / MiB, fullSeenMs, movedMs, written.size(),
            toRedundancy.toMillis(), noSpaceErrors, during.writesFailed() - before.writesFailed(),
            during.writesInDoubt() - before.writesInDoubt(), during.writesTimedOut() - before.writesTimedOut(),
            roomMs);
        RecoveryCluster.check(cluster, s, volume, "DiskFullIT-F16", PAUSE_BUDGET);
      }
    }
  }

  private static ChunkInfo chunk(ProcessCluster cluster, int cid) {
    return cluster.listChunks().stream().filter(c -> c.getCid() == cid).findFirst().orElseThrow();
  }
}
