package io.basalt.it.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The cluster checker's logic on a fake cluster (a memory volume whose replicas can be damaged one by one): passes on
 * a clean run (with a contended range); each damage fails it with the pid and the LBA, after the evidence hook ran.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClusterCheckerTest {
  private static final long MiB = 1 << 20;

  private MemoryVolume volume;
  private FakeCluster cluster;
  private Stresser stresser;
  private final List<String> evidence = new ArrayList<>();

  @BeforeEach
  void stress() {
    volume = new MemoryVolume("v", 12 * MiB, MiB);
    cluster = new FakeCluster(volume);
    stresser = Stresser.start(volume, StressConfig.defaults(7).withLimits(Duration.ofMillis(400), 0)
        .withWorkers(3, true, 1).withContended(2, 8));
    stresser.awaitResult().assertNoViolation();
  }

  @AfterEach
  void close() {
    stresser.close();
    volume.close();
  }

  private ClusterChecker checker() {
    return ClusterChecker.of(cluster, "v").stresser(stresser, volume).expectedReplicas(3)
        .settle(Duration.ofSeconds(2), Duration.ofMillis(200)).onFailure(evidence::add);
  }

  private AssertionError failure() {
    AssertionError e = catchThrowableOfType(AssertionError.class, () -> checker().check());
    assertThat(e).as("the checker must fail").isNotNull();
    assertThat(evidence).as("evidence hook called before failing").hasSize(1);
    assertThat(evidence.get(0)).isEqualTo(e.getMessage());
    return e;
  }

  @Test
  void passesOnACleanRun() {
    ClusterChecker.Report r = checker().pauseBudget(Duration.ofSeconds(5)).check();
    assertThat(r.ok()).isTrue();
    assertThat(r.summary()).startsWith("check ok: ").contains("writes acked", "reads checked",
        "contended range of 8 blocks searched", "12 extents x 3 replicas identical", "max pause");
    assertThat(r.blocksVerified()).isEqualTo(4 * 12 * 256); // volume + 3 replicas
    assertThat(evidence).isEmpty();
  }

  @Test
  void aBlockDroppedOnOneReplicaIsReportedWithPidAndLba() {
    long lba = MutationTargets.overwrittenAckedBlock(stresser);
    long pid = FakeCluster.pid((int) (lba / 256));
    cluster.damage(2, lba, new byte[BlockStamp.BLOCK]);
    assertThat(failure().getMessage()).contains("lost write: pid=" + pid + " lba=" + lba, "replica cid=2",
        "hashes differ", "replicas differ: pid=" + pid + " lba=" + lba);
  }

  @Test
  void anOlderStampOnOneReplicaIsReported() {
    long lba = MutationTargets.overwrittenAckedBlock(stresser);
    long pid = FakeCluster.pid((int) (lba / 256));
    cluster.damage(3, lba, MutationTargets.olderStamp(stresser, lba));
    assertThat(failure().getMessage()).contains("older value: pid=" + pid + " lba=" + lba, "replica cid=3",
        "gen=", "hash=");
  }

  @Test
  void aDivergentValidCrcBlockIsReported() {
    long lba = MutationTargets.overwrittenAckedBlock(stresser);
    long pid = FakeCluster.pid((int) (lba / 256));
    cluster.damage(1, lba, MutationTargets.divergentBlock(stresser, lba, 9));
    assertThat(failure().getMessage()).contains("garbage: pid=" + pid + " lba=" + lba, "fill differs",
        "hashes differ at the same generation (I2): pid=" + pid);
  }

  @Test
  void anOverwrittenValueInTheContendedRangeIsReported() {
    long lba = MutationTargets.overwrittenContendedBlock(stresser);
    long pid = FakeCluster.pid((int) (lba / 256));
    cluster.damage(2, lba, MutationTargets.overwrittenContendedStamp(stresser, lba));
    assertThat(failure().getMessage()).contains("older value: pid=" + pid + " lba=" + lba, "replica cid=2",
        "was sent after it was acked", "replicas differ: pid=" + pid + " lba=" + lba);
  }

  @Test
  void aContendedHistoryNoLinearizationExplainsIsReportedWithLbaAndOp() {
    for (int cap : new int[] {1_000_000, 10}) { // replayed, then (history truncated) from the live model
      try (MemoryVolume v = new MemoryVolume("v", 12 * MiB, MiB)) {
        StressConfig c = StressConfig.defaults(8).withLimits(Duration.ofMillis(400), 0).withWorkers(3, true, 1)
            .withContended(2, 4).withHistory(null, cap);
        StressLayout layout = new StressLayout(v.size(), c);
        v.servingStaleReadsOf(layout::isContended);
        try (Stresser s = Stresser.start(v, c)) {
          s.awaitResult().assertNoViolation();
          evidence.clear();
          AssertionError e = catchThrowableOfType(AssertionError.class, () -> ClusterChecker.of(new FakeCluster(v),
              "v").stresser(s, v).settle(Duration.ofSeconds(2), Duration.ofMillis(200)).onFailure(evidence::add)
              .check());
          assertThat(e).as("the checker must fail").isNotNull();
          assertThat(evidence).hasSize(1);
          String where = cap == 10 ? "contended range: " : "history replay: ";
          assertThat(e.getMessage()).containsPattern(where + "not linearizable at lba=\\d+ \\(op \\d+\\): (read|write) "
              + "op \\d+ .* cannot be linearized");
        }
      }
    }
  }

  @Test
  void differingGenerationsAreReported() {
    long pid = FakeCluster.pid(0);
    cluster.shiftGeneration(2, pid, -1);
    assertThat(failure().getMessage()).contains("generations differ: pid=" + pid, "cid2:");
  }

  @Test
  void unexpectedDeathsAndLongPausesFail() {
    String message = catchThrowableOfType(AssertionError.class, () -> checker()
        .deaths(() -> List.of("chunk-2 exited 137")).pauseBudget(Duration.ofNanos(1)).check()).getMessage();
    assertThat(message).contains("unexpected process deaths (I6): [chunk-2 exited 137]", "I/O pause (I5)");
  }
}
