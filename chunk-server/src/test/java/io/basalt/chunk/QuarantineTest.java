package io.basalt.chunk;

import static io.basalt.chunk.ReplicatedWriteTest.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.proto.ErrorCode;
import io.basalt.proto.QuarantineReport;
import io.basalt.proto.ReplicaState;
import io.basalt.rpc.BasaltException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One extent's failure stays in that extent (DESIGN.md "Fault isolation", TESTPLAN F25): an unexpected exception in
 * one pid's apply path quarantines that replica only. It keeps its evidence, leaves service (no lease, no replicates),
 * meta is told, and every other extent of the same chunk goes on without an error.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class QuarantineTest extends ClusterTestBase {
  private static final long BAD = 5;
  private static final long GOOD = 6;
  private static final String THROW = "chunk.apply.throw";

  @BeforeEach
  void start() {
    startCluster(new TestCluster(dir, 3), BAD, 8192);
    c.createExtent(GOOD);
    c.client.write(c.address(0), GOOD, 0, random(2, 8192), false).join();
  }

  @Test
  void anExceptionInTheOwnersApplyQuarantinesThatReplicaOnly() {
    int cid0 = c.chunk(0).cid();
    long epoch = c.meta.extent(BAD).epoch();
    c.chunk(0).failpoints().set(THROW + "@" + BAD, "1*throw");

    BasaltException e = ChunkTestClient.failure(c.client.write(c.address(0), BAD, 4096, random(3, 4096), false));

    // the client is told to go elsewhere (retryable), not handed an I/O error
    assertThat(e.code()).isEqualTo(ErrorCode.NOT_OWNER);
    assertThat(e.retryable()).isTrue();
    assertThat(c.client.status(c.address(0), BAD).getState()).isEqualTo(ReplicaState.QUARANTINED);
    assertThat(c.chunk(0).registry().counter("basalt_chunk_replicas_quarantined").getCount()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> c.meta.quarantineReports().contains(BAD + "/" + cid0));
    assertThat(c.meta.extent(BAD).replicas()).doesNotContain(cid0);
    assertThat(c.meta.extent(BAD).epoch()).isGreaterThan(epoch);
    assertThat(c.chunk(0).ownedExtents()).isEqualTo(1); // GOOD only

    // the evidence: a report naming pid, chunk and block, a store checkpoint, the replica's block files
    List<QuarantineReport> reports = c.chunk(0).quarantine().evidence().list();
    assertThat(reports).hasSize(1);
    QuarantineReport r = reports.get(0);
    assertThat(r.getPid()).isEqualTo(BAD);
    assertThat(r.getCid()).isEqualTo(cid0);
    assertThat(r.getBlocksList()).containsExactly(1L);
    assertThat(r.getReason()).contains("owner apply").contains("failpoint " + THROW + "@" + BAD);
    Path evidence = Path.of(r.getEvidence());
    assertThat(evidence.resolve("report.txt")).exists();
    assertThat(evidence.resolve("rocksdb").resolve("CURRENT")).exists();

    // the same chunk refuses the lease of the quarantined replica but serves its other extent
    BasaltException again = ChunkTestClient.failure(c.client.write(c.address(0), BAD, 0, random(4, 4096), false));
    assertThat(again.code()).isEqualTo(ErrorCode.NOT_OWNER);
    byte[] good = random(5, 4096);
    c.client.write(c.address(0), GOOD, 0, good, true).join();
    assertThat(c.client.read(c.address(0), GOOD, 0, 4096)).isEqualTo(good);

    // another member takes the lease over and the write goes through there; the quarantined copy is left alone
    byte[] data = random(3, 4096);
    long gen = c.client.write(c.address(1), BAD, 4096, data, false).join();
    assertThat(c.client.read(c.address(1), BAD, 4096, 4096)).isEqualTo(data);
    assertThat(c.assertReplicasIdentical(BAD, 1, 2).getGen()).isEqualTo(gen);
    assertThat(c.client.status(c.address(0), BAD).getState()).isEqualTo(ReplicaState.QUARANTINED);
    assertThat(c.chunk(0).quarantine().pendingReports()).isEmpty();
  }

  @Test
  void anExceptionInAMembersApplyQuarantinesItsReplicaAndTheOwnerGoesOn() {
    int cid2 = c.chunk(2).cid();
    c.meta.refuseReplicaFailed(false);
    c.chunk(2).failpoints().set(THROW + "@" + BAD, "1*throw");

    byte[] data = random(6, 4096);
    long gen = c.client.write(c.address(0), BAD, 0, data, false).join();

    assertThat(c.client.status(c.address(2), BAD).getState()).isEqualTo(ReplicaState.QUARANTINED);
    await().atMost(Duration.ofSeconds(10)).until(() -> !c.meta.extent(BAD).replicas().contains(cid2));
    assertThat(c.assertReplicasIdentical(BAD, 0, 1).getGen()).isEqualTo(gen);
    // later writes go on without the quarantined member; its other extent keeps taking replicates
    CompletableFuture<Long> next = c.client.write(c.address(0), BAD, 8192, random(7, 4096), false);
    assertThat(next.join()).isEqualTo(gen + 1);
    long goodGen = c.client.write(c.address(0), GOOD, 0, random(8, 4096), false).join();
    assertThat(c.assertReplicasIdentical(GOOD).getGen()).isEqualTo(goodGen);
    assertThat(c.chunk(2).quarantine().evidence().list()).singleElement()
        .satisfies(r -> assertThat(r.getReason()).contains("replica apply"));
  }

  @Test
  void evidenceIsRemovedOnlyOnRequestOrAfterTheRetention() throws Exception {
    c.chunk(1).failpoints().set(THROW + "@" + BAD, "1*throw");
    c.meta.refuseReplicaFailed(false);
    c.client.write(c.address(0), BAD, 0, random(9, 4096), false).join();
    var evidence = c.chunk(1).quarantine().evidence();
    QuarantineReport r = evidence.list().get(0);

    assertThat(evidence.expire(r.getQuarantinedAtMs() + 1000, Duration.ofSeconds(5))).isEmpty();
    assertThat(evidence.remove(q -> q.getPid() == GOOD)).isEmpty();
    assertThat(evidence.expire(r.getQuarantinedAtMs() + 6000, Duration.ofSeconds(5))).containsExactly(r);
    assertThat(evidence.list()).isEmpty();
    assertThat(Files.exists(Path.of(r.getEvidence()))).isFalse();
  }
}
