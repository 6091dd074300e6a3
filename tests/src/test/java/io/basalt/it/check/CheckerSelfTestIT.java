package io.basalt.it.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.basalt.client.VolumeHandle;
import io.basalt.it.cluster.MiniCluster;
import io.basalt.proto.Envelope;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.MutateReplicaRequest;
import io.basalt.proto.ReplicaMutation;
import io.basalt.proto.SetFailpointRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checker's self-tests on a real cluster (TESTPLAN 3.8: a test that cannot fail is no test): after a short
 * stress, each damage done to one replica through the test-only admin calls, and an owner acknowledging a write it
 * did not replicate (failpoint), must make {@link ClusterChecker} fail naming the pid and the block, after the
 * evidence hook ran; an undamaged run must pass. One cluster (3 chunks), one fresh volume per case.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CheckerSelfTestIT {
  private static final long MiB = 1 << 20;
  private static final Duration ADMIN = Duration.ofSeconds(10);

  @TempDir
  static Path dir;
  private MiniCluster cluster;
  private String name;
  private VolumeHandle volume;
  private Stresser stresser;
  private final List<String> evidence = new ArrayList<>();

  @BeforeAll
  void start() {
    cluster = MiniCluster.start(dir.resolve("cluster"), 3);
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void closeRun() {
    evidence.clear();
    if (stresser != null) {
      stresser.close();
    }
    if (volume != null) {
      volume.close();
    }
  }

  /** A fresh 12 MiB volume (1 MiB extents, 3 replicas) under a short stress (400 writes); returns its figures. */
  private StressResult stress(TestInfo test) {
    name = test.getTestMethod().orElseThrow().getName().toLowerCase();
    cluster.createVolume(name, 12 * MiB, MiB, 3);
    volume = cluster.volumes().open(name);
    StressConfig c = StressConfig.defaults(name.hashCode()).withVolumeId(volume.vid())
        .withLimits(Duration.ofSeconds(10), 400).withWorkers(3, true, 1).withDurability(50, 10)
        .withHistory(dir.resolve(name + "-history.txt"), 200_000);
    stresser = Stresser.start(volume, c);
    StressResult r = stresser.awaitResult().assertNoViolation();
    assertThat(r.writesAcked()).as("a minimal write count before the damage").isGreaterThan(100);
    return r;
  }

  private ClusterChecker checker() {
    return ClusterChecker.of(cluster, name).stresser(stresser, volume).expectedReplicas(3)
        .settle(Duration.ofSeconds(10), Duration.ofSeconds(1)).onFailure(report -> {
          evidence.add(report); // a fault test freezes the cluster and saves its data dirs here
          stresser.history().copyTo(dir.resolve("evidence-" + name));
        });
  }

  /** Runs the checker, which must fail after calling the evidence hook; returns its message. */
  private String checkerFailure() {
    AssertionError e = catchThrowableOfType(AssertionError.class, () -> checker().check());
    assertThat(e).as("the checker must fail").isNotNull();
    assertThat(evidence).as("evidence hook called before the failure").containsExactly(e.getMessage());
    assertThat(dir.resolve("evidence-" + name).resolve("history.txt")).isNotEmptyFile();
    return e.getMessage();
  }

  private ExtentInfo extentOf(long lba) {
    long index = lba * BlockStamp.BLOCK / MiB;
    return cluster.extents(name).stream().filter(e -> e.getIndex() == index).findFirst().orElseThrow();
  }

  /** The index in the replica list of a replica of {@code e} that is not its lease owner. */
  private static int nonOwner(ExtentInfo e) {
    for (int i = e.getReplicasCount() - 1; i >= 0; i--) {
      if (e.getReplicas(i) != e.getOwnerCid()) {
        return i;
      }
    }
    throw new IllegalStateException("no non-owner replica in " + e);
  }

  private void mutate(ExtentInfo e, int replica, long lba, ReplicaMutation m, byte[] block) {
    ByteBuf data = block == null ? null : ByteBufAllocator.DEFAULT.buffer(block.length).writeBytes(block);
    cluster.rpc().client(e.getReplicaAddresses(replica)).call(Envelope.newBuilder().setMutateReplica(
        MutateReplicaRequest.newBuilder().setPid(e.getPid()).setOffset(lba * BlockStamp.BLOCK % MiB)
            .setLength(BlockStamp.BLOCK).setMutation(m)), data, ADMIN).join().release();
  }

  private void failpoint(String address, String fp, String action) {
    cluster.rpc().client(address).call(Envelope.newBuilder().setSetFailpoint(SetFailpointRequest.newBuilder()
        .setName(fp).setAction(action)), ADMIN).join();
  }

  @Test
  void cleanRunPasses(TestInfo test) {
    StressResult r = stress(test);
    ClusterChecker.Report report = checker().pauseBudget(Duration.ofSeconds(5)).check();
    assertThat(report.ok()).isTrue();
    assertThat(report.extents()).isGreaterThanOrEqualTo(9);
    assertThat(report.summary()).startsWith("check ok: " + r.writesAcked() + " writes acked")
        .contains(report.extents() + " extents x 3 replicas identical");
    assertThat(evidence).isEmpty();
  }

  @Test
  void droppedAckedBlockOnOneReplica(TestInfo test) {
    stress(test);
    long lba = MutationTargets.overwrittenAckedBlock(stresser);
    ExtentInfo e = extentOf(lba);
    int k = nonOwner(e);
    mutate(e, k, lba, ReplicaMutation.DROP_BLOCKS, null);
    assertThat(checkerFailure()).contains("lost write: pid=" + e.getPid() + " lba=" + lba,
        "replica cid=" + e.getReplicas(k), "replicas differ: pid=" + e.getPid() + " lba=" + lba, "gen=", "hash=");
  }

  @Test
  void olderStampOnOneReplica(TestInfo test) {
    stress(test);
    long lba = MutationTargets.overwrittenAckedBlock(stresser);
    ExtentInfo e = extentOf(lba);
    int k = nonOwner(e);
    mutate(e, k, lba, ReplicaMutation.WRITE_LOCAL, MutationTargets.olderStamp(stresser, lba));
    assertThat(checkerFailure()).contains("older value: pid=" + e.getPid() + " lba=" + lba,
        "replica cid=" + e.getReplicas(k), "gen=", "hash=");
  }

  @Test
  void divergentValidCrcBlockOnOneReplica(TestInfo test) {
    stress(test);
    long lba = MutationTargets.overwrittenAckedBlock(stresser);
    ExtentInfo e = extentOf(lba);
    int k = nonOwner(e);
    mutate(e, k, lba, ReplicaMutation.WRITE_LOCAL, MutationTargets.divergentBlock(stresser, lba, lba));
    assertThat(checkerFailure()).contains("hashes differ at the same generation (I2): pid=" + e.getPid(),
        "garbage: pid=" + e.getPid() + " lba=" + lba, "fill differs", "replica cid=" + e.getReplicas(k));
  }

  @Test
  void ownerAcksWithoutReplicating(TestInfo test) {
    stress(test);
    long lba = MutationTargets.overwrittenAckedBlock(stresser);
    ExtentInfo e = extentOf(lba);
    // on the lease owner; on every replica if no owner is known (only an owner's write path consults it)
    int owner = e.getReplicasList().indexOf(e.getOwnerCid());
    List<String> targets = owner >= 0 ? List.of(e.getReplicaAddresses(owner)) : e.getReplicaAddressesList();
    String fp = "chunk.owner.skip-replicate";
    targets.forEach(a -> failpoint(a, fp, "on"));
    try {
      assertThat(stresser.writeOnce(lba, 1, false)).isEqualTo(OpHistory.Outcome.OK);
    } finally {
      targets.forEach(a -> failpoint(a, fp, "off"));
    }
    ExtentInfo after = extentOf(lba);
    int other = nonOwner(after);
    assertThat(checkerFailure()).contains("older value: pid=" + e.getPid() + " lba=" + lba,
        "replica cid=" + after.getReplicas(other), "generations differ: pid=" + e.getPid());
  }
}
