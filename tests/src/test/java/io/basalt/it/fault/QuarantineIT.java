package io.basalt.it.fault;

import static io.basalt.it.fault.RecoveryCluster.MiB;
import static io.basalt.it.fault.RecoveryCluster.PAUSE_BUDGET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.client.ClusterVolumeProvider;
import io.basalt.client.volume.Volume;
import io.basalt.it.check.Stresser;
import io.basalt.it.cluster.ClusterNode;
import io.basalt.it.cluster.ProcessCluster;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.QuarantineReport;
import io.basalt.proto.VolumeInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicas whose state is in doubt leave service, under a stresser on every extent (issue 13), and the checker
 * finds every acknowledged write afterwards:
 * <ul>
 *   <li>TESTPLAN F25 (seed 2): an exception in one extent's apply path, on the chunk that owns it. Only that replica
 *       is quarantined (evidence kept on the chunk), meta removes it and recovery restores 3 replicas elsewhere; the
 *       other extents see no error and the chunk process stays up.</li>
 *   <li>TESTPLAN F17 (fsyncgate): a member's WAL sync fails. Its store fails for good, it leaves every extent and is
 *       replaced; no FLUSH is acknowledged while it is still a member. Injected twice: by the failpoint around the
 *       WAL sync, and by {@code strace -e inject=fdatasync:error=EIO} attached to the member's JVM (the system call
 *       RocksDB's WAL sync and our slot file sync make on Linux).</li>
 * </ul>
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class QuarantineIT {
  @TempDir
  Path dir;

  @Test
  void anExceptionInOneExtentsApplyQuarantinesThatReplicaOnly() {
    try (ProcessCluster cluster = RecoveryCluster.builder(dir, 4).start();
        ClusterVolumeProvider volumes = RecoveryCluster.volumes(cluster)) {
      VolumeInfo info = cluster.createVolume("vol", 8 * MiB, 2 * MiB, 3);
      Volume volume = volumes.open("vol");
      try (Stresser s = Stresser.start(volume, RecoveryCluster.load(info.getVid(), 2 * MiB, 8 * MiB, 91))) {
        RecoveryCluster.awaitOwners(cluster, "vol", 4);
        await().atMost(Duration.ofSeconds(60)).until(() -> s.writesAcked() >= 1000);
        ExtentInfo bad = cluster.extents("vol").get(0);
        long pid = bad.getPid();
        int cid = bad.getOwnerCid();
        ClusterNode owner = cluster.chunkByCid(cid);
        List<Long> othersOnChunk = RecoveryCluster.pidsWithMember(cluster, "vol", cid).stream()
            .filter(p -> p != pid).toList();
        long inDoubtBefore = s.writesInDoubt();

        long faultAt = System.nanoTime();
        cluster.failpoint(owner, "chunk.apply.throw@" + pid, "1*throw");
        await().atMost(Duration.ofSeconds(20)).until(() -> cluster.extents("vol").stream()
            .filter(e -> e.getPid() == pid).allMatch(e -> !e.getReplicasList().contains(cid)));
        long removedMs = Duration.ofNanos(System.nanoTime() - faultAt).toMillis();
        Duration toRedundancy = RecoveryCluster.awaitRedundant(cluster, "vol", 3, faultAt, Duration.ofSeconds(90));

        List<QuarantineReport> reports = cluster.quarantine(owner.address());
        assertThat(reports).singleElement().satisfies(r -> {
          assertThat(r.getPid()).isEqualTo(pid);
          assertThat(r.getCid()).isEqualTo(cid);
          assertThat(r.getReason()).contains("owner apply");
          assertThat(r.getBlocksList()).isNotEmpty();
          assertThat(Files.isDirectory(Path.of(r.getEvidence(), "rocksdb"))).isTrue();
        });
        assertThat(owner.isAlive()).as("the chunk process stays up").isTrue();
        // the chunk's other extents kept it as a member throughout
        assertThat(RecoveryCluster.pidsWithMember(cluster, "vol", cid)).containsAll(othersOnChunk);
        assertThat(s.writesInDoubt()).as("no write failed or timed out, on any extent").isEqualTo(inDoubtBefore);
        System.out.printf("F25 exception in one extent's apply: removed from membership after %d ms, time to"
            + " redundancy %d ms, other extents on the chunk %s%n", removedMs, toRedundancy.toMillis(),
            othersOnChunk);
        RecoveryCluster.check(cluster, s, volume, "QuarantineIT-F25", PAUSE_BUDGET);
      }
    }
  }

  @Test
  void aFailedWalSyncFailsTheStoreAndNoFlushIsAcknowledgedWhileItIsAMember() throws Exception {
    try (ProcessCluster cluster = RecoveryCluster.builder(dir, 4).start();
        ClusterVolumeProvider volumes = RecoveryCluster.volumes(cluster)) {
      VolumeInfo info = cluster.createVolume("vol", 4 * MiB, 2 * MiB, 3);
      Volume volume = volumes.open("vol");
      try (Stresser s = Stresser.start(volume, RecoveryCluster.load(info.getVid(), 2 * MiB, 4 * MiB, 93))) {
        RecoveryCluster.awaitOwners(cluster, "vol", 2);
        await().atMost(Duration.ofSeconds(60)).until(() -> s.writesAcked() >= 500);
        ClusterNode victim = RecoveryCluster.nonOwnerMember(cluster, "vol");
        int cid = RecoveryCluster.cidOf(cluster, victim);

        long faultAt = System.nanoTime();
        cluster.failpoint(victim, "chunk.store.sync", "error");
        Flushes f = flushUntilGone(cluster, volume, cid, faultAt);
        assertThat(f.ackedWhileMember).as("FLUSHes acknowledged while the failed member was in").isZero();
        volume.flush().get(10, TimeUnit.SECONDS);
        Duration toRedundancy = RecoveryCluster.awaitRedundant(cluster, "vol", 3, faultAt, Duration.ofSeconds(90));
        assertThat(victim.isAlive()).isTrue();
        System.out.printf("F17 failed WAL sync on a member: out of every extent after %d ms (%d FLUSHes acked"
            + " before, 0 while it was a member), time to redundancy %d ms%n", f.removedMs, f.acked,
            toRedundancy.toMillis());
        RecoveryCluster.check(cluster, s, volume, "QuarantineIT-F17", PAUSE_BUDGET);
      }
    }
  }

  @Test
  void fdatasyncFailedByStraceFailsTheStoreAndNoFlushIsAcknowledgedWhileItIsAMember() throws Exception {
    try (ProcessCluster cluster = RecoveryCluster.builder(dir, 4).start();
        ClusterVolumeProvider volumes = RecoveryCluster.volumes(cluster)) {
      VolumeInfo info = cluster.createVolume("vol", 4 * MiB, 2 * MiB, 3);
      Volume volume = volumes.open("vol");
      try (Stresser s = Stresser.start(volume, RecoveryCluster.load(info.getVid(), 2 * MiB, 4 * MiB, 94))) {
        RecoveryCluster.awaitOwners(cluster, "vol", 2);
        await().atMost(Duration.ofSeconds(60)).until(() -> s.writesAcked() >= 500);
        ClusterNode victim = RecoveryCluster.nonOwnerMember(cluster, "vol");
        int cid = RecoveryCluster.cidOf(cluster, victim);

        long faultAt = System.nanoTime();
        Flushes f;
        long injected;
        // fdatasync: what RocksDB's WAL sync and FileChannel.force(false) call on Linux (strace of a sync'd put)
        try (StraceInjection strace = StraceInjection.attach(victim.pid(), "fdatasync", "EIO", dir)) {
          f = flushUntilGone(cluster, volume, cid, faultAt);
          injected = strace.injected();
        }
        assertThat(f.ackedWhileMember).as("FLUSHes acknowledged while the failed member was in").isZero();
        assertThat(injected).as("fdatasync calls failed by strace").isPositive();
        assertThat(cluster.logged(victim, "replica store failed")).as("the member's store failed (F17), it did"
            + " not merely time out").isTrue();
        volume.flush().get(10, TimeUnit.SECONDS);
        Duration toRedundancy = RecoveryCluster.awaitRedundant(cluster, "vol", 3, faultAt, Duration.ofSeconds(90));
        assertThat(victim.isAlive()).isTrue();
        System.out.printf("F17 fdatasync EIO (strace) on a member: out of every extent after %d ms (%d fdatasync"
            + " calls failed, %d FLUSHes acked before, 0 while it was a member), time to redundancy %d ms%n",
            f.removedMs, injected, f.acked, toRedundancy.toMillis());
        RecoveryCluster.check(cluster, s, volume, "QuarantineIT-F17-strace", PAUSE_BUDGET);
      }
    }
  }

  /** FLUSHes issued while the failed chunk was still in some extent, and how long it stayed in. */
  private record Flushes(int acked, int ackedWhileMember, long removedMs) {}

  /**
   * FLUSHes from the fault on until {@code cid} is out of every extent (at most 20 s): each one acknowledged must find
   * the failed chunk out of every extent.
   */
  private static Flushes flushUntilGone(ProcessCluster cluster, Volume volume, int cid, long faultAt)
      throws Exception {
    int acked = 0;
    int ackedWhileMember = 0;
    while (!RecoveryCluster.gone(cluster, "vol", cid) && System.nanoTime() - faultAt < TimeUnit.SECONDS.toNanos(20)) {
      try {
        volume.flush().get(5, TimeUnit.SECONDS);
        acked++;
        if (!RecoveryCluster.gone(cluster, "vol", cid)) ackedWhileMember++;
      } catch (ExecutionException e) {
        // refused while the failed member is still in: the flush was not acknowledged, which is the point
      }
    }
    assertThat(RecoveryCluster.gone(cluster, "vol", cid)).as("the failed chunk left every extent").isTrue();
    return new Flushes(acked, ackedWhileMember, Duration.ofNanos(System.nanoTime() - faultAt).toMillis());
  }
}
